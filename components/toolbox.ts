import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "./labels";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./pod-security";

const COMPONENT = "verification";

/** What the toolbox's Deployment selects its pod by, and its NetworkPolicy too. */
export const TOOLBOX_POD_LABELS: Record<string, string> = { app: "toolbox" };

export interface ToolboxArgs {
  namespace: pulumi.Input<string>;
  image: string;
}

/**
 * A long-running pod outside the mesh for manual checks (`kubectl exec ... -- curl ...`), running
 * under the restricted profile and never injected.
 */
export class Toolbox extends pulumi.ComponentResource {
  public readonly deploymentName: pulumi.Output<string>;

  constructor(name: string, args: ToolboxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:verification:Toolbox", name, {}, opts);
    const labels = { ...standardLabels("toolbox", COMPONENT), ...TOOLBOX_POD_LABELS };
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: "toolbox", namespace: args.namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: TOOLBOX_POD_LABELS },
          template: {
            metadata: { labels: { ...labels, "sidecar.istio.io/inject": "false" } },
            spec: {
              automountServiceAccountToken: false,
              terminationGracePeriodSeconds: 1,
              // curlimages/curl runs as curl_user (uid 100).
              securityContext: restrictedPodSecurity(100, 101),
              containers: [
                {
                  name: "toolbox",
                  image: args.image,
                  command: ["sleep", "2147483647"],
                  resources: {
                    requests: { cpu: "5m", memory: "16Mi" },
                    limits: { cpu: "100m", memory: "64Mi" },
                  },
                  securityContext: restrictedContainerSecurity(),
                },
              ],
            },
          },
        },
      },
      { parent: this },
    );
    this.deploymentName = deployment.metadata.name;
    this.registerOutputs({ deploymentName: this.deploymentName });
  }
}

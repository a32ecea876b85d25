import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "./labels";

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

export const READ_VERBS = ["get", "list", "watch"];

/**
 * Read-only access to what an operator needs to diagnose pingpong: workloads, their pods and logs,
 * networking and mesh policy. No secrets, no exec/attach/port-forward, no writes, nothing
 * cluster-wide: every resource is named, never a wildcard.
 */
export function operatorRules(): PolicyRule[] {
  const read = (apiGroups: string[], resources: string[]): PolicyRule => ({
    apiGroups,
    resources,
    verbs: READ_VERBS,
  });
  return [
    read([""], ["pods", "pods/log", "services", "endpoints", "events", "configmaps", "serviceaccounts"]),
    read(["apps"], ["deployments", "replicasets"]),
    read(["autoscaling"], ["horizontalpodautoscalers"]),
    read(["policy"], ["poddisruptionbudgets"]),
    read(["batch"], ["jobs"]),
    read(["discovery.k8s.io"], ["endpointslices"]),
    read(["networking.k8s.io"], ["networkpolicies", "ingresses"]),
    read(
      ["networking.istio.io"],
      ["virtualservices", "destinationrules", "gateways", "sidecars", "serviceentries", "envoyfilters"],
    ),
    read(["argoproj.io"], ["rollouts", "analysisruns", "analysistemplates"]),
    read(["security.istio.io"], ["peerauthentications", "authorizationpolicies"]),
    read(["telemetry.istio.io"], ["telemetries"]),
    read(["metrics.k8s.io"], ["pods"]),
  ];
}

export interface OperatorAccessArgs {
  /** Namespaces the group may read, keyed by a stable name used in resource names. */
  namespaces: Record<string, pulumi.Input<string>>;
  /** Group as the cluster's authenticator reports it (OIDC groups claim, cloud IAM mapping...). */
  group: pulumi.Input<string>;
}

/** A read-only Role and its RoleBinding to the operators group, in each namespace. */
export class OperatorAccess extends pulumi.ComponentResource {
  public readonly roleName = "pingpong-operator-read";

  constructor(name: string, args: OperatorAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:rbac:OperatorAccess", name, {}, opts);
    const labels = standardLabels("pingpong", "rbac");
    for (const [key, namespace] of Object.entries(args.namespaces)) {
      const role = new k8s.rbac.v1.Role(
        `${name}-${key}-role`,
        { metadata: { name: this.roleName, namespace, labels }, rules: operatorRules() },
        { parent: this },
      );
      new k8s.rbac.v1.RoleBinding(
        `${name}-${key}-binding`,
        {
          metadata: { name: this.roleName, namespace, labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: args.group }],
        },
        { parent: this },
      );
    }
    this.registerOutputs({ roleName: this.roleName });
  }
}

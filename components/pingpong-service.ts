import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  APP_NAME,
  container,
  networkPolicySpec,
  pingUrl,
  podAnnotations,
  podLabels,
  podSpec,
  selectorLabels,
  serviceHost,
  serviceSelector,
  servicePorts,
  type AllowedPeer,
  type AppTls,
  type Scheme,
  type WorkloadSettings,
} from "./workload";
import { standardLabels } from "./labels";
import type { Identity } from "./mesh-security";
import { pullSecret, type PullCredentials } from "./pull-secret";
import type { Autoscaling } from "./types";

export type { Autoscaling } from "./types";

export interface PingpongServiceArgs {
  /** Namespace to deploy into; pass the Namespace's output so the namespace exists first. */
  namespace: pulumi.Input<string>;
  /** Image reference, pinned by digest. */
  image: pulumi.Input<string>;
  /** The `version` label Istio routes on. */
  version: string;
  /** Credentials to pull the image with, for private registries; nodes' own credentials when omitted. */
  pullCredentials?: PullCredentials;
  /**
   * A second version beside `version` (the mesh splits traffic between them); none when absent.
   * Its image defaults to `image`.
   */
  canary?: { version: string; image?: pulumi.Input<string>; replicas: number };
  /** The app terminates TLS itself with this certificate Secret (tls.crt, tls.key, ca.crt). */
  tls?: AppTls;
  /** URL pinged every tick (the peer's Service); no pinging when omitted. */
  target?: pulumi.Input<string>;
  /** Replicas when `autoscaling` is absent. */
  replicas: number;
  /** Run a HorizontalPodAutoscaler; the Deployment then leaves `replicas` to it. */
  autoscaling?: Autoscaling;
  /** PodDisruptionBudget minAvailable; no budget when absent. */
  pdbMinAvailable?: number;
  workload: WorkloadSettings;
  /**
   * Restrict traffic with a NetworkPolicy: who may call the http port, who may scrape metrics and
   * which peers the pinger reaches. No policy when absent.
   */
  networkPolicy?: { callers: AllowedPeer[]; scrapers: AllowedPeer[]; pingTargets: AllowedPeer[] };
}

/**
 * One pingpong instance in one namespace: ServiceAccount, Deployment, Service, and where settings
 * ask for them HorizontalPodAutoscaler, PodDisruptionBudget and NetworkPolicy.
 */
export class PingpongService extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  /** `pingpong.<namespace>.svc.cluster.local` */
  public readonly host: pulumi.Output<string>;
  /** The in-cluster URL of /ping, what a peer uses as TARGET. */
  public readonly url: pulumi.Output<string>;
  public readonly serviceAccountName: pulumi.Output<string>;
  /** Who its pods are in the mesh: what callers' principals and expected caller IDs are built from. */
  public readonly identity: Identity;
  public readonly deploymentName: pulumi.Output<string>;

  /** The URL a peer pings, from the namespace alone (the Service name is fixed). */
  static urlIn(namespace: pulumi.Input<string>, scheme: Scheme = "http"): pulumi.Output<string> {
    return pulumi.output(namespace).apply((ns) => pingUrl(ns, undefined, scheme));
  }

  constructor(name: string, args: PingpongServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:workload:PingpongService", name, {}, opts);
    const scheme: Scheme = args.tls ? "https" : "http";
    const commonLabels = standardLabels(APP_NAME, "server", name);

    const registrySecret = args.pullCredentials
      ? pullSecret(`${name}-pull-secret`, args.namespace, args.pullCredentials, { parent: this })
      : undefined;
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: { name: APP_NAME, namespace: args.namespace, labels: commonLabels },
        imagePullSecrets: registrySecret ? [{ name: registrySecret.metadata.name }] : undefined,
        // The app never calls the Kubernetes API.
        automountServiceAccountToken: false,
      },
      { parent: this },
    );

    const deploymentFor = (
      resourceName: string,
      version: string,
      image: pulumi.Input<string>,
      replicas?: number,
    ) =>
      new k8s.apps.v1.Deployment(
        resourceName,
        {
          metadata: {
            name: `${APP_NAME}-${version}`,
            namespace: args.namespace,
            labels: podLabels(name, version),
          },
          spec: {
            replicas,
            selector: { matchLabels: selectorLabels(version) },
            // Surge one pod and never drop below the desired count during a rollout.
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            minReadySeconds: 5,
            revisionHistoryLimit: 5,
            progressDeadlineSeconds: 300,
            template: {
              metadata: { labels: podLabels(name, version), annotations: podAnnotations() },
              spec: podSpec({
                serviceAccountName: account.metadata.name,
                version,
                workload: args.workload,
                tls: args.tls,
                container: container({
                  image,
                  version,
                  target: args.target,
                  workload: args.workload,
                  tls: args.tls,
                }),
              }),
            },
          },
        },
        { parent: this },
      );
    // With an autoscaler the replica count is its business; declaring it here would reset it on every update.
    const deployment = deploymentFor(
      `${name}-deployment`,
      args.version,
      args.image,
      args.autoscaling ? undefined : args.replicas,
    );
    if (args.canary) {
      deploymentFor(
        `${name}-${args.canary.version}-deployment`,
        args.canary.version,
        args.canary.image ?? args.image,
        args.canary.replicas,
      );
    }

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: APP_NAME, namespace: args.namespace, labels: commonLabels },
        spec: { type: "ClusterIP", selector: serviceSelector(), ports: servicePorts(scheme) },
      },
      { parent: this },
    );

    if (args.autoscaling) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
          metadata: { name: deployment.metadata.name, namespace: args.namespace, labels: commonLabels },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
            minReplicas: args.autoscaling.minReplicas,
            maxReplicas: args.autoscaling.maxReplicas,
            metrics: [
              {
                type: "Resource",
                resource: {
                  name: "cpu",
                  target: { type: "Utilization", averageUtilization: args.autoscaling.cpuUtilization },
                },
              },
            ],
            // Scale down slowly: a short dip must not remove capacity the next spike needs.
            behavior: {
              scaleDown: {
                stabilizationWindowSeconds: 300,
                policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
              },
            },
          },
        },
        { parent: this },
      );
    }

    if (args.pdbMinAvailable !== undefined) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata: { name: deployment.metadata.name, namespace: args.namespace, labels: commonLabels },
          spec: {
            minAvailable: args.pdbMinAvailable,
            selector: { matchLabels: selectorLabels(args.version) },
            // A crash-looping pod must not block node drains.
            unhealthyPodEvictionPolicy: "AlwaysAllow",
          },
        },
        { parent: this },
      );
    }

    if (args.networkPolicy) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-netpol`,
        {
          metadata: { name: APP_NAME, namespace: args.namespace, labels: commonLabels },
          spec: networkPolicySpec(args.networkPolicy),
        },
        { parent: this },
      );
    }

    this.namespace = service.metadata.namespace;
    this.serviceName = service.metadata.name;
    const nameAndNamespace = pulumi.all([service.metadata.name, service.metadata.namespace]);
    this.host = nameAndNamespace.apply(([svc, ns]) => serviceHost(ns, svc));
    this.url = nameAndNamespace.apply(([svc, ns]) => pingUrl(ns, svc, scheme));
    this.serviceAccountName = account.metadata.name;
    this.identity = { namespace: this.namespace, serviceAccount: this.serviceAccountName };
    this.deploymentName = deployment.metadata.name;
    this.registerOutputs({
      namespace: this.namespace,
      serviceName: this.serviceName,
      host: this.host,
      url: this.url,
      serviceAccountName: this.serviceAccountName,
      deploymentName: this.deploymentName,
    });
  }
}

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
  type WorkloadSettings,
} from "./workload";
import { standardLabels } from "./labels";
import { pullSecret, type PullCredentials } from "./pull-secret";

export interface Autoscaling {
  minReplicas: number;
  maxReplicas: number;
  /** Target average CPU utilisation, percent of the request. */
  cpuUtilization: number;
}

export interface PingpongServiceArgs {
  /** Namespace to deploy into; pass the Namespace's output so the namespace exists first. */
  namespace: pulumi.Input<string>;
  /** Image reference, pinned by digest. */
  image: pulumi.Input<string>;
  /** The `version` label Istio routes on. */
  version: string;
  /** Credentials to pull the image with, for private registries; nodes' own credentials when omitted. */
  pullCredentials?: PullCredentials;
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
  public readonly deploymentName: pulumi.Output<string>;

  /** The URL a peer pings, from the namespace alone (the Service name is fixed). */
  static urlIn(namespace: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.output(namespace).apply((ns) => pingUrl(ns));
  }

  constructor(name: string, args: PingpongServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:workload:PingpongService", name, {}, opts);
    const labels = podLabels(name, args.version);
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

    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: `${APP_NAME}-${args.version}`, namespace: args.namespace, labels },
        spec: {
          // With an autoscaler the replica count is its business; declaring it here would reset it on every update.
          replicas: args.autoscaling ? undefined : args.replicas,
          selector: { matchLabels: selectorLabels(args.version) },
          // Surge one pod and never drop below the desired count during a rollout.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          minReadySeconds: 5,
          revisionHistoryLimit: 5,
          progressDeadlineSeconds: 300,
          template: {
            metadata: { labels, annotations: podAnnotations() },
            spec: podSpec({
              serviceAccountName: account.metadata.name,
              version: args.version,
              workload: args.workload,
              container: container({
                image: args.image,
                version: args.version,
                target: args.target,
                workload: args.workload,
              }),
            }),
          },
        },
      },
      { parent: this },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: APP_NAME, namespace: args.namespace, labels: commonLabels },
        spec: { type: "ClusterIP", selector: serviceSelector(), ports: servicePorts() },
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
    this.url = nameAndNamespace.apply(([svc, ns]) => pingUrl(ns, svc));
    this.serviceAccountName = account.metadata.name;
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

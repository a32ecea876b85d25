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
  type AppTls,
  type NetworkRules,
  type Scheme,
  type WorkloadSettings,
} from "./workload";
import { standardLabels } from "./labels";
import type { Identity } from "./mesh-security";
import { pullSecret, type PullCredentials } from "./pull-secret";
import {
  CANARY_SERVICE_NAME,
  DEFAULT_ROLLOUT_STEPS,
  ROLLOUT_NAME,
  autoscalerSpec,
  canaryServiceSelector,
  deploymentSpec,
  rolloutIgnoredChanges,
  rolloutSpec,
  type RolloutArgs,
} from "./rollout-spec";
import type { Autoscaling } from "./types";

export type { Autoscaling } from "./types";
export type { RolloutArgs } from "./rollout-spec";

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
  networkPolicy?: NetworkRules;
  /** Run the pods under an Argo Rollout instead of Deployments; not with `canary`. */
  rollout?: RolloutArgs;
}

/**
 * One pingpong instance in one namespace: ServiceAccount, Deployment (or Rollout and canary
 * Service), Service, and where settings ask for them HorizontalPodAutoscaler, PodDisruptionBudget
 * and NetworkPolicy.
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
  /** The primary Deployment's name, or the Rollout's under `rollout`. */
  public readonly deploymentName: pulumi.Output<string>;
  /** Under `rollout`: the Rollout's name, which the analysis queries select its pods by. */
  public readonly rolloutName: pulumi.Output<string> | undefined;
  /** Under `rollout`: /ping behind the canary Service, for the acceptance check. */
  public readonly canaryUrl: pulumi.Output<string> | undefined;

  /** The URL a peer pings, from the namespace alone (the Service name is fixed). */
  static urlIn(namespace: pulumi.Input<string>, scheme: Scheme = "http"): pulumi.Output<string> {
    return pulumi.output(namespace).apply((ns) => pingUrl(ns, undefined, scheme));
  }

  /** The canary Service's /ping, from the namespace alone, before the instance exists. */
  static canaryUrlIn(
    namespace: pulumi.Input<string>,
    serviceName = CANARY_SERVICE_NAME,
  ): pulumi.Output<string> {
    return pulumi.output(namespace).apply((ns) => pingUrl(ns, serviceName));
  }

  constructor(name: string, args: PingpongServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:workload:PingpongService", name, {}, opts);
    if (args.rollout && args.canary) {
      throw new Error(`${name}: a fixed canary Deployment and a Rollout exclude each other`);
    }
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

    const template = (version: string, image: pulumi.Input<string>) => ({
      metadata: { labels: podLabels(name, version), annotations: podAnnotations() },
      spec: podSpec({
        serviceAccountName: account.metadata.name,
        version,
        workload: args.workload,
        tls: args.tls,
        container: container({ image, version, target: args.target, workload: args.workload, tls: args.tls }),
      }),
    });
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
          spec: deploymentSpec(version, replicas, template(version, image)),
        },
        { parent: this },
      );
    // With an autoscaler the replica count is its business; declaring it here would reset it on every update.
    const replicas = args.autoscaling ? undefined : args.replicas;
    let workload: { name: pulumi.Output<string>; apiVersion: string; kind: string };
    if (args.rollout) {
      const rollout = new k8s.apiextensions.CustomResource(
        `${name}-rollout`,
        {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "Rollout",
          metadata: { name: ROLLOUT_NAME, namespace: args.namespace, labels: podLabels(name, args.version) },
          spec: rolloutSpec({
            replicas,
            template: template(args.version, args.image),
            trafficRouting: args.rollout.trafficRouting,
            steps: args.rollout.steps ?? DEFAULT_ROLLOUT_STEPS,
            analysisTemplate: args.rollout.analysisTemplate,
          }),
        },
        {
          parent: this,
          dependsOn: args.rollout.dependsOn,
          ignoreChanges: rolloutIgnoredChanges(args.autoscaling !== undefined),
        },
      );
      workload = { name: rollout.metadata.name, apiVersion: "argoproj.io/v1alpha1", kind: "Rollout" };
      const canaryService = new k8s.core.v1.Service(
        `${name}-canary-service`,
        {
          metadata: {
            name: args.rollout.canaryServiceName ?? CANARY_SERVICE_NAME,
            namespace: args.namespace,
            labels: commonLabels,
          },
          spec: { type: "ClusterIP", selector: canaryServiceSelector(), ports: servicePorts(scheme) },
        },
        { parent: this },
      );
      this.canaryUrl = pulumi
        .all([canaryService.metadata.name, canaryService.metadata.namespace])
        .apply(([svc, ns]) => pingUrl(ns, svc, scheme));
      this.rolloutName = rollout.metadata.name;
    } else {
      const deployment = deploymentFor(`${name}-deployment`, args.version, args.image, replicas);
      workload = { name: deployment.metadata.name, apiVersion: "apps/v1", kind: "Deployment" };
      if (args.canary) {
        deploymentFor(
          `${name}-${args.canary.version}-deployment`,
          args.canary.version,
          args.canary.image ?? args.image,
          args.canary.replicas,
        );
      }
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
          metadata: { name: workload.name, namespace: args.namespace, labels: commonLabels },
          spec: autoscalerSpec(
            { apiVersion: workload.apiVersion, kind: workload.kind, name: workload.name },
            args.autoscaling,
          ),
        },
        { parent: this },
      );
    }

    if (args.pdbMinAvailable !== undefined) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata: { name: workload.name, namespace: args.namespace, labels: commonLabels },
          spec: {
            minAvailable: args.pdbMinAvailable,
            // A Rollout's canary and stable pods share the app label, not necessarily a version.
            selector: { matchLabels: args.rollout ? serviceSelector() : selectorLabels(args.version) },
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
    this.deploymentName = workload.name;
    this.registerOutputs({
      namespace: this.namespace,
      serviceName: this.serviceName,
      host: this.host,
      url: this.url,
      serviceAccountName: this.serviceAccountName,
      deploymentName: this.deploymentName,
      rolloutName: this.rolloutName,
      canaryUrl: this.canaryUrl,
    });
  }
}

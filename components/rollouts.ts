import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, chartLocation } from "./charts";
import { namespaceLabels } from "./namespaces";
import { LIMITS, withLimits } from "./sizes";
import type { Resources } from "./types";

export const ARGO_ROLLOUTS_CHART_REPO = CHARTS.argoRollouts.repository;
export const ARGO_ROLLOUTS_CHART = CHARTS.argoRollouts.chart;
export const ARGO_ROLLOUTS_NAMESPACE = "argo-rollouts";

/**
 * The traffic providers the chart can grant the controller access to (argoproj/argo-helm
 * charts/argo-rollouts values.yaml `providerRBAC.providers`, each gating one rule in
 * templates/_helpers.tpl). Only Istio's is granted: the controller then updates VirtualServices and
 * DestinationRules, and no other router's objects.
 */
export const TRAFFIC_PROVIDERS = [
  "istio",
  "smi",
  "ambassador",
  "awsLoadBalancerController",
  "awsAppMesh",
  "traefik",
  "apisix",
  "contour",
  "glooPlatform",
  "gatewayAPI",
] as const;

/** Requests and limits of the controller when none are given (the chart sets none). */
export const CONTROLLER_RESOURCES: Resources = withLimits(
  { cpu: "50m", memory: "128Mi" },
  LIMITS.argoRollouts,
);

export interface ArgoRolloutsArgs {
  /** The argo-rollouts chart's version (its appVersion is the controller's). */
  chartVersion: string;
  /** A directory of unpacked charts, `<chartSource>/<chart>/<version>/`; absent: the chart's repository. */
  chartSource?: string;
  /** Created, without sidecar injection: the controller only talks to the API server and Prometheus. */
  namespace?: string;
  /** Controller pods; with more than one they elect a leader. */
  controllerReplicas: number;
  resources?: Resources;
}

/** The chart's values: CRDs installed, no dashboard, RBAC for the Istio router only. */
export function argoRolloutsValues(args: Pick<ArgoRolloutsArgs, "controllerReplicas" | "resources">): object {
  const r = args.resources ?? CONTROLLER_RESOURCES;
  return {
    installCRDs: true,
    controller: {
      replicas: args.controllerReplicas,
      resources: {
        requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
        limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
      },
    },
    dashboard: { enabled: false },
    providerRBAC: {
      enabled: true,
      providers: Object.fromEntries(TRAFFIC_PROVIDERS.map((p) => [p, p === "istio"])),
    },
  };
}

/**
 * The Argo Rollouts controller and its CRDs (Rollout, AnalysisTemplate, AnalysisRun, ...), in a
 * namespace of its own. Custom resources of those kinds must depend on `ready`.
 */
export class ArgoRollouts extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** What a Rollout or AnalysisTemplate waits for: the release that installs their CRDs. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: ArgoRolloutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:delivery:ArgoRollouts", name, {}, opts);
    if (!Number.isInteger(args.controllerReplicas) || args.controllerReplicas < 1) {
      throw new Error(`ArgoRollouts: controllerReplicas ${args.controllerReplicas}: expected at least 1`);
    }
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.namespace ?? ARGO_ROLLOUTS_NAMESPACE,
          labels: namespaceLabels({
            name: args.namespace ?? ARGO_ROLLOUTS_NAMESPACE,
            sidecarInjection: false,
          }),
        },
      },
      { parent: this },
    );
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: ARGO_ROLLOUTS_CHART,
        ...chartLocation(CHARTS.argoRollouts, args.chartVersion, args.chartSource),
        namespace: ns.metadata.name,
        values: argoRolloutsValues(args),
        atomic: true,
        timeout: 600,
      },
      { parent: this },
    );
    this.namespace = ns.metadata.name;
    this.ready = [release];
    this.registerOutputs({ namespace: this.namespace });
  }
}

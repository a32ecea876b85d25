import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type {
  BalancedDestinationRuleSpec,
  Destination,
  HttpRoute,
  HttpRoutePolicy,
  LoadBalancerSettings,
  RolloutIstioRouting,
  VirtualServiceSpec,
} from "./crds";
import { standardLabels } from "./labels";
import { PORTS, selectorLabels } from "./workload";

/** Resilience of calls to one service, applied by the caller's sidecar. */
export interface Resilience {
  timeoutMs: number;
  retries: { attempts: number; perTryTimeoutMs: number; retryOn: string };
  /** Circuit breaking: eject an endpoint after consecutive 5xx. */
  outlier: {
    consecutive5xxErrors: number;
    intervalSeconds: number;
    baseEjectionSeconds: number;
    maxEjectionPercent: number;
  };
  connectionPool: { maxConnections: number; maxPendingRequests: number; maxRequestsPerConnection: number };
  /** Fault injection for drills; percentages of requests, 0 disables. */
  faults: { delayPercent: number; delayMs: number; abortPercent: number; abortStatus: number };
}

/** A second version beside v1, and how traffic reaches it. */
export interface Canary {
  version: string;
  /** Percent of traffic per version; integers summing to 100 (0/100 is blue-green). */
  weights: { primary: number; canary: number };
  /** Requests carrying this header with the canary's version as value always reach the canary. */
  header: string;
  /** Percent of primary traffic mirrored to the canary (responses discarded); 0 disables. */
  mirrorPercent: number;
}

const seconds = (ms: number) => `${ms / 1000}s`;

/** How callers' sidecars pick an endpoint; absent: "Istio will select an appropriate default" (destination_rule.proto). */
export type LoadBalancer = LoadBalancerSettings;

function trafficPolicy(
  r: Resilience,
  loadBalancer?: LoadBalancer,
): BalancedDestinationRuleSpec["trafficPolicy"] {
  return {
    ...(loadBalancer ? { loadBalancer } : {}),
    connectionPool: {
      tcp: { maxConnections: r.connectionPool.maxConnections },
      http: {
        http1MaxPendingRequests: r.connectionPool.maxPendingRequests,
        maxRequestsPerConnection: r.connectionPool.maxRequestsPerConnection,
      },
    },
    outlierDetection: {
      consecutive5xxErrors: r.outlier.consecutive5xxErrors,
      interval: `${r.outlier.intervalSeconds}s`,
      baseEjectionTime: `${r.outlier.baseEjectionSeconds}s`,
      maxEjectionPercent: r.outlier.maxEjectionPercent,
    },
  };
}

export function destinationRuleSpec(
  host: string,
  versions: string[],
  r: Resilience,
  loadBalancer?: LoadBalancer,
): BalancedDestinationRuleSpec {
  return {
    host,
    subsets: versions.map((version) => ({ name: version, labels: selectorLabels(version) })),
    trafficPolicy: trafficPolicy(r, loadBalancer),
  };
}

/** Timeout, retries and drill faults: every route to the service carries them. */
function routePolicy(r: Resilience): HttpRoutePolicy {
  const policy: HttpRoutePolicy = {
    timeout: seconds(r.timeoutMs),
    retries: {
      attempts: r.retries.attempts,
      perTryTimeout: seconds(r.retries.perTryTimeoutMs),
      retryOn: r.retries.retryOn,
    },
  };
  const fault: NonNullable<HttpRoutePolicy["fault"]> = {};
  if (r.faults.delayPercent > 0)
    fault.delay = { percentage: { value: r.faults.delayPercent }, fixedDelay: seconds(r.faults.delayMs) };
  if (r.faults.abortPercent > 0)
    fault.abort = { percentage: { value: r.faults.abortPercent }, httpStatus: r.faults.abortStatus };
  if (Object.keys(fault).length > 0) policy.fault = fault;
  return policy;
}

const destinationTo =
  (host: string) =>
  (subset: string): Destination => ({ host, subset, port: { number: PORTS.http.port } });

/** The mesh route to one service: canary header match first, then the weighted split. */
export function meshVirtualServiceSpec(
  host: string,
  primary: string,
  r: Resilience,
  canary?: Canary,
): VirtualServiceSpec {
  const destination = destinationTo(host);
  const policy = routePolicy(r);
  const routes: HttpRoute[] = [];
  if (canary) {
    routes.push({
      name: "canary-testers",
      match: [{ headers: { [canary.header]: { exact: canary.version } } }],
      route: [{ destination: destination(canary.version) }],
      ...policy,
    });
  }
  const split = canary
    ? [
        { destination: destination(primary), weight: canary.weights.primary },
        { destination: destination(canary.version), weight: canary.weights.canary },
      ]
    : [{ destination: destination(primary), weight: 100 }];
  routes.push({
    name: "default",
    route: split,
    ...(canary && canary.mirrorPercent > 0
      ? { mirror: destination(canary.version), mirrorPercentage: { value: canary.mirrorPercent } }
      : {}),
    ...policy,
  });
  return { hosts: [host], http: routes };
}

/** The mesh's routes to a host, for the ingress gateway to follow the same split and resilience. */
export const meshRoutes =
  (primary: string, r: Resilience, canary?: Canary) =>
  (host: string): HttpRoute[] =>
    meshVirtualServiceSpec(host, primary, r, canary).http;

/** Analysis mode: an Argo Rollout moves the weight between these two subsets of the host. */
export interface AnalysisSubsets {
  stableSubset: string;
  canarySubset: string;
}

/** The DestinationRule's and the VirtualService's name: the Rollout finds them by it. */
export const TRAFFIC_OBJECT_NAME = "pingpong";
/** The one route of analysis mode, which the Rollout names in `trafficRouting.istio.virtualService.routes`. */
export const ANALYSIS_ROUTE = "primary";

/**
 * What the Rollout controller writes (argoproj/argo-rollouts v1.9.0 rollout/trafficrouting/istio/istio.go):
 * `SetWeight` sets `spec.http[].route[].weight` of the named routes; `UpdateHash` rebuilds
 * `spec.subsets` (stable and canary, each labelled with its ReplicaSet's `rollouts-pod-template-hash`,
 * others dropped) and sets the `ManagedByRolloutsKey` annotation. All of `spec.subsets` is ignored:
 * the list is atomic (Istio's CRD sets no x-kubernetes-list-type), so the controller's update makes
 * its field manager own all of it, and pulumi-kubernetes leaves an ignored field another manager
 * owns out of its server-side apply only for paths without array indices (provider/pkg/await/await.go).
 */
export const ANALYSIS_IGNORED_CHANGES = {
  virtualService: ["spec.http[*].route[*].weight"],
  destinationRule: ["spec.subsets", 'metadata.annotations["argo-rollouts.argoproj.io/managed-by-rollouts"]'],
} as const;

/**
 * The VirtualService of analysis mode takes its fields back on every update. The controller changes
 * weights with an update of the whole object, which makes it own all of `spec.http` (an atomic list):
 * without forcing, the provider's server-side apply of a changed route (timeout, retries) fails with
 * a field conflict after the first promotion. Forced, an update writes the stable weights (100/0);
 * in the middle of a canary the controller sets its weights again on its next reconcile (it watches
 * the VirtualService), and at rest they are the same. Shown on the real control plane by
 * test/cluster/engine-dev.cluster.test.ts.
 */
export const ANALYSIS_VIRTUAL_SERVICE_ANNOTATIONS = { "pulumi.com/patchForce": "true" } as const;

/** Where a Rollout of this host shifts traffic: the objects Traffic creates in analysis mode. */
export function rolloutTrafficRouting(a: AnalysisSubsets): RolloutIstioRouting {
  return {
    virtualService: { name: TRAFFIC_OBJECT_NAME, routes: [ANALYSIS_ROUTE] },
    destinationRule: {
      name: TRAFFIC_OBJECT_NAME,
      canarySubsetName: a.canarySubset,
      stableSubsetName: a.stableSubset,
    },
  };
}

/** Subsets by name only: the controller adds each one's pod-template hash (argo-rollouts docs, istio.md). */
export function analysisDestinationRuleSpec(
  host: string,
  a: AnalysisSubsets,
  r: Resilience,
  loadBalancer?: LoadBalancer,
): BalancedDestinationRuleSpec {
  return {
    host,
    subsets: [{ name: a.stableSubset }, { name: a.canarySubset }],
    trafficPolicy: trafficPolicy(r, loadBalancer),
  };
}

/**
 * One route holding exactly the stable and the canary destination, all weight on stable until the
 * controller moves it: `ValidateHTTPRoutes` requires both subsets in the route, and `processRoutes`
 * deletes any other destination from it. No header route or mirror: the controller owns the routes.
 */
export function analysisVirtualServiceSpec(
  host: string,
  a: AnalysisSubsets,
  r: Resilience,
): VirtualServiceSpec {
  const destination = destinationTo(host);
  return {
    hosts: [host],
    http: [
      {
        name: ANALYSIS_ROUTE,
        route: [
          { destination: destination(a.stableSubset), weight: 100 },
          { destination: destination(a.canarySubset), weight: 0 },
        ],
        ...routePolicy(r),
      },
    ],
  };
}

export interface TrafficArgs {
  namespace: pulumi.Input<string>;
  /** The Service's cluster DNS name. */
  host: pulumi.Input<string>;
  primaryVersion: string;
  /** A second version at fixed weights; not with `analysis`. */
  canary?: Canary;
  /** Subsets for an Argo Rollout's automated canary analysis instead of version subsets; not with `canary`. */
  analysis?: AnalysisSubsets;
  resilience: Resilience;
  loadBalancer?: LoadBalancer;
  /** Istio's control plane: the custom resources wait for it. */
  controlPlane: pulumi.Resource[];
}

/** DestinationRule and mesh VirtualService of one pingpong Service. */
export class Traffic extends pulumi.ComponentResource {
  /** In analysis mode: what the Rollout's `strategy.canary.trafficRouting.istio` must name. */
  public readonly rolloutRouting: RolloutIstioRouting | undefined;

  constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:traffic:Traffic", name, {}, opts);
    const { analysis, resilience, loadBalancer } = args;
    if (analysis && args.canary) {
      throw new Error(
        "Traffic: a fixed canary and canary analysis exclude each other (the controller owns the routes)",
      );
    }
    if (analysis && analysis.stableSubset === analysis.canarySubset) {
      throw new Error(`Traffic: the stable and canary subsets must differ (both ${analysis.stableSubset})`);
    }
    const versions = [args.primaryVersion, ...(args.canary ? [args.canary.version] : [])];
    const labels = standardLabels("pingpong", "traffic");
    const host = pulumi.output(args.host);
    const metadata = { name: TRAFFIC_OBJECT_NAME, namespace: args.namespace, labels };
    const childOpts = (ignoreChanges?: readonly string[]): pulumi.CustomResourceOptions => ({
      parent: this,
      dependsOn: args.controlPlane,
      ...(ignoreChanges ? { ignoreChanges: [...ignoreChanges] } : {}),
    });
    new k8s.apiextensions.CustomResource(
      `${name}-destinationrule`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata,
        spec: host.apply((h) =>
          analysis
            ? analysisDestinationRuleSpec(h, analysis, resilience, loadBalancer)
            : destinationRuleSpec(h, versions, resilience, loadBalancer),
        ),
      },
      childOpts(analysis && ANALYSIS_IGNORED_CHANGES.destinationRule),
    );
    new k8s.apiextensions.CustomResource(
      `${name}-virtualservice`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: analysis
          ? { ...metadata, annotations: { ...ANALYSIS_VIRTUAL_SERVICE_ANNOTATIONS } }
          : metadata,
        spec: host.apply((h) =>
          analysis
            ? analysisVirtualServiceSpec(h, analysis, resilience)
            : meshVirtualServiceSpec(h, args.primaryVersion, resilience, args.canary),
        ),
      },
      childOpts(analysis && ANALYSIS_IGNORED_CHANGES.virtualService),
    );
    this.rolloutRouting = analysis && rolloutTrafficRouting(analysis);
    this.registerOutputs({ rolloutRouting: this.rolloutRouting });
  }
}

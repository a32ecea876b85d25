import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type {
  Destination,
  DestinationRuleSpec,
  HttpRoute,
  HttpRoutePolicy,
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

export function destinationRuleSpec(host: string, versions: string[], r: Resilience): DestinationRuleSpec {
  return {
    host,
    subsets: versions.map((version) => ({ name: version, labels: selectorLabels(version) })),
    trafficPolicy: {
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
    },
  };
}

/** The mesh route to one service: canary header match first, then the weighted split. */
export function meshVirtualServiceSpec(
  host: string,
  primary: string,
  r: Resilience,
  canary?: Canary,
): VirtualServiceSpec {
  const destination = (subset: string): Destination => ({ host, subset, port: { number: PORTS.http.port } });
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

export interface TrafficArgs {
  namespace: pulumi.Input<string>;
  /** The Service's cluster DNS name. */
  host: pulumi.Input<string>;
  primaryVersion: string;
  canary?: Canary;
  resilience: Resilience;
  /** Istio's control plane: the custom resources wait for it. */
  controlPlane: pulumi.Resource[];
}

/** DestinationRule and mesh VirtualService of one pingpong Service. */
export class Traffic extends pulumi.ComponentResource {
  constructor(name: string, args: TrafficArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:traffic:Traffic", name, {}, opts);
    const versions = [args.primaryVersion, ...(args.canary ? [args.canary.version] : [])];
    const labels = standardLabels("pingpong", "traffic");
    const host = pulumi.output(args.host);
    const childOpts = { parent: this, dependsOn: args.controlPlane };
    new k8s.apiextensions.CustomResource(
      `${name}-destinationrule`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "pingpong", namespace: args.namespace, labels },
        spec: host.apply((h) => destinationRuleSpec(h, versions, args.resilience)),
      },
      childOpts,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-virtualservice`,
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "pingpong", namespace: args.namespace, labels },
        spec: host.apply((h) => meshVirtualServiceSpec(h, args.primaryVersion, args.resilience, args.canary)),
      },
      childOpts,
    );
    this.registerOutputs({});
  }
}

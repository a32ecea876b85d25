import type { Requests, Resources } from "./types";

/**
 * What the stack's containers may use at most (limits), where one is set: each request the settings
 * accept stays at or below its container's limit, which Kubernetes requires. Pure data, so that the
 * settings table can check requests without loading the components.
 */
export const LIMITS = {
  /**
   * Every injected istio-proxy: istiod's `global.proxy.resources.limits`, left at the chart's
   * default (istio/istio 1.31 manifests/charts/istio-control/istio-discovery/values.yaml).
   */
  proxy: { cpu: "2000m", memory: "1024Mi" },
  /** The ingress and egress gateways' proxy: the gateway chart's `resources.limits`, left at its default. */
  gateway: { cpu: "2000m", memory: "1024Mi" },
  /** Kiali: the kiali-server chart's `deployment.resources.limits` (memory only), left at its default. */
  kiali: { memory: "1Gi" },
  /** Jaeger all-in-one: its memory holds every trace kept (in-memory storage, bounded by tracing.ts jaegerMaxTraces). */
  jaeger: { cpu: "500m", memory: "512Mi" },
  /** The Argo Rollouts controller (its chart sets none). */
  argoRollouts: { cpu: "500m", memory: "256Mi" },
} as const satisfies Record<string, Partial<Requests>>;

/** Requests with the limits beside them, as components that set both take them. */
export function withLimits(requests: Requests, limits: Requests): Resources {
  return {
    cpuRequest: requests.cpu,
    memoryRequest: requests.memory,
    cpuLimit: limits.cpu,
    memoryLimit: limits.memory,
  };
}

/**
 * `resources` asking for `requests` only, as a chart value: Helm merges it over the chart's own
 * `resources`, so the chart's limits (if any) stay.
 */
export function requestsValue(requests: Requests): { resources: { requests: Requests } } {
  return { resources: { requests: { cpu: requests.cpu, memory: requests.memory } } };
}

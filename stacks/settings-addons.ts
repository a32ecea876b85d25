import { list } from "./formats";
import type { Settings } from "./settings-types";
import type { Values } from "./table";

/** Settings of the mesh's add-ons from checked values: egress, rate limits, delivery, tracing. */

export function deliverySettings(v: Values): Pick<Settings, "egress" | "rateLimit" | "delivery"> {
  return {
    egress: {
      outboundTrafficPolicy: v.outboundTrafficPolicy,
      gateway: v.egressGateway ? { namespace: v.egressNamespace, hosts: list(v.egressHosts) } : undefined,
      internetAccess: v.internetAccess,
    },
    rateLimit:
      v.rateLimitRequestsPerSecond > 0
        ? { requestsPerSecond: v.rateLimitRequestsPerSecond, burst: v.rateLimitBurst }
        : undefined,
    delivery: v.canaryAnalysis
      ? {
          instance: "b",
          chartVersion: v.argoRolloutsChartVersion,
          successPercent: v.analysisSuccessPercent,
          latencyMs: v.analysisLatencyMs,
        }
      : undefined,
  };
}

export function loadBalancerSettings(v: Values): Settings["traffic"]["loadBalancer"] {
  // The rules require the header exactly when the policy is CONSISTENT_HASH.
  return v.loadBalancer === "CONSISTENT_HASH"
    ? { consistentHash: { httpHeaderName: v.loadBalancerHashHeader ?? "" } }
    : { simple: v.loadBalancer };
}

export function tracingSettings(v: Values): Settings["observability"]["tracing"] {
  const samplingPercent = v.traceSamplingPercent;
  switch (v.tracing) {
    case "jaeger":
      return {
        backend: "jaeger",
        namespace: v.tracingNamespace,
        chartVersion: v.jaegerChartVersion,
        samplingPercent,
      };
    case "external": {
      // The rules require a collector with external tracing; its format is checked by its row.
      const [, host, port] = /^(.+):(\d+)$/.exec(v.tracingCollector ?? "") ?? [];
      return { backend: "external", collector: { host, port: Number(port) }, samplingPercent };
    }
    case "none":
      return { backend: "none" };
  }
}

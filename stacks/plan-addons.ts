import { EGRESS_PORT } from "../components/egress";
import { EGRESS_RELEASE, gatewayPodLabels } from "../components/istio";
import { JAEGER_PORTS } from "../components/tracing";
import { LIMITS, withLimits } from "../components/sizes";
import type { OutboundTrafficPolicy, Requests, Resources } from "../components/types";
import { grafanaUrl, prometheusUrl } from "../components/observability";
import { serviceSelector } from "../components/workload";
import type { AllowedEgress, CheckPlan, EdgePlan, InstanceKey } from "./plan-types";
import { INSTANCES } from "./keys-traffic";
import type { Settings } from "./settings-types";

/** The plan of the mesh's add-ons: tracing, Kiali, egress, rate limits, progressive delivery. */

/**
 * A host no stack lists, for the proof that the mesh refuses what its registry does not know: an
 * address of TEST-NET-1 (RFC 5737), never routed, so no DNS is involved and, without the refusal,
 * the probe would time out instead of being answered.
 */
export const UNLISTED_URL = "http://192.0.2.1/";

export interface TracingPlan {
  /** The pinger's sampling decision, which every sidecar follows. */
  samplingPercent: number;
  /** Install Jaeger; absent: spans go to `collector`. */
  jaeger?: { namespace: string; chartVersion: string; chartSource?: string; resources: Resources };
  collector?: { host: string; port: number };
}

export interface EgressPlan {
  istioVersion: string;
  chartSource?: string;
  trustDomain: string;
  namespace: string;
  hosts: string[];
  replicas: { min: number; max: number };
  /** What each gateway pod asks: the ingress gateway's size. */
  requests: Requests;
  podLabels: Record<string, string>;
}

/** Pods whose inbound side is limited: an instance's, or the ingress gateway's. */
export interface RateLimitTargetPlan {
  name: string;
  on: InstanceKey | "gateway";
  podLabels: Record<string, string>;
  context: "SIDECAR_INBOUND" | "GATEWAY";
}

export interface DeliveryPlan {
  instance: InstanceKey;
  chartVersion: string;
  chartSource?: string;
  controllerReplicas: number;
  resources: Resources;
  prometheusUrl: string;
  thresholds: { successPercent: number; p99Ms: number };
}

export interface AddonsPlan {
  outboundTrafficPolicy: OutboundTrafficPolicy;
  tracing?: TracingPlan;
  kiali?: {
    namespace: string;
    chartVersion: string;
    /** Kiali's session key as the user set it; absent: the component generates one. */
    signingKey?: string;
    chartSource?: string;
    prometheusUrl: string;
    grafanaUrl: string;
    requests: Requests;
  };
  istioDashboards: boolean;
  egress?: EgressPlan;
  rateLimit?: { requestsPerSecond: number; burst: number; targets: RateLimitTargetPlan[] };
  delivery?: DeliveryPlan;
}

export function addonsPlan(s: Settings, edge: EdgePlan): AddonsPlan {
  // Every chart from the one source: each add-on's release spreads components/charts.ts chartLocation.
  const { chartSource } = s;
  const t = s.observability.tracing;
  const tracing: TracingPlan | undefined =
    t.backend === "jaeger"
      ? {
          samplingPercent: t.samplingPercent,
          jaeger: {
            namespace: t.namespace,
            chartVersion: t.chartVersion,
            chartSource,
            // Requests from the settings; its memory limit bounds the traces it keeps.
            resources: withLimits(s.requests.jaeger, LIMITS.jaeger),
          },
        }
      : t.backend === "external"
        ? { samplingPercent: t.samplingPercent, collector: t.collector }
        : undefined;
  const g = s.egress.gateway;
  const monitoring = s.namespaces.monitoring;
  const limited: RateLimitTargetPlan[] = [
    ...INSTANCES.map((key) => ({
      name: `pingpong-${key}`,
      on: key,
      podLabels: serviceSelector(),
      context: "SIDECAR_INBOUND" as const,
    })),
    // The ingress gateway too when it is the edge (it sees HTTP there).
    ...(edge.mode === "istio"
      ? [
          {
            name: "ingress-gateway",
            on: "gateway" as const,
            podLabels: gatewayPodLabels(),
            context: "GATEWAY" as const,
          },
        ]
      : []),
  ];
  return {
    outboundTrafficPolicy: s.egress.outboundTrafficPolicy,
    tracing,
    kiali: s.observability.kiali && {
      namespace: monitoring,
      ...s.observability.kiali,
      chartSource,
      prometheusUrl: prometheusUrl(monitoring),
      grafanaUrl: grafanaUrl(monitoring),
      requests: s.requests.kiali,
    },
    istioDashboards: s.observability.istioDashboards,
    egress: g && {
      istioVersion: s.mesh.istioVersion,
      chartSource,
      trustDomain: s.mesh.trustDomain,
      namespace: g.namespace,
      hosts: g.hosts,
      replicas: { min: s.mesh.gateway.minReplicas, max: s.mesh.gateway.maxReplicas },
      requests: s.requests.gateway,
      podLabels: gatewayPodLabels(EGRESS_RELEASE),
    },
    rateLimit: s.rateLimit && { ...s.rateLimit, targets: limited },
    delivery: s.delivery && {
      instance: s.delivery.instance,
      chartVersion: s.delivery.chartVersion,
      chartSource,
      controllerReplicas: 1,
      resources: withLimits(s.requests.argoRollouts, LIMITS.argoRollouts),
      prometheusUrl: prometheusUrl(monitoring),
      thresholds: { successPercent: s.delivery.successPercent, p99Ms: s.delivery.latencyMs },
    },
  };
}

/** Where the pingpong pods' sidecars send, beyond DNS, istiod and the peer: the egress gateway and the span collector. */
export function sidecarEgress(a: AddonsPlan): AllowedEgress[] {
  return [...gatewayEgress(a), ...tracingEgress(a)];
}

/** The egress gateway's pods on the port the mesh routes the listed hosts to; nothing without hosts. */
export function gatewayEgress(a: AddonsPlan): AllowedEgress[] {
  if (!a.egress || a.egress.hosts.length === 0) return [];
  return [{ to: [{ namespace: a.egress.namespace, podLabels: a.egress.podLabels }], port: EGRESS_PORT }];
}

/**
 * The namespace of a cluster Service's DNS name, `<service>.<namespace>.svc` or the same in the
 * default cluster domain (`.svc.cluster.local`); undefined for any other host, which may be outside
 * the cluster (a host under another cluster domain is taken for one).
 */
export function serviceNamespace(host: string): string | undefined {
  const label = "[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?";
  return new RegExp(`^${label}\\.(${label})\\.svc(?:\\.cluster\\.local)?$`).exec(host)?.[1];
}

/**
 * The span collector, where a sidecar sends its spans: the Jaeger the stack installs, or the
 * external collector's namespace when its host is a cluster Service's name. A NetworkPolicy cannot
 * name a host, so a collector outside the cluster is allowed as its port, to any address.
 */
export function tracingEgress(a: AddonsPlan): AllowedEgress[] {
  if (a.tracing?.jaeger)
    return [{ to: [{ namespace: a.tracing.jaeger.namespace }], port: JAEGER_PORTS.otlpGrpc }];
  const collector = a.tracing?.collector;
  if (!collector) return [];
  const namespace = serviceNamespace(collector.host);
  return [namespace ? { to: [{ namespace }], port: collector.port } : { port: collector.port }];
}

/**
 * Pods of an instance that may answer at once, each with a bucket of its own: the most a burst must
 * exceed. Under canary analysis the Rollout's canary runs beside every stable pod at its 50% step.
 */
function mostPods(s: Settings, key: InstanceKey): number {
  const w = s.workload;
  const stable = w.autoscaling ? w.autoscaling.maxReplicas : w.replicas;
  const analysed = s.delivery?.instance === key ? stable : 0;
  const canary = s.traffic.canary?.instances.includes(key) ? s.traffic.canary.replicas : 0;
  return stable + analysed + canary;
}

/** The checks of the add-ons, run from pingpong-a like the mesh's own a-to-b check. */
export function addonChecks(s: Settings, a: AddonsPlan): CheckPlan[] {
  const checks: CheckPlan[] = [];
  if (a.outboundTrafficPolicy === "REGISTRY_ONLY") {
    checks.push({
      name: "a-to-unlisted",
      from: { instance: "a" },
      to: { url: UNLISTED_URL },
      expect: "failure",
      // HTTP to a host the sidecar's registry lacks: a 502 from its catch-all route; where no HTTP
      // listener owns the port, BlackHoleCluster closes the connection (istio pilot
      // networking/core/httproute.go block_all; listener_builder.go BlackHoleCluster).
      expectError: "HTTP 502|ECONNRESET",
      tls: false,
    });
  }
  if (a.egress && s.egress.internetAccess) {
    a.egress.hosts.forEach((host, i) =>
      checks.push({
        name: `a-to-egress-${i}`,
        from: { instance: "a" },
        to: { url: `https://${host}/` },
        expect: "reached",
        tls: false,
      }),
    );
  }
  if (a.rateLimit) {
    const { requestsPerSecond, burst } = a.rateLimit;
    const pool = s.traffic.resilience.connectionPool;
    const to: InstanceKey = "b";
    checks.push({
      name: `a-to-${to}-burst`,
      from: { instance: "a" },
      to,
      expect: "rate-limited",
      tls: false,
      // Twice what every pod's bucket holds plus a second of refill: some answers must be 429.
      // In flight at once: no more than the caller's sidecar pools, or its own 503s would mix in.
      burst: {
        requests: 2 * mostPods(s, to) * (burst + requestsPerSecond),
        concurrency: Math.min(50, pool.maxConnections, pool.maxPendingRequests),
      },
    });
  }
  return checks;
}

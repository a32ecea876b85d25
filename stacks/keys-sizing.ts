import { LIMITS } from "../components/sizes";
import type { Requests } from "../components/types";
import { parseCpu, parseMemory, parseRequests } from "./formats";
import { str } from "./key";

/**
 * Rows of the settings table: what the pods of Istio and of the add-ons ask of their nodes
 * (requests, `<cpu>/<memory>`, e.g. 10m/64Mi). dev fits a small kind cluster; staging and prod keep the sizes
 * the charts and components ship with. The pingpong containers' own are cpuRequest and
 * memoryRequest (keys-workload.ts).
 */

/** dev's requests, then the production size staging and prod share. */
const sized = (dev: string, production: string) => ({ dev, staging: production, prod: production });

/** Whether `requests` stays within `limits` (a resource without a limit is unbounded). */
function within(requests: Requests, limits: Partial<Requests>): boolean {
  const cpu = limits.cpu === undefined || parseCpu(requests.cpu)! <= parseCpu(limits.cpu)!;
  const memory = limits.memory === undefined || parseMemory(requests.memory)! <= parseMemory(limits.memory)!;
  return cpu && memory;
}

const shown = (limits: Partial<Requests>) =>
  Object.entries(limits)
    .map(([resource, quantity]) => `${resource} ${quantity}`)
    .join(", ");

/**
 * A requests key. `limits`: the container's limits, which a request must not exceed. `chartOwn`:
 * an empty value leaves the chart's own requests (what it means, for the description).
 */
function requests(
  description: string,
  def: { dev: string; staging: string; prod: string },
  options: { limits?: Partial<Requests>; chartOwn?: string } = {},
) {
  const { limits = {}, chartOwn } = options;
  const bound = Object.keys(limits).length > 0 ? `, at most its limits (${shown(limits)})` : "";
  const empty = chartOwn === undefined ? "" : `, or empty for ${chartOwn}`;
  return str({
    description: `${description} CPU/memory, e.g. 10m/64Mi${chartOwn === undefined ? "" : `; empty: ${chartOwn}`}.`,
    default: def,
    valid: (v: string) => {
      if (v === "" && chartOwn !== undefined) return true;
      const r = parseRequests(v);
      return r !== undefined && within(r, limits);
    },
    expected: `CPU/memory requests such as 10m/64Mi${bound}${empty}`,
  });
}

const CHART_NONE = "the chart's own (none)";

export const SIZING_KEYS = {
  istiodRequests: requests("What each istiod replica asks of its node.", sized("10m/100Mi", "500m/2048Mi")),
  proxyRequests: requests(
    "What each injected istio-proxy sidecar asks (istiod's global.proxy.resources), in every injected pod.",
    sized("10m/40Mi", "100m/128Mi"),
    { limits: LIMITS.proxy },
  ),
  gatewayRequests: requests(
    "What each ingress and egress gateway pod asks.",
    sized("10m/40Mi", "100m/128Mi"),
    { limits: LIMITS.gateway },
  ),
  cniRequests: requests("What istio-cni's node agent asks, on every node.", sized("10m/40Mi", "100m/100Mi")),
  prometheusRequests: requests("What Prometheus asks (monitoring=install).", sized("50m/256Mi", ""), {
    chartOwn: CHART_NONE,
  }),
  alertmanagerRequests: requests("What Alertmanager asks (monitoring=install).", sized("5m/32Mi", ""), {
    chartOwn: "the Prometheus Operator's default (memory 200Mi)",
  }),
  grafanaRequests: requests("What Grafana asks (monitoring=install).", sized("10m/96Mi", ""), {
    chartOwn: CHART_NONE,
  }),
  kubeStateMetricsRequests: requests(
    "What kube-state-metrics asks (monitoring=install).",
    sized("5m/32Mi", ""),
    { chartOwn: CHART_NONE },
  ),
  nodeExporterRequests: requests(
    "What the Prometheus node exporter asks, on every node (monitoring=install).",
    sized("5m/16Mi", ""),
    { chartOwn: CHART_NONE },
  ),
  prometheusOperatorRequests: requests(
    "What the Prometheus Operator asks (monitoring=install).",
    sized("5m/32Mi", ""),
    { chartOwn: CHART_NONE },
  ),
  kialiRequests: requests("What Kiali asks (kiali on).", sized("10m/64Mi", "10m/64Mi"), {
    limits: LIMITS.kiali,
  }),
  jaegerRequests: requests("What Jaeger asks (tracing=jaeger).", sized("10m/64Mi", "50m/128Mi"), {
    limits: LIMITS.jaeger,
  }),
  argoRolloutsRequests: requests(
    "What the Argo Rollouts controller asks (canaryAnalysis on).",
    sized("10m/64Mi", "50m/128Mi"),
    { limits: LIMITS.argoRollouts },
  ),
} as const;

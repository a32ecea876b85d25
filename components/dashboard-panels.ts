/**
 * The panels of the pingpong dashboard: the app's own metrics (names from the service contract)
 * next to Istio's standard metrics, each panel over the namespaces of the `namespace` variable.
 */
import { METRIC_NAMES } from "../app/src/contract";
import type { GrafanaThresholdStep, PanelSpec } from "./grafana";

/** Istio's standard metrics, as the sidecars export them. `duration` is a histogram. */
export const ISTIO_METRICS = {
  requests: "istio_requests_total",
  duration: "istio_request_duration_milliseconds",
} as const;

const RATE_WINDOW = "5m";
const ns = `namespace=~"$namespace"`;
const istioDestination = `reporter="destination",destination_workload_namespace=~"$namespace"`;
const byWorkloads = "source_workload, destination_workload";

function rate(selector: string): string {
  return `rate(${selector}[${RATE_WINDOW}])`;
}

function quantile(q: number, by: string, bucketSelector: string): string {
  return `histogram_quantile(${q}, sum by (le, ${by}) (${rate(bucketSelector)}))`;
}

/** Red below 1, green from 1: at least one ready instance, or every request under mutual TLS. */
function greenFromOne(): GrafanaThresholdStep[] {
  return [
    { color: "red", value: null },
    { color: "green", value: 1 },
  ];
}

/** The app's pings, their round trip, the pongs by caller and the ready instances. */
export function appPanels(): PanelSpec[] {
  const { pings, pingDuration, pongs, ready } = METRIC_NAMES;
  return [
    {
      type: "timeseries",
      title: "Pings per second by result",
      description: "Pings each instance sends to its peer, by result (success: 2xx within the timeout).",
      unit: "reqps",
      width: 12,
      height: 8,
      queries: [
        {
          expr: `sum by (namespace, result) (${rate(`${pings}{${ns}}`)})`,
          legendFormat: "{{namespace}} {{result}}",
        },
      ],
    },
    {
      type: "timeseries",
      title: "Ping round trip (p50, p90, p99)",
      description: "Round trip of the pings each instance sends, as seen by the sender.",
      unit: "s",
      width: 12,
      height: 8,
      queries: [0.5, 0.9, 0.99].map((q) => ({
        expr: quantile(q, "namespace", `${pingDuration}_bucket{${ns}}`),
        legendFormat: `{{namespace}} p${Math.round(q * 100)}`,
      })),
    },
    {
      type: "timeseries",
      title: "Pongs by caller identity",
      description:
        "Pings answered, by the caller's SPIFFE identity ('unknown' without a client certificate).",
      unit: "reqps",
      width: 12,
      height: 8,
      queries: [
        {
          expr: `sum by (namespace, caller) (${rate(`${pongs}{${ns}}`)})`,
          legendFormat: "{{namespace}} {{caller}}",
        },
      ],
    },
    {
      type: "stat",
      title: "Ready instances",
      description: "Instances reporting ready on /readyz, per namespace.",
      unit: "short",
      width: 12,
      height: 8,
      min: 0,
      thresholds: greenFromOne(),
      queries: [{ expr: `sum by (namespace) (${ready}{${ns}})`, legendFormat: "{{namespace}}" }],
    },
  ];
}

/** Mesh traffic between the workloads as the destination's sidecar reports it. */
export function istioPanels(): PanelSpec[] {
  const { requests, duration } = ISTIO_METRICS;
  const all = `${requests}{${istioDestination}}`;
  return [
    {
      type: "timeseries",
      title: "Mesh request rate by source and destination",
      description: "Requests per second reported by the destination's sidecar.",
      unit: "reqps",
      width: 12,
      height: 8,
      queries: [
        {
          expr: `sum by (${byWorkloads}) (${rate(all)})`,
          legendFormat: "{{source_workload}} -> {{destination_workload}}",
        },
      ],
    },
    {
      type: "timeseries",
      title: "Mesh error rate (5xx share)",
      description: "Share of requests answered with a 5xx status, reported by the destination's sidecar.",
      unit: "percentunit",
      width: 12,
      height: 8,
      min: 0,
      max: 1,
      queries: [
        {
          expr:
            `sum by (${byWorkloads}) (${rate(`${requests}{${istioDestination},response_code=~"5.."}`)})` +
            ` / sum by (${byWorkloads}) (${rate(all)})`,
          legendFormat: "{{source_workload}} -> {{destination_workload}}",
        },
      ],
    },
    {
      type: "timeseries",
      title: "Mesh latency (p50, p99)",
      description: "Request duration seen by the destination's sidecar, by source and destination.",
      unit: "ms",
      width: 12,
      height: 8,
      queries: [0.5, 0.99].map((q) => ({
        expr: quantile(q, byWorkloads, `${duration}_bucket{${istioDestination}}`),
        legendFormat: `{{source_workload}} -> {{destination_workload}} p${Math.round(q * 100)}`,
      })),
    },
    {
      type: "stat",
      title: "Traffic under mutual TLS",
      description: "Share of requests the destination's sidecar received over mutual TLS (1 under STRICT).",
      unit: "percentunit",
      width: 12,
      height: 8,
      min: 0,
      max: 1,
      thresholds: greenFromOne(),
      queries: [
        {
          expr:
            `sum(${rate(`${requests}{${istioDestination},connection_security_policy="mutual_tls"}`)})` +
            ` / sum(${rate(all)})`,
          legendFormat: "mutual TLS",
        },
      ],
    },
  ];
}

/**
 * The pingpong Grafana dashboard, generated in code: the app's own metrics (names from the
 * service contract) next to Istio's standard metrics. Provisioned through a ConfigMap the
 * kube-prometheus-stack Grafana sidecar picks up by label.
 */
import { METRIC_NAMES } from "../app/src/contract";

/** Istio's standard metrics, as the sidecars export them. `duration` is a histogram. */
export const ISTIO_METRICS = {
  requests: "istio_requests_total",
  duration: "istio_request_duration_milliseconds",
} as const;

/** The label the kube-prometheus-stack Grafana sidecar looks for on dashboard ConfigMaps (its default). */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** The key of the dashboard in its ConfigMap (the file name the sidecar writes). */
export const DASHBOARD_FILE = "pingpong.json";

/** Histogram base names the dashboard may query through `_bucket`, `_sum` or `_count` series. */
const HISTOGRAMS: readonly string[] = [METRIC_NAMES.pingDuration, ISTIO_METRICS.duration];

const DATASOURCE_VARIABLE = "datasource";
const DATASOURCE = { type: "prometheus", uid: `\${${DATASOURCE_VARIABLE}}` } as const;
const RATE_WINDOW = "5m";
const GRID_WIDTH = 24;

export interface GrafanaDatasourceRef {
  type: "prometheus";
  uid: string;
}

export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: GrafanaDatasourceRef;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GrafanaThresholdStep {
  color: string;
  value: number | null;
}

export interface GrafanaPanel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  description: string;
  gridPos: GridPos;
  datasource: GrafanaDatasourceRef;
  targets: GrafanaTarget[];
  fieldConfig: {
    defaults: {
      unit: string;
      min?: number;
      max?: number;
      thresholds?: { mode: "absolute"; steps: GrafanaThresholdStep[] };
    };
    overrides: unknown[];
  };
  options: Record<string, unknown>;
}

export interface GrafanaVariableOption {
  text: string;
  value: string;
  selected: boolean;
}

export interface GrafanaDatasourceVariable {
  name: string;
  label: string;
  type: "datasource";
  query: "prometheus";
  current: Record<string, never>;
  hide: 0;
  refresh: 1;
  regex: string;
  options: [];
}

export interface GrafanaCustomVariable {
  name: string;
  label: string;
  type: "custom";
  query: string;
  multi: boolean;
  includeAll: boolean;
  current: { selected: boolean; text: string[]; value: string[] };
  options: GrafanaVariableOption[];
  hide: 0;
}

export interface GrafanaDashboard {
  id: null;
  uid: string;
  title: string;
  tags: string[];
  timezone: string;
  editable: boolean;
  graphTooltip: number;
  schemaVersion: 39;
  version: number;
  refresh: string;
  time: { from: string; to: string };
  annotations: { list: unknown[] };
  templating: { list: Array<GrafanaDatasourceVariable | GrafanaCustomVariable> };
  panels: GrafanaPanel[];
}

export interface DashboardOptions {
  uid: string;
  title: string;
  /** The namespaces the `namespace` variable offers (pingpong-a and pingpong-b). */
  namespaces: string[];
}

interface PanelSpec {
  type: GrafanaPanel["type"];
  title: string;
  description: string;
  unit: string;
  width: number;
  height: number;
  queries: Array<{ expr: string; legendFormat: string }>;
  min?: number;
  max?: number;
  thresholds?: GrafanaThresholdStep[];
}

const ns = `namespace=~"$namespace"`;
const istioDestination = `reporter="destination",destination_workload_namespace=~"$namespace"`;
const byWorkloads = "source_workload, destination_workload";

function rate(selector: string): string {
  return `rate(${selector}[${RATE_WINDOW}])`;
}

function quantile(q: number, by: string, bucketSelector: string): string {
  return `histogram_quantile(${q}, sum by (le, ${by}) (${rate(bucketSelector)}))`;
}

function appPanels(): PanelSpec[] {
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
      thresholds: [
        { color: "red", value: null },
        { color: "green", value: 1 },
      ],
      queries: [{ expr: `sum by (namespace) (${ready}{${ns}})`, legendFormat: "{{namespace}}" }],
    },
  ];
}

function istioPanels(): PanelSpec[] {
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
      thresholds: [
        { color: "red", value: null },
        { color: "green", value: 1 },
      ],
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

/** Places panels left to right, wrapping at the grid width; a row is as tall as its tallest panel. */
function layout(specs: PanelSpec[]): GridPos[] {
  const positions: GridPos[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const spec of specs) {
    if (x + spec.width > GRID_WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    positions.push({ x, y, w: spec.width, h: spec.height });
    x += spec.width;
    rowHeight = Math.max(rowHeight, spec.height);
  }
  return positions;
}

function toPanel(spec: PanelSpec, id: number, gridPos: GridPos): GrafanaPanel {
  const defaults: GrafanaPanel["fieldConfig"]["defaults"] = { unit: spec.unit };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.thresholds) defaults.thresholds = { mode: "absolute", steps: spec.thresholds };
  const options: Record<string, unknown> =
    spec.type === "stat"
      ? {
          reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
          colorMode: "background",
          graphMode: "none",
          textMode: "value_and_name",
          orientation: "auto",
        }
      : {
          legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["mean", "max"] },
          tooltip: { mode: "multi", sort: "desc" },
        };
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    gridPos,
    datasource: { ...DATASOURCE },
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode("A".charCodeAt(0) + i),
      expr: q.expr,
      legendFormat: q.legendFormat,
      datasource: { ...DATASOURCE },
    })),
    fieldConfig: { defaults, overrides: [] },
    options,
  };
}

/** The pingpong dashboard's JSON model. Throws on an invalid uid or namespace list. */
export function pingpongDashboard(opts: DashboardOptions): GrafanaDashboard {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(opts.uid)) {
    throw new Error(
      `dashboard uid ${JSON.stringify(opts.uid)}: expected 1 to 40 letters, digits, '-' or '_'`,
    );
  }
  if (opts.title.trim() === "") throw new Error("dashboard title: expected a non-empty string");
  if (opts.namespaces.length === 0) throw new Error("dashboard namespaces: expected at least one namespace");
  for (const n of opts.namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n)) {
      throw new Error(`dashboard namespace ${JSON.stringify(n)}: expected a Kubernetes namespace name`);
    }
  }
  if (new Set(opts.namespaces).size !== opts.namespaces.length) {
    throw new Error(`dashboard namespaces ${JSON.stringify(opts.namespaces)}: expected no duplicates`);
  }

  const specs = [...appPanels(), ...istioPanels()];
  const positions = layout(specs);
  return {
    id: null,
    uid: opts.uid,
    title: opts.title,
    tags: ["pingpong", "istio"],
    timezone: "browser",
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    annotations: { list: [] },
    templating: {
      list: [
        {
          name: DATASOURCE_VARIABLE,
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: {},
          hide: 0,
          refresh: 1,
          regex: "",
          options: [],
        },
        {
          name: "namespace",
          label: "Namespace",
          type: "custom",
          query: opts.namespaces.join(","),
          multi: true,
          includeAll: true,
          current: { selected: true, text: ["All"], value: ["$__all"] },
          options: [
            { text: "All", value: "$__all", selected: true },
            ...opts.namespaces.map((n) => ({ text: n, value: n, selected: false })),
          ],
          hide: 0,
        },
      ],
    },
    panels: specs.map((spec, i) => toPanel(spec, i + 1, positions[i])),
  };
}

/** The data of the ConfigMap that provisions the dashboard through the Grafana sidecar. */
export function dashboardConfigMapData(d: GrafanaDashboard): Record<typeof DASHBOARD_FILE, string> {
  return { [DASHBOARD_FILE]: JSON.stringify(d) };
}

/** PromQL words that look like identifiers but never name a metric. */
const PROMQL_KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "atan2",
  "inf",
  "nan",
]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

const TOKEN =
  /\s+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|[A-Za-z_:][A-Za-z0-9_:]*|[0-9][A-Za-z0-9_.]*|./gs;

/** The series names a PromQL expression selects, in order of appearance. */
export function metricsInExpr(expr: string): string[] {
  const tokens = (expr.match(TOKEN) ?? []).filter((t) => !/^\s+$/.test(t));
  const names: string[] = [];
  let braces = 0;
  let brackets = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === "{") braces++;
    else if (t === "}") braces--;
    else if (t === "[") brackets++;
    else if (t === "]") brackets--;
    if (braces > 0 || brackets > 0 || !/^[A-Za-z_:]/.test(t)) continue;
    const lower = t.toLowerCase();
    if (GROUPING.has(lower) && tokens[i + 1] === "(") {
      // Skip the label list of a grouping clause: by (le, namespace).
      while (i < tokens.length && tokens[i] !== ")") i++;
      continue;
    }
    if (PROMQL_KEYWORDS.has(lower)) continue;
    // A function call or an aggregation with its clause after the name: rate(...), sum by (...) (...).
    if (tokens[i + 1] === "(" || GROUPING.has((tokens[i + 1] ?? "").toLowerCase())) continue;
    names.push(t);
  }
  return names;
}

/** `x_bucket` names a histogram `x`; `x_sum` and `x_count` only when `x` is a known histogram. */
function baseName(series: string, histograms: ReadonlySet<string>): string {
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  if (!m) return series;
  if (m[2] === "bucket" || histograms.has(m[1])) return m[1];
  return series;
}

/**
 * Every metric a panel of the dashboard queries, sorted and without duplicates; histogram series
 * (`_bucket`, and `_sum`/`_count` of histograms) are reported by their base name.
 */
export function metricNamesIn(dashboard: GrafanaDashboard): string[] {
  const series = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsInExpr(t.expr)));
  const histograms = new Set([
    ...HISTOGRAMS,
    ...series.filter((s) => s.endsWith("_bucket")).map((s) => s.slice(0, -"_bucket".length)),
  ]);
  return [...new Set(series.map((s) => baseName(s, histograms)))].sort();
}

/** The names of the series in a Prometheus text exposition. */
function exposedSeries(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const line of metricsText.split("\n")) {
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/**
 * The names neither exposed in `liveMetricsText` (as a series, or as a histogram with a
 * `<name>_bucket` series) nor listed in `istioNames`.
 */
export function unknownMetrics(
  names: readonly string[],
  liveMetricsText: string,
  istioNames: readonly string[],
): string[] {
  const live = exposedSeries(liveMetricsText);
  const istio = new Set(istioNames);
  return names.filter((n) => !istio.has(n) && !live.has(n) && !live.has(`${n}_bucket`));
}

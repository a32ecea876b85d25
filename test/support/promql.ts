/**
 * Which metrics PromQL expressions select: enough of PromQL's lexical rules to tell series names
 * from functions, keywords and label names, so tests can hold the dashboard's queries against the
 * series an instance really exposes.
 */
import { METRIC_NAMES } from "../../app/src/contract";
import { ISTIO_METRICS } from "../../components/dashboard-panels";
import type { GrafanaDashboard } from "../../components/grafana";

/** Histogram base names the dashboard may query through `_bucket`, `_sum` or `_count` series. */
const HISTOGRAMS: readonly string[] = [METRIC_NAMES.pingDuration, ISTIO_METRICS.duration];

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

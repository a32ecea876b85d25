import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { CHARTS, localChartDir, type ChartRef } from "../components/charts";
import { fullKey as k, problem } from "./key";
import { rule, type Rule } from "./rule";
import type { ConfigKey, Values } from "./table";

/** Cross-field rules of how the stack installs its software: local charts, an external istiod's webhooks. */

/** A chart the stack installs, at the version the key `pinnedBy` sets. */
export interface InstalledChart {
  chart: string;
  version: string;
  pinnedBy: ConfigKey;
}

/** The keys that decide which charts the stack installs, and at which versions. */
const INSTALLING = [
  "istioVersion",
  "monitoring",
  "prometheusStackVersion",
  "tracing",
  "jaegerChartVersion",
  "kiali",
  "kialiChartVersion",
  "canaryAnalysis",
  "argoRolloutsChartVersion",
] as const;

/**
 * Every chart the stack installs, each once (the egress gateway is Istio's `gateway` chart again,
 * at istioVersion). What the components install with these settings; the whole-program tests
 * compare the two.
 */
export function installedCharts(v: Pick<Values, (typeof INSTALLING)[number]>): InstalledChart[] {
  const at = (ref: ChartRef, pinnedBy: (typeof INSTALLING)[number] & `${string}Version`) => ({
    chart: ref.chart,
    version: v[pinnedBy],
    pinnedBy,
  });
  return [
    ...[CHARTS.istioBase, CHARTS.istiod, CHARTS.istioCni, CHARTS.istioGateway].map((ref) =>
      at(ref, "istioVersion"),
    ),
    ...(v.monitoring === "install" ? [at(CHARTS.prometheusStack, "prometheusStackVersion")] : []),
    ...(v.tracing === "jaeger" ? [at(CHARTS.jaeger, "jaegerChartVersion")] : []),
    ...(v.kiali ? [at(CHARTS.kiali, "kialiChartVersion")] : []),
    ...(v.canaryAnalysis ? [at(CHARTS.argoRollouts, "argoRolloutsChartVersion")] : []),
  ];
}

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * The chart source's problems: read on the machine that runs the program, which is where Helm
 * (inside the Kubernetes provider) loads local charts from. One line per chart it lacks.
 */
export function chartSourceProblems(source: string, charts: InstalledChart[]): string[] {
  const layout = "unpacked Helm charts laid out as <chart>/<version>/";
  if (!isDirectory(source))
    return [problem("chartSource", source, `a directory of ${layout}; there is none`)];
  return charts.flatMap(({ chart, version, pinnedBy }) => {
    const dir = localChartDir(source, chart, version);
    const file = join(dir, "Chart.yaml");
    if (existsSync(file)) return [];
    const expected = `the ${chart} chart at ${k(pinnedBy)} ${version} unpacked in ${dir}; ${file} does not exist`;
    return [problem("chartSource", source, expected)];
  });
}

export const INSTALL_RULES: Rule[] = [
  rule(["chartSource", ...INSTALLING], (v) =>
    v.chartSource === undefined ? [] : chartSourceProblems(v.chartSource, installedCharts(v)),
  ),
  // The webhooks must trust the external istiod's serving certificate; a CA alone points nowhere.
  rule(["istioWebhookUrl", "istioWebhookCaBundle"], (v) => [
    v.istioWebhookUrl !== undefined &&
      v.istioWebhookCaBundle === undefined &&
      problem(
        "istioWebhookCaBundle",
        undefined,
        `the PEM of the CA that signed the serving certificate of the istiod at ${k("istioWebhookUrl")}, because it is set`,
      ),
    v.istioWebhookUrl === undefined &&
      v.istioWebhookCaBundle !== undefined &&
      problem("istioWebhookCaBundle", v.istioWebhookCaBundle, `unset unless ${k("istioWebhookUrl")} is set`),
  ]),
];

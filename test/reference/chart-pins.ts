/**
 * The Helm charts `npm run upstream:fetch` puts in the chart cache (fetch-charts.ts): every chart the
 * program installs, at the version the settings table pins by default, from the repository the
 * components install it from. Nothing here names a chart, a version or a repository itself: they
 * come from stacks/ (installedCharts, the defaults) and components/charts.ts (CHARTS).
 */
import { dirname, join } from "node:path";
import { CHARTS } from "../../components/charts";
import { ENVIRONMENTS } from "../../stacks/key";
import { installedCharts } from "../../stacks/rules-install";
import { DEFAULTS, type Values } from "../../stacks/table";
import { toolsCache } from "../cluster/tools";

/** A chart at a version, and the Helm repository (its URL, serving `index.yaml`) to take it from. */
export interface ChartPin {
  chart: string;
  version: string;
  repository: string;
}

/**
 * The chart cache: `<dir>/<chart>/<version>/Chart.yaml`, beside the cluster tier's tools (the same
 * folder test/cluster/charts.ts searches).
 */
export function defaultChartsDir(): string {
  return join(dirname(toolsCache()), "charts");
}

/**
 * Every chart some environment installs with its defaults (dev installs every add-on), each once.
 * Throws when a chart's version key has no default, since there is then nothing to fetch.
 */
export function pinnedCharts(): ChartPin[] {
  const pins = new Map<string, ChartPin>();
  for (const environment of ENVIRONMENTS) {
    for (const { chart, version, pinnedBy } of installedCharts(DEFAULTS[environment] as Values)) {
      if (typeof version !== "string") {
        throw new Error(
          `settings: ${pinnedBy} has no default in ${environment}, so no chart version to fetch`,
        );
      }
      const ref = Object.values(CHARTS).find((c) => c.chart === chart);
      if (!ref) throw new Error(`components/charts.ts: CHARTS has no chart ${chart}`);
      pins.set(`${chart}@${version}`, { chart, version, repository: ref.repository });
    }
  }
  return [...pins.values()];
}

const SEGMENT = /^[\w.+-]+$/;

/** Throws on a list that could write outside the chart cache or twice to one directory. */
export function checkPins(pins: readonly ChartPin[]): void {
  const seen = new Set<string>();
  for (const { chart, version, repository } of pins) {
    for (const segment of [chart, version]) {
      if (!SEGMENT.test(segment) || segment.startsWith(".")) {
        throw new Error(`charts: ${JSON.stringify(segment)} is not a chart name or version`);
      }
    }
    if (!/^https?:\/\/[^/]/.test(repository)) {
      throw new Error(`charts: ${chart} ${version}: ${JSON.stringify(repository)} is not an http(s) URL`);
    }
    if (seen.has(`${chart}/${version}`)) throw new Error(`charts: ${chart} ${version} is listed twice`);
    seen.add(`${chart}/${version}`);
  }
}

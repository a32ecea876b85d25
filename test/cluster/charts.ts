import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../support/process";
import { toolsCache } from "./tools";

/**
 * Local chart sources for the tier, laid out as the `chartSource` setting expects
 * (`<dir>/<chart>/<version>/`). On CI they come from ../shared/chart-sources (each pinned chart with
 * its dependencies unpacked); for users, from `npm run upstream:fetch`, which puts the pinned chart
 * archives, unpacked, in the cache. Where the pinned version has no source but a source of the same
 * minor line exists (Istio's charts: the newest 1.31 source stands in for the pinned 1.31.x), that
 * one stands in, and the tier says so.
 */

export interface ChartSource {
  chart: string;
  pinned: string;
  /** The directory used. */
  dir: string;
  /** The version of that directory, when it is not the pinned one. */
  standIn?: string;
}

export function chartRoots(): string[] {
  return [
    path.resolve(ROOT, "..", "shared", "chart-sources"),
    path.join(path.dirname(toolsCache()), "charts"),
  ];
}

function minorLine(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

/** The source directory of `chart` at `version`, or of the newest version of its minor line. */
export function findChart(chart: string, version: string, roots = chartRoots()): ChartSource | undefined {
  for (const root of roots) {
    const exact = path.join(root, chart, version);
    if (existsSync(path.join(exact, "Chart.yaml"))) return { chart, pinned: version, dir: exact };
  }
  for (const root of roots) {
    const dir = path.join(root, chart);
    if (!existsSync(dir)) continue;
    const line = readdirSync(dir)
      .filter((v) => minorLine(v) === minorLine(version) && existsSync(path.join(dir, v, "Chart.yaml")))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const newest = line.at(-1);
    if (newest) return { chart, pinned: version, dir: path.join(dir, newest), standIn: newest };
  }
  return undefined;
}

/**
 * A directory in the `chartSource` layout whose `<chart>/<pinned version>` entries link to the
 * sources found, for every chart the stack pins; throws naming what is missing.
 */
export function chartFarm(dir: string, pins: Array<{ chart: string; version: string }>): ChartSource[] {
  const found: ChartSource[] = [];
  const missing: string[] = [];
  for (const { chart, version } of pins) {
    if (found.some((f) => f.chart === chart && f.pinned === version)) continue;
    const source = findChart(chart, version);
    if (!source) {
      missing.push(`${chart} ${version}`);
      continue;
    }
    mkdirSync(path.join(dir, chart), { recursive: true });
    symlinkSync(source.dir, path.join(dir, chart, version));
    found.push(source);
  }
  if (missing.length) {
    throw new Error(
      `no local chart source for ${missing.join(", ")}: looked in ${chartRoots().join(" and ")}; run npm run upstream:fetch`,
    );
  }
  return found;
}

export function describeSources(sources: ChartSource[]): string[] {
  return sources.map((s) =>
    s.standIn
      ? `chart ${s.chart} ${s.pinned}: source ${s.standIn} stands in (${path.relative(ROOT, s.dir)})`
      : `chart ${s.chart} ${s.pinned}: ${path.relative(ROOT, s.dir)}`,
  );
}

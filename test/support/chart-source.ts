import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A chart source as the `chartSource` setting expects it, made by a test: a temporary directory
 * holding `<chart>/<version>/Chart.yaml` for each chart given. The charts are empty (a Chart.yaml
 * only): enough for the settings' check and for renders under mocks, which never load them.
 */

export interface ChartDir {
  chart: string;
  version: string;
}

export interface ChartSource {
  dir: string;
  /** The directory the chart at the version is expected in. */
  path(chart: string, version: string): string;
  /** Adds charts after the fact. */
  add(charts: ChartDir[]): void;
  remove(): void;
}

export function makeChartSource(charts: ChartDir[]): ChartSource {
  const dir = mkdtempSync(join(tmpdir(), "pingpong-charts-"));
  const path = (chart: string, version: string) => join(dir, chart, version);
  const add = (more: ChartDir[]) => {
    for (const { chart, version } of more) {
      mkdirSync(path(chart, version), { recursive: true });
      writeFileSync(
        join(path(chart, version), "Chart.yaml"),
        `apiVersion: v2\nname: ${chart}\nversion: ${version}\n`,
      );
    }
  };
  add(charts);
  return { dir, path, add, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The chart half of `npm run upstream:fetch` (fetch.ts): every Helm chart the program installs
 * (chart-pins.ts), unpacked as `<chart cache>/<chart>/<version>/`, the layout the cluster tier
 * (test/cluster/charts.ts) and the `chartSource` setting read. Per chart: the repository's
 * `index.yaml`, the archive it lists for the version, checked against the index's sha256 digest
 * before anything is unpacked. A chart already in place (its Chart.yaml names the chart at the
 * version) is not downloaded again. The archives keep their dependencies under `charts/` as .tgz,
 * which Helm installs as they are.
 */
import { join, resolve } from "node:path";
import { checkPins, pinnedCharts, type ChartPin } from "./chart-pins";
import { download, FileError, sha256, UnreachableError } from "./download";
import { chartYaml, findEntry, indexUrl, readIndex, unpackChart, type HelmIndex } from "./helm-repo";
import { shownDir } from "./report";

export interface ChartFetchOptions {
  /** The chart cache to fill. */
  dir: string;
  /** Default: every chart the program installs, at its pinned version. */
  charts?: readonly ChartPin[];
  /** Per request, headers and body included (a repository's index can run to tens of megabytes). */
  timeoutMs?: number;
  /** Progress lines (one per chart, then a summary). */
  log?: (line: string) => void;
  /** One line per failed chart. */
  error?: (line: string) => void;
}

export interface ChartFetchSummary {
  charts: number;
  /** Charts downloaded and unpacked by this run. */
  unpacked: number;
  /** Charts already in place. */
  present: number;
  /** Files downloaded: indexes and archives. */
  downloads: number;
  /** `<chart> <version>` of each chart that failed; empty when the run succeeded. */
  failures: string[];
}

interface ChartOutcome {
  pin: ChartPin;
  status: "present" | "unpacked" | "failed";
  /** The archive unpacked. */
  url?: string;
}

const label = ({ chart, version }: ChartPin) => `${chart} ${version}`;

/**
 * Fills `options.dir` with `options.charts`. Resolves with a summary (failures included); rejects
 * with an UnreachableError when a repository's host cannot be reached.
 */
export async function fetchCharts(options: ChartFetchOptions): Promise<ChartFetchSummary> {
  const dir = resolve(options.dir);
  const charts = options.charts ?? pinnedCharts();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const error = options.error ?? ((line: string) => console.error(line));
  checkPins(charts);

  const stop = new AbortController();
  let unreachable: UnreachableError | undefined;
  let downloads = 0;
  const get = async (url: string): Promise<Buffer> => {
    const data = await download(url, timeoutMs, stop.signal);
    downloads++;
    return data;
  };

  // One index per repository, downloaded and parsed once for all its charts (Istio's four).
  const indexes = new Map<string, Promise<HelmIndex>>();
  const indexOf = (repository: string): Promise<HelmIndex> => {
    let index = indexes.get(repository);
    if (!index) {
      index = get(indexUrl(repository)).then((data) => readIndex(data.toString("utf8"), repository));
      indexes.set(repository, index);
    }
    return index;
  };

  // The archive from the first URL that answers; an HTTP error moves on to the next one listed.
  const archive = async (urls: string[]): Promise<{ url: string; data: Buffer }> => {
    const errors: string[] = [];
    for (const url of urls) {
      try {
        return { url, data: await get(url) };
      } catch (err) {
        if (!(err instanceof FileError)) throw err;
        errors.push(err.message);
      }
    }
    throw new FileError(errors.join("; "));
  };

  const settle = async (pin: ChartPin): Promise<ChartOutcome> => {
    const found = await chartYaml(join(dir, pin.chart, pin.version));
    if (found?.name === pin.chart && found.version === pin.version) return { pin, status: "present" };
    try {
      const entry = findEntry(await indexOf(pin.repository), pin.chart, pin.version);
      const { url, data } = await archive(entry.urls);
      const actual = sha256(data);
      if (actual !== entry.digest) {
        throw new FileError(
          `digest mismatch for ${url}: ${indexUrl(pin.repository)} lists sha256 ${entry.digest}, got ${actual}; not unpacked`,
        );
      }
      await unpackChart(data, dir, pin.chart, pin.version);
      return { pin, status: "unpacked", url };
    } catch (err) {
      if (err instanceof UnreachableError) {
        unreachable ??= err;
        stop.abort();
      } else if (!stop.signal.aborted) {
        error(`chart ${label(pin)}: ${(err as Error).message}`);
      }
      return { pin, status: "failed" };
    }
  };

  const outcomes = await Promise.all(charts.map(settle));
  if (unreachable) throw unreachable;

  for (const { pin, status, url } of outcomes) {
    const what =
      status === "unpacked" ? `unpacked from ${url}` : status === "present" ? "already present" : "failed";
    log(`  chart ${label(pin)}: ${what}`);
  }
  const summary: ChartFetchSummary = {
    charts: charts.length,
    unpacked: outcomes.filter((o) => o.status === "unpacked").length,
    present: outcomes.filter((o) => o.status === "present").length,
    downloads,
    failures: outcomes.filter((o) => o.status === "failed").map((o) => label(o.pin)),
  };
  log(chartSummaryLine(summary, dir));
  return summary;
}

export function chartSummaryLine(summary: ChartFetchSummary, dir: string): string {
  const shown = shownDir(dir);
  const counts = `${summary.unpacked} unpacked (${summary.downloads} downloads), ${summary.present} already present`;
  if (summary.failures.length > 0) {
    return (
      `upstream:fetch: ${summary.failures.length} of ${summary.charts} charts failed (${counts}); ` +
      `${shown} lacks ${summary.failures.join(", ")}`
    );
  }
  return `upstream:fetch: ${summary.charts} charts in ${shown}: ${counts}`;
}

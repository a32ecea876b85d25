/**
 * A Helm repository on a loopback port for the chart fetch tests: chart archives packed in the test
 * with the real `tar`, an `index.yaml` listing them as Helm writes one, and the chart cache of the
 * current test.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChartPin } from "./chart-pins";
import { sha256 } from "./download";
import { fetchCharts, type ChartFetchOptions, type ChartFetchSummary } from "./fetch-charts";
import { useFileServer, type FileServer } from "./file-server";

/**
 * A chart archive as `helm package` makes one: `<chart>/Chart.yaml`, `values.yaml`, a template and
 * a dependency kept packed under `charts/`. `top` names the archive's top folder (default: the chart).
 */
export function packChart(chart: string, version: string, top = chart): Buffer {
  const tmp = mkdtempSync(join(tmpdir(), "chart-pack-"));
  try {
    const dir = join(tmp, top);
    mkdirSync(join(dir, "templates"), { recursive: true });
    mkdirSync(join(dir, "charts"));
    writeFileSync(join(dir, "Chart.yaml"), `apiVersion: v2\nname: ${chart}\nversion: ${version}\n`);
    writeFileSync(join(dir, "values.yaml"), `replicaCount: 1\n`);
    writeFileSync(join(dir, "templates", "cm.yaml"), "kind: ConfigMap\n");
    writeFileSync(join(dir, "charts", "dep-0.1.0.tgz"), DEPENDENCY);
    execFileSync("tar", ["-czf", join(tmp, "chart.tgz"), "-C", tmp, top]);
    return readFileSync(join(tmp, "chart.tgz"));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Stands for a packed dependency: its bytes must arrive unchanged. */
export const DEPENDENCY = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]);

/** One version of a chart in the index: archive URLs as listed (relative or absolute) and its digest. */
export interface Listed {
  chart: string;
  version: string;
  urls: string[];
  digest: string;
}

/** `index.yaml` as Helm writes it (entries per chart, newest first; digests as plain hex). */
export function indexYaml(listed: Listed[]): string {
  const charts = [...new Set(listed.map((l) => l.chart))];
  const lines = ["apiVersion: v1", "entries:"];
  for (const chart of charts) {
    lines.push(`  ${chart}:`);
    for (const { version, urls, digest } of listed.filter((l) => l.chart === chart)) {
      lines.push(
        "  - apiVersion: v2",
        "    created: 2026-01-02T03:04:05.000000006Z",
        `    description: The ${chart} chart`,
        `    digest: ${digest}`,
        `    name: ${chart}`,
        "    urls:",
        ...urls.map((u) => `    - ${u}`),
        `    version: ${version}`,
      );
    }
  }
  lines.push("generated: 2026-01-02T03:04:05.000000006Z", "");
  return lines.join("\n");
}

export interface ChartRun {
  summary: ChartFetchSummary;
  log: string[];
  errors: string[];
}

export interface ChartRepo {
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** The chart cache of the current test, empty at its start and removed after it. */
  readonly dir: string;
  /** Request paths since the test started or since `clearRequests`. */
  readonly requests: readonly string[];
  clearRequests(): void;
  /** Serves `body` at `path` until the test ends. */
  serve(path: string, body: string | Buffer): void;
  /** Fetches `charts` into `dir`, quietly. */
  run(charts: ChartPin[], options?: Partial<ChartFetchOptions>): Promise<ChartRun>;
  /** Every file under `dir`, relative, sorted. */
  listFiles(): string[];
}

/** Starts the repository server for the calling test file and gives each test an empty chart cache. */
export function useChartRepo(): ChartRepo {
  const served = new Map<string, string | Buffer>();
  const repo = useFileServer({
    prefix: "chart-cache-",
    lookup: (path) => served.get(path),
    contentType: "application/octet-stream",
    reset: () => served.clear(),
  });
  const own: Omit<ChartRepo, keyof FileServer> = {
    serve: (path, body) => {
      served.set(path, body);
    },
    run: async (charts, options = {}) => {
      const log: string[] = [];
      const errors: string[] = [];
      const summary = await fetchCharts({
        dir: repo.dir,
        charts,
        log: (line) => log.push(line),
        error: (line) => errors.push(line),
        ...options,
      });
      return { summary, log, errors };
    },
  };
  return Object.assign(repo, own);
}

/** Where publishStable serves the repository, and its archives. */
export const STABLE = {
  repository: "/stable",
  demo: { chart: "demo", version: "1.2.0", path: "/stable/demo-1.2.0.tgz", listed: "demo-1.2.0.tgz" },
  other: { chart: "other", version: "0.3.0", path: "/downloads/other-0.3.0.tgz" },
} as const;

/**
 * The repository most tests serve at `<base>/stable`: demo 1.2.0 listed by a URL relative to the
 * repository (after a newer demo the test does not ask for), other 0.3.0 by an absolute URL on
 * another path. Returns the pins of both and their archives.
 */
export function publishStable(repo: ChartRepo): { pins: ChartPin[]; demo: Buffer; other: Buffer } {
  const { demo, other } = STABLE;
  const repository = `${repo.baseUrl}${STABLE.repository}`;
  const archives = {
    demo: packChart(demo.chart, demo.version),
    other: packChart(other.chart, other.version),
  };
  repo.serve(demo.path, archives.demo);
  repo.serve(other.path, archives.other);
  repo.serve(
    `${STABLE.repository}/index.yaml`,
    indexYaml([
      { chart: demo.chart, version: "1.3.0", urls: ["demo-1.3.0.tgz"], digest: "0".repeat(64) },
      { chart: demo.chart, version: demo.version, urls: [demo.listed], digest: sha256(archives.demo) },
      {
        chart: other.chart,
        version: other.version,
        urls: [`${repo.baseUrl}${other.path}`],
        digest: sha256(archives.other),
      },
    ]),
  );
  return {
    pins: [demo, other].map(({ chart, version }) => ({ chart, version, repository })),
    ...archives,
  };
}

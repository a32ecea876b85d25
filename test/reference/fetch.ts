/**
 * `npm run upstream:fetch -- [--dir DIR] [--base-url URL] [--charts-dir DIR]`: fills
 * `.cache/reference` (or --dir) with the upstream reference data pinned in sources.ts, in the layout
 * test/support/reference.ts expects: `upstream/...`, `schemas/crds/...` and an
 * `upstream/MANIFEST.tsv` (path relative to `upstream/`, source URL, sha256) written last, only
 * when every file is in place. Then fills the chart cache (or --charts-dir) with every Helm chart
 * the program installs, unpacked, for the cluster tier (fetch-charts.ts).
 *
 * Every download is checked against its pinned sha256 before anything is written; files already
 * present with the right checksum are not downloaded again.
 */
import { resolve } from "node:path";
import {
  checkSources,
  checksumsOf,
  expectedOf,
  pathOf,
  prepare,
  writeAtomically,
  writeManifest,
} from "./cache";
import { defaultChartsDir } from "./chart-pins";
import { meshFieldsJson, minKubernetesJson, minKubernetesMinor, protoMessageFields } from "./derive";
import {
  DEFAULT_BASE_URL,
  downloadVerified,
  FileError,
  rawUrl,
  sha256,
  sourceLabel,
  UnreachableError,
} from "./download";
import { fetchCharts } from "./fetch-charts";
import { describeGroup, group, summaryLine, type FetchSummary, type Outcome } from "./report";
import { inputsOf, SOURCES, type GitHubFile, type ReferenceFile } from "./sources";

export type { FetchSummary } from "./report";

/** Overrides the base URL, e.g. for a mirror of raw.githubusercontent.com. */
export const BASE_URL_ENV = "PINGPONG_UPSTREAM_BASE_URL";
export const DEFAULT_DIR = resolve(__dirname, "..", "..", ".cache", "reference");

export interface FetchOptions {
  /** The reference directory to fill. */
  dir: string;
  sources?: readonly ReferenceFile[];
  baseUrl?: string;
  /** Per request, headers and body included. */
  timeoutMs?: number;
  /** Downloads in flight at once. */
  concurrency?: number;
  /** Progress lines (one per group of files, then a summary). */
  log?: (line: string) => void;
  /** One line per failed file. */
  error?: (line: string) => void;
}

/**
 * Fills `options.dir` with `options.sources` (default: every pinned file). Resolves with a summary
 * (failures included); rejects with an UnreachableError when the host cannot be reached.
 */
export async function fetchReference(options: FetchOptions): Promise<FetchSummary> {
  const dir = resolve(options.dir);
  const sources = options.sources ?? SOURCES;
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const error = options.error ?? ((line: string) => console.error(line));
  checkSources(sources);

  const present = await prepare(dir, sources);

  const stop = new AbortController();
  let unreachable: UnreachableError | undefined;
  const get = (input: GitHubFile): Promise<Buffer> =>
    downloadVerified(input, baseUrl, timeoutMs, stop.signal);

  const produce = async (file: ReferenceFile): Promise<Buffer | string> => {
    switch (file.kind) {
      case "copy":
        return get(file.source);
      case "mesh-fields": {
        const texts = await Promise.all(
          file.messages.map(async (m) => (await get(m.source)).toString("utf8")),
        );
        const messages = file.messages.map(({ message }, i) => ({
          message,
          fields: protoMessageFields(texts[i], message),
        }));
        return meshFieldsJson(sourceLabel(file.messages[0].source), messages);
      }
      case "min-kubernetes": {
        const texts = await Promise.all(
          file.versions.map(async (v) => (await get(v.source)).toString("utf8")),
        );
        return minKubernetesJson(
          file.versions.map(({ version }, i) => ({ version, minor: minKubernetesMinor(texts[i]) })),
        );
      }
    }
  };

  const settle = async (file: ReferenceFile, index: number): Promise<Outcome> => {
    const inputs = inputsOf(file);
    const unverified = checksumsOf(file).includes(undefined);
    if (present[index]) {
      return { file, status: "present", downloads: 0, unverified, sha256: expectedOf(file) };
    }
    try {
      const data = await produce(file);
      const actual = sha256(data);
      if (file.kind !== "copy" && file.sha256 !== undefined && actual !== file.sha256) {
        throw new FileError(
          `derived from ${inputs.map((f) => rawUrl(f, baseUrl)).join(" ")}: expected sha256 ${file.sha256}, got ${actual}`,
        );
      }
      await writeAtomically(pathOf(dir, file.dest), data);
      return { file, status: "written", downloads: inputs.length, unverified, sha256: actual };
    } catch (err) {
      if (err instanceof UnreachableError) {
        unreachable ??= err;
        stop.abort();
      } else if (!stop.signal.aborted) {
        error(`${file.dest}: ${(err as Error).message}`);
      }
      return { file, status: "failed", downloads: 0, unverified };
    }
  };

  // A small pool: a few downloads at once, and none started once the host proved unreachable.
  const outcomes: Outcome[] = new Array<Outcome>(sources.length);
  let next = 0;
  const worker = async () => {
    while (next < sources.length && !stop.signal.aborted) {
      const index = next++;
      outcomes[index] = await settle(sources[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  if (unreachable) throw unreachable;

  const groups = new Map<string, Outcome[]>();
  for (const outcome of outcomes) {
    const name = group(outcome.file);
    groups.set(name, [...(groups.get(name) ?? []), outcome]);
  }
  for (const [name, members] of groups) log(`  ${name}: ${describeGroup(members)}`);

  const summary: FetchSummary = {
    files: sources.length,
    written: outcomes.filter((o) => o.status === "written").length,
    present: outcomes.filter((o) => o.status === "present").length,
    downloads: outcomes.reduce((n, o) => n + o.downloads, 0),
    unverified: outcomes.filter((o) => o.unverified && o.status !== "failed").map((o) => o.file.dest),
    failures: outcomes.filter((o) => o.status === "failed").map((o) => o.file.dest),
  };
  if (summary.failures.length === 0) {
    await writeManifest(dir, outcomes);
  }
  log(summaryLine(summary, dir));
  return summary;
}

const USAGE = "usage: npm run upstream:fetch -- [--dir DIR] [--base-url URL] [--charts-dir DIR]";

export interface Args {
  dir: string;
  baseUrl: string;
  chartsDir: string;
}

const FLAGS = ["--dir", "--base-url", "--charts-dir"];

/**
 * `--dir DIR`, `--base-url URL` (default $PINGPONG_UPSTREAM_BASE_URL, then GitHub's raw host) and
 * `--charts-dir DIR` (default: the chart cache beside the cluster tier's tools).
 */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Args {
  const parsed = {
    dir: DEFAULT_DIR,
    baseUrl: env[BASE_URL_ENV] || DEFAULT_BASE_URL,
    chartsDir: defaultChartsDir(),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (!FLAGS.includes(flag)) throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
    const value = inline ?? argv[++i];
    if (!value) throw new Error(`${flag} needs a value; ${USAGE}`);
    if (flag === "--dir") parsed.dir = resolve(value);
    else if (flag === "--charts-dir") parsed.chartsDir = resolve(value);
    else parsed.baseUrl = value;
  }
  if (!/^https?:\/\/[^/]/.test(parsed.baseUrl)) {
    throw new Error(`base URL ${JSON.stringify(parsed.baseUrl)} is not an http(s) URL`);
  }
  return parsed;
}

/** Runs `step`; 0 when it succeeded, 1 when it reported failures or stopped (with one line). */
async function exitCode(step: () => Promise<{ failures: string[] }>): Promise<number> {
  try {
    return (await step()).failures.length === 0 ? 0 : 1;
  } catch (err) {
    console.error(`upstream:fetch: ${(err as Error).message}`);
    return 1;
  }
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`upstream:fetch: ${(err as Error).message}`);
    return 2;
  }
  // The charts come from other hosts than the reference data: fetched whatever became of it.
  const reference = await exitCode(() => fetchReference(args));
  const charts = await exitCode(() => fetchCharts({ dir: args.chartsDir }));
  return Math.max(reference, charts);
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`upstream:fetch: ${String(err)}`);
      process.exit(1);
    },
  );
}

/**
 * `npm run upstream:fetch -- [--dir DIR] [--base-url URL]`: fills `.cache/reference` (or DIR)
 * with the upstream reference data pinned in sources.ts, in the layout test/support/reference.ts
 * expects: `upstream/...`, `schemas/crds/...` and an `upstream/MANIFEST.tsv` (path relative to
 * `upstream/`, source URL, sha256) written last, only when every file is in place.
 *
 * Every download is checked against its pinned sha256 before anything is written; files already
 * present with the right checksum are not downloaded again.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { meshFieldsJson, minKubernetesJson, minKubernetesMinor, protoMessageFields } from "./derive";
import { inputsOf, SOURCES, type GitHubFile, type ReferenceFile } from "./sources";

export const DEFAULT_BASE_URL = "https://raw.githubusercontent.com";
/** Overrides the base URL, e.g. for a mirror of raw.githubusercontent.com. */
export const BASE_URL_ENV = "PINGPONG_UPSTREAM_BASE_URL";
export const DEFAULT_DIR = resolve(__dirname, "..", "..", ".cache", "reference");
export const MANIFEST = join("upstream", "MANIFEST.tsv");
const MANIFEST_HEADER = "path\tsource\tsha256";

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

export interface FetchSummary {
  files: number;
  /** Files written by this run (downloaded or derived). */
  written: number;
  /** Files already present with the pinned checksum. */
  present: number;
  /** Upstream files downloaded (a derived file needs several). */
  downloads: number;
  /** Files (dest) written without a pinned checksum to check them against. */
  unverified: string[];
  /** One line per failed file; empty when the run succeeded. */
  failures: string[];
}

/** The host could not be reached at all: the run stops at the first such error. */
export class UnreachableError extends Error {
  constructor(host: string, reason: string) {
    super(`could not reach ${host}: ${reason}`);
    this.name = "UnreachableError";
  }
}

/** A failure of one file: the run goes on with the others. */
class FileError extends Error {}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `<base>/<owner>/<name>/<ref>/<path>`, each segment URL-encoded. */
export function rawUrl(file: GitHubFile, baseUrl: string = DEFAULT_BASE_URL): string {
  const segments = [...file.repository.split("/"), file.ref, ...file.path.split("/")];
  return `${baseUrl.replace(/\/+$/, "")}/${segments.map(encodeURIComponent).join("/")}`;
}

/** `owner/name@ref`, with a full commit shortened to 9 digits as the reference data names it. */
export function sourceLabel(file: GitHubFile): string {
  const ref = /^[0-9a-f]{40}$/.test(file.ref) ? file.ref.slice(0, 9) : file.ref;
  return `${file.repository}@${ref}`;
}

/** The pinned sha256 of the file written at `dest`, if any. */
function expectedOf(file: ReferenceFile): string | undefined {
  return file.kind === "copy" ? file.source.sha256 : file.sha256;
}

/** Every checksum pinned for a file: its sources' and, when derived, its own. */
function checksumsOf(file: ReferenceFile): (string | undefined)[] {
  const inputs = inputsOf(file).map((input) => input.sha256);
  return file.kind === "copy" ? inputs : [...inputs, file.sha256];
}

const DEST = /^(upstream|schemas\/crds)\/[\w.@+-]+(\/[\w.@+-]+)*$/;

function isDest(dest: string): boolean {
  return DEST.test(dest) && !dest.split("/").includes("..");
}

/** Throws on a list that could write outside the reference directory or twice to one file. */
export function checkSources(sources: readonly ReferenceFile[]): void {
  const seen = new Set<string>();
  for (const file of sources) {
    const { dest } = file;
    if (!isDest(dest)) {
      throw new Error(`sources: ${JSON.stringify(dest)} is not a path under upstream/ or schemas/crds/`);
    }
    if (dest === "upstream/MANIFEST.tsv") throw new Error(`sources: ${dest} is written by the script itself`);
    if (seen.has(dest)) throw new Error(`sources: ${dest} is listed twice`);
    seen.add(dest);
    for (const pinned of checksumsOf(file)) {
      if (pinned !== undefined && !/^[0-9a-f]{64}$/.test(pinned)) {
        throw new Error(`sources: ${dest}: ${JSON.stringify(pinned)} is not a sha256`);
      }
    }
  }
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Duck-typed: fetch's errors come from another realm under jest, so `instanceof Error` fails. */
function errorLike(value: unknown): value is ErrorLike {
  return typeof value === "object" && value !== null;
}

/** The one line naming the cause of a network failure (fetch wraps it in `fetch failed`). */
function networkReason(err: unknown, timeoutMs: number): string {
  if (errorLike(err) && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `no response within ${timeoutMs / 1000} s`;
  }
  let cause: unknown = err;
  while (errorLike(cause) && errorLike(cause.cause)) cause = cause.cause;
  // Several addresses tried (IPv4 and IPv6): an AggregateError with one error each.
  if (errorLike(cause) && Array.isArray(cause.errors) && errorLike(cause.errors[0])) cause = cause.errors[0];
  if (errorLike(cause) && typeof cause.message === "string" && cause.message !== "") return cause.message;
  if (errorLike(cause) && typeof cause.code === "string") return cause.code;
  return String(cause);
}

async function download(url: string, timeoutMs: number, stop: AbortSignal): Promise<Buffer> {
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    throw new UnreachableError(new URL(url).host, networkReason(err, timeoutMs));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new FileError(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  try {
    return Buffer.from(await response.arrayBuffer());
  } catch (err) {
    throw new UnreachableError(new URL(url).host, networkReason(err, timeoutMs));
  }
}

async function sha256OfFile(path: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(path));
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file in the same directory, so a reader never sees half a file. */
async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The files a manifest written by this script lists, as dests; none for any other manifest. */
async function previousDests(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, MANIFEST), "utf8").catch(() => "");
  const [header, ...rows] = text.split("\n").filter((line) => line !== "");
  if (header !== MANIFEST_HEADER) return [];
  return rows.map((row) =>
    relative(dir, join(dir, "upstream", row.split("\t")[0]))
      .split(sep)
      .join("/"),
  );
}

function group(file: ReferenceFile): string {
  return file.kind === "copy" ? sourceLabel(file.source) : file.dest;
}

interface Outcome {
  file: ReferenceFile;
  status: "present" | "written" | "failed";
  downloads: number;
  unverified: boolean;
  sha256?: string;
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
  const at = (dest: string) => join(dir, ...dest.split("/"));

  const present = await Promise.all(
    sources.map(async (file) => {
      const expected = expectedOf(file);
      return expected !== undefined && (await sha256OfFile(at(file.dest))) === expected;
    }),
  );

  // Files an earlier run wrote from pins that are gone: removed, so the data matches the list.
  const wanted = new Set(sources.map((file) => file.dest));
  for (const dest of await previousDests(dir)) {
    if (!wanted.has(dest) && isDest(dest)) await rm(at(dest), { force: true });
  }
  // Without a manifest, test/support/reference.ts does not take a half-filled directory for data.
  if (present.includes(false)) await rm(join(dir, MANIFEST), { force: true });

  const stop = new AbortController();
  let unreachable: UnreachableError | undefined;
  const get = async (input: GitHubFile): Promise<Buffer> => {
    const url = rawUrl(input, baseUrl);
    const data = await download(url, timeoutMs, stop.signal);
    const actual = sha256(data);
    if (input.sha256 !== undefined && actual !== input.sha256) {
      throw new FileError(`checksum mismatch for ${url}: expected sha256 ${input.sha256}, got ${actual}`);
    }
    return data;
  };

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
      await writeAtomically(at(file.dest), data);
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
    const rows = outcomes.map((o) => {
      const path = relative(join(dir, "upstream"), at(o.file.dest)).split(sep).join("/");
      const urls = inputsOf(o.file).map((f) => rawUrl(f));
      return [path, urls.join(" "), o.sha256 ?? ""].join("\t");
    });
    await writeAtomically(join(dir, MANIFEST), [MANIFEST_HEADER, ...rows, ""].join("\n"));
  }
  log(summaryLine(summary, dir));
  return summary;
}

function describeGroup(members: Outcome[]): string {
  const count = (status: Outcome["status"]) => members.filter((o) => o.status === status).length;
  const derived = members[0].file.kind !== "copy";
  const parts = [
    derived ? `derived from ${[...new Set(inputsOf(members[0].file).map(sourceLabel))].join(", ")}` : "",
    count("written") ? (derived ? "written" : `${count("written")} downloaded`) : "",
    count("present") ? (derived ? "already present" : `${count("present")} already present`) : "",
    count("failed") ? (derived ? "failed" : `${count("failed")} failed`) : "",
    members.some((o) => o.unverified && o.status !== "failed") ? "unverified (no sha256 pinned)" : "",
  ].filter((part) => part !== "");
  return derived
    ? parts.join(", ")
    : `${members.length} file${members.length === 1 ? "" : "s"}, ${parts.join(", ")}`;
}

function summaryLine(summary: FetchSummary, dir: string): string {
  const where = relative(process.cwd(), dir);
  const shown = where && !where.startsWith("..") && !isAbsolute(where) ? where : dir;
  const counts = `${summary.written} written (${summary.downloads} downloads), ${summary.present} already present`;
  const unverified = summary.unverified.length ? `, ${summary.unverified.length} unverified` : "";
  if (summary.failures.length > 0) {
    return (
      `upstream:fetch: ${summary.failures.length} of ${summary.files} files failed (${counts}${unverified}); ` +
      `no ${MANIFEST} written, so ${shown} is not used as reference data`
    );
  }
  return `upstream:fetch: ${summary.files} files in ${shown}: ${counts}${unverified}`;
}

const USAGE = "usage: npm run upstream:fetch -- [--dir DIR] [--base-url URL]";

/** `--dir DIR` and `--base-url URL` (default $PINGPONG_UPSTREAM_BASE_URL, then GitHub's raw host). */
export function parseArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { dir: string; baseUrl: string } {
  const parsed = { dir: DEFAULT_DIR, baseUrl: env[BASE_URL_ENV] || DEFAULT_BASE_URL };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (flag !== "--dir" && flag !== "--base-url") throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
    const value = inline ?? argv[++i];
    if (!value) throw new Error(`${flag} needs a value; ${USAGE}`);
    if (flag === "--dir") parsed.dir = resolve(value);
    else parsed.baseUrl = value;
  }
  if (!/^https?:\/\/[^/]/.test(parsed.baseUrl)) {
    throw new Error(`base URL ${JSON.stringify(parsed.baseUrl)} is not an http(s) URL`);
  }
  return parsed;
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let args: { dir: string; baseUrl: string };
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`upstream:fetch: ${(err as Error).message}`);
    return 2;
  }
  try {
    const summary = await fetchReference(args);
    return summary.failures.length === 0 ? 0 : 1;
  } catch (err) {
    console.error(`upstream:fetch: ${(err as Error).message}`);
    return 1;
  }
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

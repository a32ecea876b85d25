/**
 * A Helm repository as `npm run upstream:fetch` (fetch-charts.ts) reads it: `<repo>/index.yaml`,
 * whose entry for a chart version lists the archive's URLs (absolute, or relative to the repository)
 * and its `digest` (the archive's sha256); and an archive unpacked into the chart cache.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { FileError } from "./download";

interface YamlModule {
  load(text: string, options?: { schema?: unknown }): unknown;
  FAILSAFE_SCHEMA: unknown;
}
const yaml = createRequire(__filename)("js-yaml") as YamlModule;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * YAML with every scalar a string: a version such as `1.10` stays `1.10`, and the parse of a large
 * index (some repositories' run to tens of megabytes) resolves no types.
 */
function loadStrings(text: string, what: string): Json {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA });
  } catch (err) {
    throw new FileError(`${what} is not YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!isObject(doc)) throw new FileError(`${what} is not a YAML mapping`);
  return doc;
}

/** `<repo>/index.yaml`. */
export function indexUrl(repository: string): string {
  return `${repository.replace(/\/+$/, "")}/index.yaml`;
}

/** An archive URL of the index, resolved as Helm does: a relative one against the repository. */
export function archiveUrl(repository: string, url: string): string {
  let resolved: URL;
  try {
    resolved = new URL(url, repository.endsWith("/") ? repository : `${repository}/`);
  } catch {
    throw new FileError(
      `${indexUrl(repository)} lists the archive URL ${JSON.stringify(url)}, which is not a URL`,
    );
  }
  if (resolved.protocol !== "http:" && resolved.protocol !== "https:") {
    throw new FileError(
      `${indexUrl(repository)} lists the archive URL ${resolved.href}, which is not http(s)`,
    );
  }
  return resolved.href;
}

/** What the index lists for one chart version. */
export interface IndexEntry {
  /** Absolute archive URLs, in the index's order. */
  urls: string[];
  /** sha256 (hex) of the archive. */
  digest: string;
}

/** A repository's index: its URL and, per chart name, the list of its versions' entries. */
export interface HelmIndex {
  repository: string;
  entries: Json;
}

/** Parses the index `text` of `repository`; parsed once, it serves every chart of the repository. */
export function readIndex(text: string, repository: string): HelmIndex {
  const entries = loadStrings(text, indexUrl(repository)).entries;
  if (!isObject(entries)) throw new FileError(`${indexUrl(repository)} has no entries`);
  return { repository, entries };
}

/** The entry of `chart` at `version`; throws a FileError naming what the index lacks. */
export function findEntry({ repository, entries }: HelmIndex, chart: string, version: string): IndexEntry {
  const where = indexUrl(repository);
  const versions = entries[chart];
  if (!Array.isArray(versions)) throw new FileError(`${where} lists no chart ${chart}`);
  const entry: unknown = versions.find((e) => isObject(e) && e.version === version);
  if (!isObject(entry)) throw new FileError(`${where} lists no version ${version} of ${chart}`);
  const digest = typeof entry.digest === "string" ? entry.digest.replace(/^sha256:/, "") : undefined;
  if (digest === undefined || !/^[0-9a-f]{64}$/.test(digest)) {
    throw new FileError(
      `${where}: ${chart} ${version} has no sha256 digest, so its archive cannot be verified`,
    );
  }
  const urls = Array.isArray(entry.urls) ? entry.urls.filter((u): u is string => typeof u === "string") : [];
  if (urls.length === 0) throw new FileError(`${where}: ${chart} ${version} lists no archive URL`);
  return { digest, urls: urls.map((url) => archiveUrl(repository, url)) };
}

/** The `name` and `version` of the Chart.yaml in `dir`, if it has one that reads. */
export async function chartYaml(dir: string): Promise<{ name?: string; version?: string } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, "Chart.yaml"), "utf8");
  } catch {
    return undefined;
  }
  try {
    const { name, version } = loadStrings(text, "Chart.yaml");
    return {
      name: typeof name === "string" ? name : undefined,
      version: typeof version === "string" ? version : undefined,
    };
  } catch {
    return undefined;
  }
}

const run = promisify(execFile);

/** `tar` with `args`; a failure as one line: tar's first line of complaint, not its temporary paths. */
async function tar(args: string[]): Promise<void> {
  try {
    await run("tar", args);
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    const reason = (stderr?.trim() || message).split("\n")[0];
    throw new FileError(`tar ${args[0]}: ${reason}`);
  }
}

/**
 * Unpacks the chart archive `data` as `<dir>/<chart>/<version>`: into a temporary folder of `dir`
 * (the same file system), then its one top folder, once its Chart.yaml names the chart at the
 * version, renamed into place. A reader sees the whole chart or none; a directory already there
 * (another version's, or half an old one) is replaced.
 */
export async function unpackChart(data: Buffer, dir: string, chart: string, version: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(join(dir, ".unpack-"));
  try {
    const archive = join(tmp, "chart.tgz");
    const out = join(tmp, "out");
    await writeFile(archive, data);
    await mkdir(out);
    // Owners recorded in the archive mean nothing here (and would apply when run as root).
    await tar(["-xzf", archive, "--no-same-owner", "-C", out]);
    const top = await readdir(out);
    if (top.length !== 1 || !(await stat(join(out, top[0]))).isDirectory()) {
      throw new FileError(
        `the archive holds ${top.length === 1 ? "a file" : `${top.length} entries`} at its top, not one chart folder`,
      );
    }
    const found = await chartYaml(join(out, top[0]));
    if (found?.name !== chart || found.version !== version) {
      const says = found
        ? `${found.name ?? "no name"} ${found.version ?? "no version"}`
        : "no readable Chart.yaml";
      throw new FileError(`the archive's ${top[0]}/Chart.yaml says ${says}, not ${chart} ${version}`);
    }
    const dest = join(dir, chart, version);
    await mkdir(join(dir, chart), { recursive: true });
    await rm(dest, { recursive: true, force: true });
    await rename(join(out, top[0]), dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

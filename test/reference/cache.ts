/**
 * The reference directory `npm run upstream:fetch` (fetch.ts) fills: which paths a source list
 * may write, what is already there, atomic writes, and `upstream/MANIFEST.tsv`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { rawUrl, sha256 } from "./download";
import { inputsOf, type ReferenceFile } from "./sources";

export const MANIFEST = join("upstream", "MANIFEST.tsv");
const MANIFEST_HEADER = "path\tsource\tsha256";

/** The pinned sha256 of the file written at `dest`, if any. */
export function expectedOf(file: ReferenceFile): string | undefined {
  return file.kind === "copy" ? file.source.sha256 : file.sha256;
}

/** Every checksum pinned for a file: its sources' and, when derived, its own. */
export function checksumsOf(file: ReferenceFile): (string | undefined)[] {
  const inputs = inputsOf(file).map((input) => input.sha256);
  return file.kind === "copy" ? inputs : [...inputs, file.sha256];
}

const DEST = /^(upstream|schemas\/crds)\/[\w.@+-]+(\/[\w.@+-]+)*$/;

export function isDest(dest: string): boolean {
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

async function sha256OfFile(path: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(path));
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file in the same directory, so a reader never sees half a file. */
export async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
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

/** Where `dest` (a path with `/`) lives in `dir`. */
export function pathOf(dir: string, dest: string): string {
  return join(dir, ...dest.split("/"));
}

/**
 * Which of `sources` are already in `dir` with their pinned checksum. Removes the files an earlier
 * run wrote from pins that are gone, and the manifest when anything is still to be written.
 */
export async function prepare(dir: string, sources: readonly ReferenceFile[]): Promise<boolean[]> {
  const present = await Promise.all(
    sources.map(async (file) => {
      const expected = expectedOf(file);
      return expected !== undefined && (await sha256OfFile(pathOf(dir, file.dest))) === expected;
    }),
  );

  // Files an earlier run wrote from pins that are gone: removed, so the data matches the list.
  const wanted = new Set(sources.map((file) => file.dest));
  for (const dest of await previousDests(dir)) {
    if (!wanted.has(dest) && isDest(dest)) await rm(pathOf(dir, dest), { force: true });
  }
  // Without a manifest, test/support/reference.ts does not take a half-filled directory for data.
  if (present.includes(false)) await rm(join(dir, MANIFEST), { force: true });
  return present;
}

/** Writes the manifest of `dir`: per file, its path under `upstream/`, its source URLs and sha256. */
export async function writeManifest(
  dir: string,
  entries: readonly { file: ReferenceFile; sha256?: string }[],
): Promise<void> {
  const rows = entries.map(({ file, sha256 }) => {
    const path = relative(join(dir, "upstream"), pathOf(dir, file.dest)).split(sep).join("/");
    const urls = inputsOf(file).map((f) => rawUrl(f));
    return [path, urls.join(" "), sha256 ?? ""].join("\t");
  });
  await writeAtomically(join(dir, MANIFEST), [MANIFEST_HEADER, ...rows, ""].join("\n"));
}

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * Upstream reference data (chart values, istiod's injection template, Istio's API fields, strict
 * CRD schemas), laid out as `upstream/...` and `schemas/crds/...` under one directory. Found, in
 * order, at:
 *   1. $PINGPONG_REFERENCE_DIR
 *   2. ../shared beside the repository
 *   3. .cache/reference, filled by `npm run upstream:fetch` from the public sources
 * Tests that need it run under `describeWithReference`, which skips them when none is present.
 */
export const REPO_ROOT = resolve(__dirname, "../..");
export const REFERENCE_ENV = "PINGPONG_REFERENCE_DIR";
export const REFERENCE_CACHE = join(REPO_ROOT, ".cache", "reference");

export interface ReferenceLocation {
  /** The directory holding `upstream/` and `schemas/crds/`, or undefined when none was found. */
  dir: string | undefined;
  /** Where it was found, or every place that was looked at. */
  description: string;
}

/** A directory counts when it holds both halves of the data. */
function isReferenceDir(dir: string): boolean {
  return existsSync(join(dir, "upstream", "MANIFEST.tsv")) && existsSync(join(dir, "schemas", "crds"));
}

export function locateReference(env: NodeJS.ProcessEnv = process.env, root = REPO_ROOT): ReferenceLocation {
  const explicit = env[REFERENCE_ENV];
  if (explicit) {
    const dir = resolve(explicit);
    if (isReferenceDir(dir)) return { dir, description: `$${REFERENCE_ENV} (${dir})` };
    // An explicit directory that is not usable is a mistake to report, not a reason to look elsewhere.
    return {
      dir: undefined,
      description: `$${REFERENCE_ENV}=${explicit} holds no upstream/MANIFEST.tsv and schemas/crds/`,
    };
  }
  const candidates: [string, string][] = [
    [resolve(root, "..", "shared"), "../shared"],
    [join(root, ".cache", "reference"), ".cache/reference"],
  ];
  for (const [dir, label] of candidates) {
    if (isReferenceDir(dir)) return { dir, description: `${label} (${dir})` };
  }
  return { dir: undefined, description: candidates.map(([, label]) => label).join(", ") };
}

export const reference = locateReference();

/** The one line printed when reference-data tests are skipped. */
export function missingReferenceLine(location: ReferenceLocation = reference): string {
  return (
    `upstream reference data not found (looked at ${location.description}): tests against upstream ` +
    `charts, Istio's API and CRD schemas are skipped; run \`npm run upstream:fetch\` to fetch them`
  );
}

/** An absolute path inside the reference data; throws when the data is absent. */
export function referencePath(...segments: string[]): string {
  if (!reference.dir) throw new Error(missingReferenceLine());
  return join(reference.dir, ...segments);
}

export function readReference(...segments: string[]): string {
  const file = referencePath(...segments);
  if (!existsSync(file)) throw new Error(`reference data at ${reference.dir} has no ${segments.join("/")}`);
  return readFileSync(file, "utf8");
}

export function readReferenceJson<T = unknown>(...segments: string[]): T {
  return JSON.parse(readReference(...segments)) as T;
}

/**
 * `describe` when the reference data is present. Otherwise one skipped test stands for the block,
 * whose body is never run: a block may read the data while its tests are collected.
 */
export function describeWithReference(name: string, fn: () => void): void {
  if (reference.dir) describe(name, fn);
  else describe.skip(name, () => test.skip("needs the upstream reference data", () => undefined));
}

// Where test/support/reference.ts finds the reference data: $PINGPONG_REFERENCE_DIR, ../shared, .cache/reference.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { locateReference, REFERENCE_ENV } from "../support/reference";

let base: string;
let root: string;

/** A directory that holds both halves of the data. */
function referenceDir(dir: string): string {
  mkdirSync(join(dir, "upstream"), { recursive: true });
  mkdirSync(join(dir, "schemas", "crds"), { recursive: true });
  writeFileSync(join(dir, "upstream", "MANIFEST.tsv"), "path\tsource\tsha256\n");
  return dir;
}

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "reference-locate-"));
  root = join(base, "repo");
  mkdirSync(root);
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("locateReference", () => {
  it("prefers $PINGPONG_REFERENCE_DIR, then ../shared, then .cache/reference", () => {
    const cache = referenceDir(join(root, ".cache", "reference"));
    expect(locateReference({}, root).dir).toBe(cache);
    const shared = referenceDir(join(base, "shared"));
    expect(locateReference({}, root).dir).toBe(shared);
    const explicit = referenceDir(join(base, "elsewhere"));
    expect(locateReference({ [REFERENCE_ENV]: explicit }, root)).toEqual({
      dir: explicit,
      description: `$${REFERENCE_ENV} (${explicit})`,
    });
  });

  it("reports an unusable $PINGPONG_REFERENCE_DIR instead of falling back to another directory", () => {
    referenceDir(join(base, "shared"));
    const empty = join(base, "empty");
    mkdirSync(empty);
    expect(locateReference({ [REFERENCE_ENV]: empty }, root)).toEqual({
      dir: undefined,
      description: `$${REFERENCE_ENV}=${empty} holds no upstream/MANIFEST.tsv and schemas/crds/`,
    });
  });

  it("does not take a directory without a manifest (an unfinished fetch) for data", () => {
    referenceDir(join(root, ".cache", "reference"));
    rmSync(join(root, ".cache", "reference", "upstream", "MANIFEST.tsv"));
    expect(locateReference({}, root)).toEqual({ dir: undefined, description: "../shared, .cache/reference" });
  });
});

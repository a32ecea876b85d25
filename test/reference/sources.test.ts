// The pinned list in sources.ts, and (where the reference data is present) the list against the
// data: every pinned file there with its checksum, every file of the data pinned.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describeWithReference, readReference, referencePath } from "../support/reference";
import { checkSources } from "./cache";
import { sha256 } from "./download";
import { inputsOf, SOURCES, type GitHubFile, type ReferenceFile } from "./sources";

const isCommitPrefix = (ref: string) => /^[0-9a-f]{7,40}$/.test(ref);

describe("the pinned sources", () => {
  it("write each file once, inside upstream/ or schemas/crds/", () => {
    expect(() => checkSources(SOURCES)).not.toThrow();
  });

  it("pin a sha256 for every upstream file and every derived file", () => {
    const unpinned = SOURCES.flatMap((file) => [
      ...inputsOf(file)
        .filter((input) => input.sha256 === undefined)
        .map((input) => `${file.dest} <- ${input.repository}/${input.path}`),
      ...(file.kind !== "copy" && file.sha256 === undefined ? [file.dest] : []),
    ]);
    expect(unpinned).toEqual([]);
  });

  it("name each ref by a tag or a full commit, never an abbreviated one", () => {
    const abbreviated = SOURCES.flatMap(inputsOf)
      .filter((input) => isCommitPrefix(input.ref) && input.ref.length !== 40)
      .map((input) => `${input.repository}@${input.ref}`);
    expect(abbreviated).toEqual([]);
  });

  it("derive the mesh fields from MeshConfig and ProxyConfig of one istio/api commit", () => {
    const meshFields = SOURCES.find((file) => file.kind === "mesh-fields");
    expect(meshFields?.dest).toBe("upstream/istio-api/mesh-fields.json");
    const messages = meshFields?.kind === "mesh-fields" ? meshFields.messages : [];
    expect(messages.map((m) => m.message)).toEqual(["MeshConfig", "ProxyConfig"]);
    expect(new Set(messages.map((m) => `${m.source.repository}@${m.source.ref}`)).size).toBe(1);
  });
});

/** A reference MANIFEST.tsv: the shared one (path, repository, ref, path in source, license) or fetch.ts's (path, source, sha256). */
function readManifest(): { header: string[]; rows: string[][] } {
  const [header, ...rows] = readReference("upstream", "MANIFEST.tsv")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.split("\t"));
  return { header, rows };
}

/** A manifest path (relative to upstream/) as a sources.ts destination. */
function destOf(manifestPath: string): string {
  return relative(referencePath(), join(referencePath("upstream"), manifestPath))
    .split(sep)
    .join("/");
}

function filesUnder(...segments: string[]): string[] {
  const root = referencePath(...segments);
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(referencePath(), join(entry.parentPath, entry.name)).split(sep).join("/"));
}

describeWithReference("the pinned sources against the reference data", () => {
  const byDest = new Map<string, ReferenceFile>(SOURCES.map((file) => [file.dest, file]));

  it("have every copied file there, with its pinned sha256", () => {
    const problems = SOURCES.flatMap((file) => {
      if (file.kind !== "copy") return [];
      const path = referencePath(file.dest);
      if (!existsSync(path)) return [`${file.dest}: missing`];
      const actual = sha256(readFileSync(path));
      return actual === file.source.sha256
        ? []
        : [`${file.dest}: sha256 ${actual}, pinned ${file.source.sha256}`];
    });
    expect(problems).toEqual([]);
  });

  it("have every derived file there, with the keys its derivation writes", () => {
    for (const file of SOURCES) {
      if (file.kind === "copy") continue;
      const doc = JSON.parse(readFileSync(referencePath(file.dest), "utf8")) as Record<string, unknown>;
      const keys =
        file.kind === "mesh-fields"
          ? ["source", ...file.messages.map((m) => m.message)]
          : file.versions.map((v) => v.version);
      expect({ [file.dest]: Object.keys(doc) }).toEqual({ [file.dest]: keys });
    }
  });

  it("list every file of the manifest", () => {
    const unlisted = readManifest()
      .rows.map(([path]) => destOf(path))
      .filter((dest) => !byDest.has(dest));
    expect(unlisted).toEqual([]);
  });

  it("list every data file under upstream/", () => {
    const unlisted = filesUnder("upstream").filter(
      (dest) => !["upstream/MANIFEST.tsv", "upstream/README.md"].includes(dest) && !byDest.has(dest),
    );
    expect(unlisted).toEqual([]);
  });

  it("list every CRD schema", () => {
    const unlisted = filesUnder("schemas", "crds").filter(
      (dest) => dest !== "schemas/crds/LICENSE" && !byDest.has(dest),
    );
    expect(unlisted).toEqual([]);
  });

  it("agree with the manifest on each file's source", () => {
    const { header, rows } = readManifest();
    const problems: string[] = [];
    for (const [path, ...columns] of rows) {
      const file = byDest.get(destOf(path));
      if (!file) continue; // reported above
      const inputs = inputsOf(file);
      if (header[1] === "source repository") {
        // The shared manifest: repository, ref (a tag, or a commit abbreviated) and path in the source.
        const [repository, refs, sourcePath] = columns;
        const sameRef = (ref: string) => (input: GitHubFile) =>
          input.ref === ref || (isCommitPrefix(ref) && input.ref.startsWith(ref));
        if (!inputs.every((input) => input.repository === repository))
          problems.push(`${path}: repository ${repository}`);
        const listed = refs.split(/,\s*/);
        if (
          !listed.every((ref) => inputs.some(sameRef(ref))) ||
          !inputs.every((i) => listed.some((r) => sameRef(r)(i)))
        ) {
          problems.push(`${path}: ref ${refs}`);
        }
        if (file.kind === "copy" && file.source.path !== sourcePath)
          problems.push(`${path}: path ${sourcePath}`);
      } else {
        // fetch.ts's own manifest: the URLs it fetched from and the checksum of what it wrote.
        const [urls, written] = columns;
        const pinned = inputs.map(
          (i) => `https://raw.githubusercontent.com/${i.repository}/${i.ref}/${i.path}`,
        );
        if (urls !== pinned.join(" ")) problems.push(`${path}: source ${urls}`);
        const expected = file.kind === "copy" ? file.source.sha256 : file.sha256;
        if (expected !== undefined && written !== expected) problems.push(`${path}: sha256 ${written}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

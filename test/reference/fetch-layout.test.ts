// The fetch against the loopback upstream: the URLs it requests and the reference layout it writes
// (verbatim copies, the derived files, the manifest), as test/support/reference.ts reads it.
import { locateReference, REFERENCE_ENV } from "../support/reference";
import { MANIFEST } from "./cache";
import { rawUrl } from "./download";
import {
  CHART,
  EXPECTED_MESH_FIELDS,
  EXPECTED_MIN_KUBERNETES,
  MESH_FIELDS,
  MIN_KUBERNETES,
  SCHEMA,
  SHORT_COMMIT,
  SOURCES,
  UPSTREAM,
  VALUES,
  servedPath,
  sha,
  upstreamOf,
} from "./fixtures";
import { useUpstream } from "./loopback";
import { inputsOf, type ReferenceFile } from "./sources";

const upstream = useUpstream();

describe("rawUrl", () => {
  it("builds raw.githubusercontent.com URLs from a pin", () => {
    expect(
      rawUrl({ repository: "istio/istio", ref: "1.31.0-rc.0", path: "manifests/charts/base/Chart.yaml" }),
    ).toBe("https://raw.githubusercontent.com/istio/istio/1.31.0-rc.0/manifests/charts/base/Chart.yaml");
  });

  it("takes another base URL and encodes each segment", () => {
    expect(
      rawUrl({ repository: "a/b", ref: "v1", path: "dir/with space#.yaml" }, "http://127.0.0.1:9/mirror/"),
    ).toBe("http://127.0.0.1:9/mirror/a/b/v1/dir/with%20space%23.yaml");
  });
});

describe("fetchReference: URLs and layout", () => {
  it("downloads each pinned file once, from the URL its pin names", async () => {
    await upstream.run();
    const expected = SOURCES.flatMap((file) =>
      file.kind === "copy"
        ? [file.source]
        : file.kind === "mesh-fields"
          ? file.messages.map((m) => m.source)
          : file.versions.map((v) => v.source),
    ).map(servedPath);
    expect([...upstream.requests].sort()).toEqual([...expected].sort());
    // Every file the server holds is pinned exactly once.
    expect([...expected].sort()).toEqual(
      Object.keys(UPSTREAM)
        .map((path) => `/${path}`)
        .sort(),
    );
  });

  it("writes the reference layout: copies verbatim, the derived files, and a manifest", async () => {
    const { summary, log, errors } = await upstream.run();
    expect(errors).toEqual([]);
    expect(upstream.listFiles()).toEqual([...SOURCES.map((file) => file.dest), MANIFEST].sort());
    expect(locateReference({ [REFERENCE_ENV]: upstream.dir }).dir).toBe(upstream.dir);
    expect(upstream.read(VALUES.dest)).toBe(upstreamOf(VALUES.source));
    expect(upstream.read(SCHEMA.dest)).toBe(upstreamOf(SCHEMA.source));
    expect(upstream.read(MESH_FIELDS.dest)).toBe(EXPECTED_MESH_FIELDS);
    expect(upstream.read(MIN_KUBERNETES.dest)).toBe(EXPECTED_MIN_KUBERNETES);

    // Paths are relative to upstream/; sources are the public URLs, not the server's.
    const manifest = upstream.read(MANIFEST).split("\n");
    expect(manifest[0]).toBe("path\tsource\tsha256");
    expect(manifest).toContain(
      `charts/demo/1.2.0/values.yaml\t${rawUrl(VALUES.source)}\t${VALUES.source.sha256}`,
    );
    expect(manifest).toContain(
      `../schemas/crds/example.com/widget_v1.json\t${rawUrl(SCHEMA.source)}\t${SCHEMA.source.sha256}`,
    );
    expect(manifest).toContain(
      `istio-api/min-kubernetes.json\t${inputsOf(MIN_KUBERNETES)
        .map((input) => rawUrl(input))
        .join(" ")}\t` + sha(EXPECTED_MIN_KUBERNETES),
    );
    expect(manifest).toHaveLength(SOURCES.length + 2); // header and final newline

    const downloads = upstream.requests.length;
    expect(summary).toEqual({
      files: SOURCES.length,
      written: SOURCES.length,
      present: 0,
      downloads,
      unverified: [],
      failures: [],
    });
    expect(log).toEqual([
      "  acme/charts@demo-1.2.0: 2 files, 2 downloaded",
      `  acme/catalog@${SHORT_COMMIT}: 1 file, 1 downloaded`,
      `  upstream/istio-api/mesh-fields.json: derived from acme/api@${SHORT_COMMIT}, written`,
      "  upstream/istio-api/min-kubernetes.json: derived from acme/istio@1.0.0, acme/istio@1.1.0-rc.0, written",
      expect.stringMatching(
        new RegExp(
          `^upstream:fetch: ${SOURCES.length} files in \\S+: ${SOURCES.length} written \\(${downloads} downloads\\), 0 already present$`,
        ),
      ),
    ]);
  });

  it("writes, and says so, a file pinned without a checksum", async () => {
    const { sha256: _, ...unpinned } = CHART.source;
    const sources: ReferenceFile[] = [{ ...CHART, source: unpinned }, VALUES];
    const { summary, log } = await upstream.run({ sources });
    expect(summary).toMatchObject({
      written: sources.length,
      unverified: [CHART.dest],
      failures: [],
    });
    expect(log[0]).toBe("  acme/charts@demo-1.2.0: 2 files, 2 downloaded, unverified (no sha256 pinned)");
    expect(log.at(-1)).toMatch(/, 1 unverified$/);
    // The manifest records the checksum of what was written.
    expect(upstream.read(MANIFEST)).toContain(
      `charts/demo/1.2.0/Chart.yaml\t${rawUrl(unpinned)}\t${sha(upstreamOf(CHART.source))}\n`,
    );
  });
});

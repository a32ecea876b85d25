// The fetch when something goes wrong: a download or a derived file that does not match its pinned
// checksum, a missing upstream file, a host that refuses connections or never answers. A failed file
// is not written, and without every file in place no manifest is written either.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { locateReference, REFERENCE_ENV } from "../support/reference";
import { MANIFEST } from "./cache";
import { rawUrl, UnreachableError } from "./download";
import { fetchReference } from "./fetch";
import {
  CHART,
  MESH_FIELDS,
  MIN_KUBERNETES,
  PROXY_PROTO,
  SOURCES,
  VALUES,
  servedPath,
  sha,
} from "./fixtures";
import { closedPort, silentServer, useUpstream } from "./loopback";
import type { CopiedFile } from "./sources";

const upstream = useUpstream();

describe("fetchReference: checksums", () => {
  it("fails a file whose download does not match its checksum, writing nothing for it", async () => {
    const tampered = "replicaCount: 1000\n";
    upstream.override(servedPath(VALUES.source), tampered);
    const { summary, errors, log } = await upstream.run();
    expect(errors).toEqual([
      `${VALUES.dest}: checksum mismatch for ${rawUrl(VALUES.source, upstream.baseUrl)}: ` +
        `expected sha256 ${VALUES.source.sha256}, got ${sha(tampered)}`,
    ]);
    expect(summary.failures).toEqual([VALUES.dest]);
    expect(existsSync(join(upstream.dir, VALUES.dest))).toBe(false);
    // The other files are in place, but without a manifest the directory is not taken for reference data.
    expect(existsSync(join(upstream.dir, MANIFEST))).toBe(false);
    expect(locateReference({ [REFERENCE_ENV]: upstream.dir }).dir).toBeUndefined();
    expect(upstream.listFiles()).toContain(CHART.dest);
    expect(upstream.listFiles().filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(log[0]).toBe("  acme/charts@demo-1.2.0: 2 files, 1 downloaded, 1 failed");
    expect(log.at(-1)).toContain(`upstream:fetch: 1 of ${SOURCES.length} files failed`);
    expect(log.at(-1)).toContain(`no ${MANIFEST} written`);
  });

  it("fails a derived file when one of its sources does not match its checksum", async () => {
    const proxy = MESH_FIELDS.messages[1].source;
    upstream.override(servedPath(proxy), PROXY_PROTO.replace("config_path", "conf_path"));
    const { summary, errors } = await upstream.run();
    expect(summary.failures).toEqual([MESH_FIELDS.dest]);
    expect(errors).toEqual([
      expect.stringMatching(
        /^upstream\/istio-api\/mesh-fields\.json: checksum mismatch for http:.*proxy\.proto: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}$/,
      ),
    ]);
    expect(existsSync(join(upstream.dir, MESH_FIELDS.dest))).toBe(false);
  });

  it("fails a derived file whose result differs from its pinned checksum", async () => {
    const sources = SOURCES.map((file) =>
      file === MIN_KUBERNETES ? { ...file, sha256: sha("other") } : file,
    );
    const { summary, errors } = await upstream.run({ sources });
    expect(summary.failures).toEqual([MIN_KUBERNETES.dest]);
    expect(errors[0]).toMatch(
      /^upstream\/istio-api\/min-kubernetes\.json: derived from .*version\.go: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}$/,
    );
    expect(existsSync(join(upstream.dir, MIN_KUBERNETES.dest))).toBe(false);
  });
});

describe("fetchReference: HTTP and network failures", () => {
  it("reports a missing upstream file with its URL and HTTP status", async () => {
    const missing: CopiedFile = {
      kind: "copy",
      dest: "upstream/charts/gone/1.0.0/values.yaml",
      source: { repository: "acme/charts", ref: "gone-1.0.0", path: "values.yaml", sha256: sha("x") },
    };
    const { summary, errors } = await upstream.run({ sources: [CHART, missing] });
    expect(errors).toEqual([
      `${missing.dest}: GET ${rawUrl(missing.source, upstream.baseUrl)}: HTTP 404 Not Found`,
    ]);
    expect(summary.failures).toEqual([missing.dest]);
  });

  it("stops with one clear error when the server cannot be reached", async () => {
    const port = await closedPort();
    const errors: string[] = [];
    const failed = fetchReference({
      dir: upstream.dir,
      sources: SOURCES,
      baseUrl: `http://127.0.0.1:${port}`,
      log: () => {},
      error: (l) => errors.push(l),
    });
    await expect(failed).rejects.toThrow(UnreachableError);
    await expect(failed).rejects.toThrow(
      new RegExp(`^could not reach 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`),
    );
    expect(errors).toEqual([]);
    expect(upstream.listFiles()).toEqual([]);
  });

  it("gives up on a server that does not answer within the timeout", async () => {
    const timeoutMs = 150;
    const silent = await silentServer();
    try {
      await expect(
        fetchReference({
          dir: upstream.dir,
          sources: [CHART],
          baseUrl: `http://127.0.0.1:${silent.port}`,
          timeoutMs,
          log: () => {},
        }),
      ).rejects.toThrow(`could not reach 127.0.0.1:${silent.port}: no response within ${timeoutMs / 1000} s`);
      // The request got through: it is the answer that never came.
      expect(silent.requests).toEqual([servedPath(CHART.source)]);
    } finally {
      await silent.close();
    }
  });
});

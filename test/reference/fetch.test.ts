// The fetch script against a loopback server serving fixture files: URLs, cache layout, checksums,
// a second run that downloads nothing, failures that leave nothing behind, and the derivations.
import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  goIntConstant,
  meshFieldsJson,
  minKubernetesJson,
  minKubernetesMinor,
  protoJsonName,
  protoMessageFields,
} from "./derive";
import { checkSources } from "./cache";
import { rawUrl, UnreachableError } from "./download";
import { BASE_URL_ENV, DEFAULT_DIR, fetchReference, parseArgs, type FetchOptions } from "./fetch";
import type { CopiedFile, ReferenceFile } from "./sources";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

const MESH_PROTO = `syntax = "proto3";
// A comment with braces { and a message keyword: message Fake {
package istio.mesh.v1alpha1;
option go_package = "istio.io/api/mesh/v1alpha1";

/* A block comment: int32 not_a_field = 99; */
message MeshConfig {
  // Port on which Envoy listens.
  int32 proxy_listen_port = 4;

  enum IngressControllerMode {
    UNSPECIFIED = 0;
    OFF = 1;
  }
  IngressControllerMode ingress_controller_mode = 9;

  message CertificateData {
    oneof certificate_data {
      string pem = 1;
    }
    repeated string cert_signers = 3;
  }
  repeated CertificateData ca_certificates = 58;

  oneof cluster_name {
    string service_cluster = 3;
    string tracing_service_name = 36;
  }
  map<string, string> proxy_metadata = 24;
  google.protobuf.BoolValue verify_certificate_at_client = 54 [deprecated = true];
  TLSConfig mesh_mTLS = 63;
  string renamed = 70 [json_name = "customName"];

  reserved 1;
  reserved "mixer_check_server";
}

message Other {
  string other_field = 1;
}
`;

const PROXY_PROTO = `syntax = "proto3";
message Tracing {
  int32 sampling = 1;
}
message ProxyConfig {
  string config_path = 1;
  Tracing tracing = 2;
  repeated string extra_stat_tags = 27;
}
`;

const versionGo = (minor: number) => `package k8sversion

const (
	// MinK8SVersion is the minimum k8s version required to run this version of Istio
	MinK8SVersion               = ${minor}
	UnSupportedK8SVersionLogMsg = "\\nThe minimum supported Kubernetes version is 1.%d. See https://istio.io/\\n"
)

// If the K8s version is not at least the \`MinK8SVersion\`, it logs a message.
func check(v int) bool { return MinK8SVersion <= v }
`;

/** Upstream files by repository, ref and path: what the loopback server serves. */
const UPSTREAM: Record<string, string> = {
  "acme/charts/demo-1.2.0/charts/demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.2.0\n",
  "acme/charts/demo-1.2.0/charts/demo/values.yaml": "replicaCount: 1\nimage:\n  tag: 1.2.0\n",
  [`acme/catalog/${COMMIT}/example.com/widget_v1.json`]: '{"type":"object","additionalProperties":false}\n',
  [`acme/api/${COMMIT}/mesh/v1alpha1/config.proto`]: MESH_PROTO,
  [`acme/api/${COMMIT}/mesh/v1alpha1/proxy.proto`]: PROXY_PROTO,
  "acme/istio/1.0.0/istioctl/version.go": versionGo(29),
  "acme/istio/1.1.0-rc.0/istioctl/version.go": versionGo(30),
};

function pin(repository: string, ref: string, path: string) {
  return { repository, ref, path, sha256: sha(UPSTREAM[`${repository}/${ref}/${path}`]) };
}

const EXPECTED_MESH_FIELDS = meshFieldsJson("acme/api@012345678", [
  {
    message: "MeshConfig",
    fields: [
      "proxyListenPort",
      "ingressControllerMode",
      "caCertificates",
      "serviceCluster",
      "tracingServiceName",
      "proxyMetadata",
      "verifyCertificateAtClient",
      "meshMTLS",
      "customName",
    ],
  },
  { message: "ProxyConfig", fields: ["configPath", "tracing", "extraStatTags"] },
]);
const EXPECTED_MIN_KUBERNETES =
  '{\n "1.0.0": { "minKubernetesMinor": 29 },\n "1.1.0-rc.0": { "minKubernetesMinor": 30 }\n}\n';

const COPIES: CopiedFile[] = [
  {
    kind: "copy",
    dest: "upstream/charts/demo/1.2.0/Chart.yaml",
    source: pin("acme/charts", "demo-1.2.0", "charts/demo/Chart.yaml"),
  },
  {
    kind: "copy",
    dest: "upstream/charts/demo/1.2.0/values.yaml",
    source: pin("acme/charts", "demo-1.2.0", "charts/demo/values.yaml"),
  },
  {
    kind: "copy",
    dest: "schemas/crds/example.com/widget_v1.json",
    source: pin("acme/catalog", COMMIT, "example.com/widget_v1.json"),
  },
];

const SOURCES: ReferenceFile[] = [
  ...COPIES,
  {
    kind: "mesh-fields",
    dest: "upstream/istio-api/mesh-fields.json",
    messages: [
      { message: "MeshConfig", source: pin("acme/api", COMMIT, "mesh/v1alpha1/config.proto") },
      { message: "ProxyConfig", source: pin("acme/api", COMMIT, "mesh/v1alpha1/proxy.proto") },
    ],
    sha256: sha(EXPECTED_MESH_FIELDS),
  },
  {
    kind: "min-kubernetes",
    dest: "upstream/istio-api/min-kubernetes.json",
    versions: ["1.0.0", "1.1.0-rc.0"].map((version) => ({
      version,
      source: pin("acme/istio", version, "istioctl/version.go"),
    })),
    sha256: sha(EXPECTED_MIN_KUBERNETES),
  },
];

let server: Server;
let baseUrl: string;
/** Request paths since the last reset. */
let requests: string[] = [];
/** Served instead of the upstream file, by request path. */
const overrides = new Map<string, string>();
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    const body = overrides.get(path) ?? UPSTREAM[path.slice(1)];
    if (body === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("404: Not Found");
    } else {
      res.writeHead(200, { "content-type": "text/plain" }).end(body);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await once(server, "close");
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reference-fetch-"));
  requests = [];
  overrides.clear();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the fetch quietly, returning its summary and the lines it printed. */
async function run(options: Partial<FetchOptions> = {}) {
  const log: string[] = [];
  const errors: string[] = [];
  const summary = await fetchReference({
    dir,
    sources: SOURCES,
    baseUrl,
    log: (line) => log.push(line),
    error: (line) => errors.push(line),
    ...options,
  });
  return { summary, log, errors };
}

const read = (...segments: string[]) => readFileSync(join(dir, ...segments), "utf8");

/** Every file under `dir`, relative, sorted. */
function listFiles(): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

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

describe("fetchReference", () => {
  it("downloads each pinned file once, from the URL its pin names", async () => {
    await run();
    const expected = SOURCES.flatMap((file) =>
      file.kind === "copy"
        ? [file.source]
        : file.kind === "mesh-fields"
          ? file.messages.map((m) => m.source)
          : file.versions.map((v) => v.source),
    ).map((s) => `/${s.repository}/${s.ref}/${s.path}`);
    expect([...requests].sort()).toEqual([...expected].sort());
    expect(expected).toHaveLength(7);
  });

  it("writes the reference layout: copies verbatim, the derived files, and a manifest", async () => {
    const { summary, log, errors } = await run();
    expect(errors).toEqual([]);
    expect(listFiles()).toEqual([
      "schemas/crds/example.com/widget_v1.json",
      "upstream/MANIFEST.tsv",
      "upstream/charts/demo/1.2.0/Chart.yaml",
      "upstream/charts/demo/1.2.0/values.yaml",
      "upstream/istio-api/mesh-fields.json",
      "upstream/istio-api/min-kubernetes.json",
    ]);
    expect(read("upstream/charts/demo/1.2.0/values.yaml")).toBe(
      UPSTREAM["acme/charts/demo-1.2.0/charts/demo/values.yaml"],
    );
    expect(read("schemas/crds/example.com/widget_v1.json")).toBe(
      UPSTREAM[`acme/catalog/${COMMIT}/example.com/widget_v1.json`],
    );
    expect(read("upstream/istio-api/mesh-fields.json")).toBe(EXPECTED_MESH_FIELDS);
    expect(read("upstream/istio-api/min-kubernetes.json")).toBe(EXPECTED_MIN_KUBERNETES);

    const manifest = read("upstream/MANIFEST.tsv").split("\n");
    expect(manifest[0]).toBe("path\tsource\tsha256");
    expect(manifest).toContain(
      `charts/demo/1.2.0/values.yaml\thttps://raw.githubusercontent.com/acme/charts/demo-1.2.0/charts/demo/values.yaml\t${COPIES[1].source.sha256}`,
    );
    expect(manifest).toContain(
      `../schemas/crds/example.com/widget_v1.json\thttps://raw.githubusercontent.com/acme/catalog/${COMMIT}/example.com/widget_v1.json\t${COPIES[2].source.sha256}`,
    );
    expect(manifest).toContain(
      "istio-api/min-kubernetes.json\t" +
        "https://raw.githubusercontent.com/acme/istio/1.0.0/istioctl/version.go " +
        "https://raw.githubusercontent.com/acme/istio/1.1.0-rc.0/istioctl/version.go\t" +
        sha(EXPECTED_MIN_KUBERNETES),
    );
    expect(manifest).toHaveLength(SOURCES.length + 2); // header and final newline

    expect(summary).toEqual({ files: 5, written: 5, present: 0, downloads: 7, unverified: [], failures: [] });
    expect(log).toEqual([
      "  acme/charts@demo-1.2.0: 2 files, 2 downloaded",
      "  acme/catalog@012345678: 1 file, 1 downloaded",
      "  upstream/istio-api/mesh-fields.json: derived from acme/api@012345678, written",
      "  upstream/istio-api/min-kubernetes.json: derived from acme/istio@1.0.0, acme/istio@1.1.0-rc.0, written",
      expect.stringMatching(/^upstream:fetch: 5 files in \S+: 5 written \(7 downloads\), 0 already present$/),
    ]);
  });

  it("downloads nothing on a second run", async () => {
    await run();
    const manifest = read("upstream/MANIFEST.tsv");
    requests = [];
    const { summary, log } = await run();
    expect(requests).toEqual([]);
    expect(summary).toMatchObject({ written: 0, present: 5, downloads: 0, failures: [] });
    expect(log[0]).toBe("  acme/charts@demo-1.2.0: 2 files, 2 already present");
    expect(read("upstream/MANIFEST.tsv")).toBe(manifest);
  });

  it("replaces a file whose content no longer matches its pin", async () => {
    await run();
    writeFileSync(join(dir, "upstream/charts/demo/1.2.0/values.yaml"), "edited: true\n");
    requests = [];
    const { summary } = await run();
    expect(requests).toEqual(["/acme/charts/demo-1.2.0/charts/demo/values.yaml"]);
    expect(summary).toMatchObject({ written: 1, present: 4 });
    expect(read("upstream/charts/demo/1.2.0/values.yaml")).toBe(
      UPSTREAM["acme/charts/demo-1.2.0/charts/demo/values.yaml"],
    );
  });

  it("fails a file whose download does not match its checksum, writing nothing for it", async () => {
    const path = "/acme/charts/demo-1.2.0/charts/demo/values.yaml";
    overrides.set(path, "replicaCount: 1000\n");
    const { summary, errors, log } = await run();
    expect(errors).toEqual([
      `upstream/charts/demo/1.2.0/values.yaml: checksum mismatch for ${baseUrl}${path}: ` +
        `expected sha256 ${COPIES[1].source.sha256}, got ${sha("replicaCount: 1000\n")}`,
    ]);
    expect(summary.failures).toEqual(["upstream/charts/demo/1.2.0/values.yaml"]);
    expect(existsSync(join(dir, "upstream/charts/demo/1.2.0/values.yaml"))).toBe(false);
    // The other files are in place, but without a manifest the directory is not taken for reference data.
    expect(listFiles()).not.toContain("upstream/MANIFEST.tsv");
    expect(listFiles()).toContain("upstream/charts/demo/1.2.0/Chart.yaml");
    expect(listFiles().filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(log[0]).toBe("  acme/charts@demo-1.2.0: 2 files, 1 downloaded, 1 failed");
    expect(log.at(-1)).toMatch(/^upstream:fetch: 1 of 5 files failed .*no upstream\/MANIFEST\.tsv written/);
  });

  it("fails a derived file when one of its sources does not match its checksum", async () => {
    overrides.set(
      `/acme/api/${COMMIT}/mesh/v1alpha1/proxy.proto`,
      PROXY_PROTO.replace("config_path", "conf_path"),
    );
    const { summary, errors } = await run();
    expect(summary.failures).toEqual(["upstream/istio-api/mesh-fields.json"]);
    expect(errors).toEqual([
      expect.stringMatching(
        /^upstream\/istio-api\/mesh-fields\.json: checksum mismatch for http:.*proxy\.proto: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}$/,
      ),
    ]);
    expect(existsSync(join(dir, "upstream/istio-api/mesh-fields.json"))).toBe(false);
  });

  it("fails a derived file whose result differs from its pinned checksum", async () => {
    const sources = SOURCES.map((file) =>
      file.kind === "min-kubernetes" ? { ...file, sha256: sha("other") } : file,
    );
    const { summary, errors } = await run({ sources });
    expect(summary.failures).toEqual(["upstream/istio-api/min-kubernetes.json"]);
    expect(errors[0]).toMatch(
      /^upstream\/istio-api\/min-kubernetes\.json: derived from .*version\.go: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}$/,
    );
    expect(existsSync(join(dir, "upstream/istio-api/min-kubernetes.json"))).toBe(false);
  });

  it("reports a missing upstream file with its URL and HTTP status", async () => {
    const missing: CopiedFile = {
      kind: "copy",
      dest: "upstream/charts/gone/1.0.0/values.yaml",
      source: { repository: "acme/charts", ref: "gone-1.0.0", path: "values.yaml", sha256: sha("x") },
    };
    const { summary, errors } = await run({ sources: [COPIES[0], missing] });
    expect(errors).toEqual([
      `upstream/charts/gone/1.0.0/values.yaml: GET ${baseUrl}/acme/charts/gone-1.0.0/values.yaml: HTTP 404 Not Found`,
    ]);
    expect(summary.failures).toHaveLength(1);
  });

  it("writes, and says so, a file pinned without a checksum", async () => {
    const { sha256: _, ...unpinned } = COPIES[0].source;
    const sources: ReferenceFile[] = [{ ...COPIES[0], source: unpinned }, COPIES[1]];
    const { summary, log } = await run({ sources });
    expect(summary).toMatchObject({
      written: 2,
      unverified: ["upstream/charts/demo/1.2.0/Chart.yaml"],
      failures: [],
    });
    expect(log[0]).toBe("  acme/charts@demo-1.2.0: 2 files, 2 downloaded, unverified (no sha256 pinned)");
    expect(log.at(-1)).toMatch(/, 1 unverified$/);
    // The manifest records the checksum of what was written.
    expect(read("upstream/MANIFEST.tsv")).toContain(
      `charts/demo/1.2.0/Chart.yaml\t${rawUrl(unpinned)}\t${sha(UPSTREAM["acme/charts/demo-1.2.0/charts/demo/Chart.yaml"])}\n`,
    );
  });

  it("removes files it wrote for pins that are no longer listed", async () => {
    await run();
    const { summary } = await run({ sources: SOURCES.filter((file) => file.dest !== COPIES[2].dest) });
    expect(summary.failures).toEqual([]);
    expect(listFiles()).not.toContain("schemas/crds/example.com/widget_v1.json");
    expect(read("upstream/MANIFEST.tsv")).not.toContain("widget_v1.json");
  });

  it("leaves files alone when the manifest is not its own", async () => {
    mkdirSync(join(dir, "upstream"), { recursive: true });
    writeFileSync(
      join(dir, "upstream/MANIFEST.tsv"),
      "path\tsource repository\tref\npkg/own.yaml\tacme/x\tv1\n",
    );
    mkdirSync(join(dir, "upstream/pkg"));
    writeFileSync(join(dir, "upstream/pkg/own.yaml"), "kept\n");
    await run();
    expect(read("upstream/pkg/own.yaml")).toBe("kept\n");
  });

  it("stops with one clear error when the server cannot be reached", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");

    const errors: string[] = [];
    const failed = fetchReference({
      dir,
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
    expect(listFiles()).toEqual([]);
  });

  it("gives up on a server that does not answer within the timeout", async () => {
    const silent = createServer(() => {});
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    try {
      const port = (silent.address() as AddressInfo).port;
      await expect(
        fetchReference({
          dir,
          sources: COPIES,
          baseUrl: `http://127.0.0.1:${port}`,
          timeoutMs: 150,
          log: () => {},
        }),
      ).rejects.toThrow(`could not reach 127.0.0.1:${port}: no response within 0.15 s`);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});

describe("checkSources", () => {
  const copy = (dest: string): CopiedFile => ({ ...COPIES[0], dest });

  it("accepts the fixture list", () => {
    expect(() => checkSources(SOURCES)).not.toThrow();
  });

  it.each([
    "charts/x.yaml",
    "upstream/../../etc/passwd",
    "/upstream/x",
    "schemas/other/x.json",
    "upstream/MANIFEST.tsv",
  ])("rejects the destination %s", (dest) => {
    expect(() => checkSources([copy(dest)])).toThrow(/^sources: /);
  });

  it("rejects a destination listed twice", () => {
    expect(() => checkSources([COPIES[0], COPIES[0]])).toThrow("listed twice");
  });

  it("rejects a checksum that is not a sha256", () => {
    expect(() => checkSources([{ ...COPIES[0], source: { ...COPIES[0].source, sha256: "abc" } }])).toThrow(
      "is not a sha256",
    );
  });
});

describe("parseArgs", () => {
  it("defaults to .cache/reference and GitHub", () => {
    expect(parseArgs([], {})).toEqual({ dir: DEFAULT_DIR, baseUrl: "https://raw.githubusercontent.com" });
    expect(DEFAULT_DIR).toMatch(/[/\\]\.cache[/\\]reference$/);
  });

  it("takes --dir, --base-url and the base URL from the environment", () => {
    expect(parseArgs(["--dir", "/tmp/ref", "--base-url=http://127.0.0.1:8080"], {})).toEqual({
      dir: "/tmp/ref",
      baseUrl: "http://127.0.0.1:8080",
    });
    expect(parseArgs([], { [BASE_URL_ENV]: "http://mirror.example" }).baseUrl).toBe("http://mirror.example");
  });

  it("rejects unknown arguments, missing values and a base URL that is not http(s)", () => {
    expect(() => parseArgs(["--force"], {})).toThrow(/^unknown argument --force; usage: /);
    expect(() => parseArgs(["--dir"], {})).toThrow("--dir needs a value");
    expect(() => parseArgs(["--base-url", "ftp://x"], {})).toThrow("is not an http(s) URL");
  });
});

describe("derivations", () => {
  it("protoJsonName converts as protoc does", () => {
    expect(protoJsonName("proxy_listen_port")).toBe("proxyListenPort");
    expect(protoJsonName("mesh_mTLS")).toBe("meshMTLS");
    expect(protoJsonName("file_flush_min_size_kb")).toBe("fileFlushMinSizeKb");
    expect(protoJsonName("concurrency")).toBe("concurrency");
  });

  it("protoMessageFields lists the direct fields of a top-level message, oneof members included", () => {
    expect(protoMessageFields(MESH_PROTO, "MeshConfig")).toEqual(JSON.parse(EXPECTED_MESH_FIELDS).MeshConfig);
    expect(protoMessageFields(PROXY_PROTO, "ProxyConfig")).toEqual([
      "configPath",
      "tracing",
      "extraStatTags",
    ]);
    expect(protoMessageFields(MESH_PROTO, "Other")).toEqual(["otherField"]);
  });

  it("protoMessageFields does not take a nested message for a top-level one", () => {
    expect(() => protoMessageFields(MESH_PROTO, "CertificateData")).toThrow(
      "no top-level message CertificateData",
    );
    expect(() => protoMessageFields(MESH_PROTO, "Fake")).toThrow("no top-level message Fake");
  });

  it("protoMessageFields rejects malformed input", () => {
    expect(() => protoMessageFields("message A {\n  int32 a = 1;\n", "A")).toThrow(/^proto: /);
    expect(() => protoMessageFields('message A { string a = 1 [default = "x]; }', "A")).toThrow(
      "unterminated string",
    );
  });

  it("goIntConstant reads the declaration, not the mentions", () => {
    expect(minKubernetesMinor(versionGo(32))).toBe(32);
    expect(goIntConstant("const MinK8SVersion int = 31 // oldest\n", "MinK8SVersion")).toBe(31);
    expect(() => minKubernetesMinor("// MinK8SVersion = 30\nfunc f() {}\n")).toThrow("found 0");
    expect(() => minKubernetesMinor(`${versionGo(32)}\nconst MinK8SVersion = 33\n`)).toThrow("found 2");
  });

  it("formats the two derived files as the reference data has them", () => {
    expect(meshFieldsJson("o/r@1", [{ message: "M", fields: ["a", "b"] }])).toBe(
      '{\n "source": "o/r@1",\n "M": [\n  "a",\n  "b"\n ]\n}\n',
    );
    expect(minKubernetesJson([{ version: "1.0.0", minor: 29 }])).toBe(
      '{\n "1.0.0": { "minKubernetesMinor": 29 }\n}\n',
    );
  });
});

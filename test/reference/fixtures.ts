/**
 * The upstream files the fetch tests serve and the source list that pins them: two chart files at a
 * tag, a CRD schema at a commit, the two protos the mesh fields come from and istioctl's version.go
 * at two releases. Also the two derived files those inputs must produce.
 */
import { createHash } from "node:crypto";
import { meshFieldsJson } from "./derive";
import type { CopiedFile, GitHubFile, MeshFieldsFile, MinKubernetesFile, ReferenceFile } from "./sources";

export const sha = (text: string) => createHash("sha256").update(text).digest("hex");

export const COMMIT = "0123456789abcdef0123456789abcdef01234567";
/** COMMIT as the reference data and the progress lines name it: its first 9 digits. */
export const SHORT_COMMIT = COMMIT.slice(0, 9);

export const MESH_PROTO = `syntax = "proto3";
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

export const PROXY_PROTO = `syntax = "proto3";
message Tracing {
  int32 sampling = 1;
}
message ProxyConfig {
  string config_path = 1;
  Tracing tracing = 2;
  repeated string extra_stat_tags = 27;
}
`;

/** istioctl's version.go declaring MinK8SVersion = `minor` (and mentioning it elsewhere). */
export const versionGo = (minor: number) => `package k8sversion

const (
	// MinK8SVersion is the minimum k8s version required to run this version of Istio
	MinK8SVersion               = ${minor}
	UnSupportedK8SVersionLogMsg = "\\nThe minimum supported Kubernetes version is 1.%d. See https://istio.io/\\n"
)

// If the K8s version is not at least the \`MinK8SVersion\`, it logs a message.
func check(v int) bool { return MinK8SVersion <= v }
`;

/** Upstream files by repository, ref and path: what the loopback server serves. */
export const UPSTREAM: Record<string, string> = {
  "acme/charts/demo-1.2.0/charts/demo/Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.2.0\n",
  "acme/charts/demo-1.2.0/charts/demo/values.yaml": "replicaCount: 1\nimage:\n  tag: 1.2.0\n",
  [`acme/catalog/${COMMIT}/example.com/widget_v1.json`]: '{"type":"object","additionalProperties":false}\n',
  [`acme/api/${COMMIT}/mesh/v1alpha1/config.proto`]: MESH_PROTO,
  [`acme/api/${COMMIT}/mesh/v1alpha1/proxy.proto`]: PROXY_PROTO,
  "acme/istio/1.0.0/istioctl/version.go": versionGo(29),
  "acme/istio/1.1.0-rc.0/istioctl/version.go": versionGo(30),
};

/** The request path of an upstream file on the loopback server (unencoded). */
export const servedPath = (file: GitHubFile) => `/${file.repository}/${file.ref}/${file.path}`;

/** What the loopback server serves for an upstream file. */
export const upstreamOf = (file: GitHubFile) => UPSTREAM[servedPath(file).slice(1)];

function pin(repository: string, ref: string, path: string): GitHubFile {
  return { repository, ref, path, sha256: sha(UPSTREAM[`${repository}/${ref}/${path}`]) };
}

export const EXPECTED_MESH_FIELDS = meshFieldsJson(`acme/api@${SHORT_COMMIT}`, [
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
export const EXPECTED_MIN_KUBERNETES =
  '{\n "1.0.0": { "minKubernetesMinor": 29 },\n "1.1.0-rc.0": { "minKubernetesMinor": 30 }\n}\n';

/** The chart's Chart.yaml and values.yaml: one group, acme/charts at one tag. */
export const CHART: CopiedFile = {
  kind: "copy",
  dest: "upstream/charts/demo/1.2.0/Chart.yaml",
  source: pin("acme/charts", "demo-1.2.0", "charts/demo/Chart.yaml"),
};
export const VALUES: CopiedFile = {
  kind: "copy",
  dest: "upstream/charts/demo/1.2.0/values.yaml",
  source: pin("acme/charts", "demo-1.2.0", "charts/demo/values.yaml"),
};
/** A CRD schema pinned at a commit, written under schemas/crds/. */
export const SCHEMA: CopiedFile = {
  kind: "copy",
  dest: "schemas/crds/example.com/widget_v1.json",
  source: pin("acme/catalog", COMMIT, "example.com/widget_v1.json"),
};
export const COPIES: CopiedFile[] = [CHART, VALUES, SCHEMA];

/** The mesh fields, derived from two protos of one istio/api commit. */
export const MESH_FIELDS: MeshFieldsFile = {
  kind: "mesh-fields",
  dest: "upstream/istio-api/mesh-fields.json",
  messages: [
    { message: "MeshConfig", source: pin("acme/api", COMMIT, "mesh/v1alpha1/config.proto") },
    { message: "ProxyConfig", source: pin("acme/api", COMMIT, "mesh/v1alpha1/proxy.proto") },
  ],
  sha256: sha(EXPECTED_MESH_FIELDS),
};
/** The oldest Kubernetes minor of two Istio releases, derived from their version.go. */
export const MIN_KUBERNETES: MinKubernetesFile = {
  kind: "min-kubernetes",
  dest: "upstream/istio-api/min-kubernetes.json",
  versions: ["1.0.0", "1.1.0-rc.0"].map((version) => ({
    version,
    source: pin("acme/istio", version, "istioctl/version.go"),
  })),
  sha256: sha(EXPECTED_MIN_KUBERNETES),
};

export const SOURCES: ReferenceFile[] = [...COPIES, MESH_FIELDS, MIN_KUBERNETES];

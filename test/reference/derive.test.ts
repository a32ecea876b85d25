// The derivations of test/reference/derive.ts: protobuf field names as protoc's JSON names, the Go
// constant istioctl declares its oldest Kubernetes minor in, and the two files written from them.
import {
  goIntConstant,
  meshFieldsJson,
  minKubernetesJson,
  minKubernetesMinor,
  protoJsonName,
  protoMessageFields,
} from "./derive";
import { EXPECTED_MESH_FIELDS, MESH_PROTO, PROXY_PROTO, versionGo } from "./fixtures";

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

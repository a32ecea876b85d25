import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { kubernetesKind, runProgram, type ProgramRun, type Recorded } from "../support/program";
import { stackConfig } from "../support/stack-files";

/** Strict CRD schemas (see ../shared/schemas/README.md): `crds/<group>/<kind>_<version>.json`. */
const CRD_DIR = resolve(__dirname, "../../../shared/schemas/crds");
/** The Istio custom resources the program may declare: v1 of these groups only. */
const ISTIO_TYPE = /^kubernetes:(networking|security)\.istio\.io\/v1:[A-Za-z]+$/;
const ISTIO_GROUP = /^kubernetes:([a-z0-9.]*\.)?istio\.io\//;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Kubernetes' OpenAPI formats ajv-formats does not know: the type already constrains them.
for (const format of ["int32", "int64", "double", "float", "binary"]) ajv.addFormat(format, true);

const validators = new Map<string, ValidateFunction>();

function schemaFile(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.split("/");
  return join(CRD_DIR, group, `${kind.toLowerCase()}_${version}.json`);
}

/** The compiled schema of a custom resource kind; throws when the schema file is missing. */
function validatorFor(apiVersion: string, kind: string): ValidateFunction {
  const file = schemaFile(apiVersion, kind);
  const cached = validators.get(file);
  if (cached) return cached;
  if (!existsSync(file)) throw new Error(`no CRD schema for ${apiVersion} ${kind}: ${file} is missing`);
  const validate = ajv.compile(JSON.parse(readFileSync(file, "utf8")) as object);
  validators.set(file, validate);
  return validate;
}

/** Schema violations of a custom resource's spec, one line each; empty when valid. */
function specErrors(apiVersion: string, kind: string, spec: unknown): string[] {
  const validate = validatorFor(apiVersion, kind);
  if (validate({ spec })) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message ?? "invalid"} ${JSON.stringify(e.params)}`,
  );
}

function istioResources(run: ProgramRun): Recorded[] {
  return run.resources.filter((r) => ISTIO_GROUP.test(r.type));
}

function invalidSpecs(run: ProgramRun): string[] {
  const failures: string[] = [];
  for (const r of istioResources(run)) {
    const gvk = kubernetesKind(r.type);
    if (!gvk || !ISTIO_TYPE.test(r.type)) {
      failures.push(`${r.type} ${r.name}: not a v1 networking/security.istio.io type`);
      continue;
    }
    const inputs = r.inputs as { apiVersion?: unknown; kind?: unknown; spec?: unknown };
    if (inputs.apiVersion !== gvk.apiVersion || inputs.kind !== gvk.kind) {
      failures.push(`${r.type} ${r.name}: inputs say ${String(inputs.apiVersion)} ${String(inputs.kind)}`);
      continue;
    }
    if (inputs.spec === undefined || inputs.spec === null || typeof inputs.spec !== "object") {
      failures.push(`${r.type} ${r.name}: no spec object`);
      continue;
    }
    try {
      for (const e of specErrors(gvk.apiVersion, gvk.kind, inputs.spec))
        failures.push(`${r.type} ${r.name}: ${e}`);
    } catch (err) {
      failures.push(`${r.type} ${r.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failures;
}

const MODES = ["istio", "ingress", "app"] as const;
const VARIANTS = [
  ...(["dev", "prod"] as const).flatMap((env) =>
    MODES.map((mode) => ({ label: `${env} tlsTermination=${mode}`, env, config: { tlsTermination: mode } })),
  ),
  { label: "dev meshWideMtls=true", env: "dev" as const, config: { meshWideMtls: true } },
];
const runs = new Map<string, ProgramRun>();

beforeAll(async () => {
  for (const v of VARIANTS)
    runs.set(v.label, await runProgram(v.env, { ...stackConfig(v.env), ...v.config }));
}, 120_000);

const runOf = (label: string): ProgramRun => {
  const run = runs.get(label);
  if (!run) throw new Error(`no run ${label}`);
  return run;
};

describe("the CRD schema directory", () => {
  test("exists, with the Istio groups the program uses", () => {
    expect({ dir: CRD_DIR, exists: existsSync(CRD_DIR) }).toEqual({ dir: CRD_DIR, exists: true });
    for (const group of ["networking.istio.io", "security.istio.io"])
      expect({ group, exists: existsSync(join(CRD_DIR, group)) }).toEqual({ group, exists: true });
  });
});

describe.each(VARIANTS.map((v) => v.label))("Istio custom resources of %s", (label) => {
  test("every spec is valid against the strict CRD schema of its kind", () => {
    const run = runOf(label);
    const resources = istioResources(run);
    // PeerAuthentication and AuthorizationPolicies at least, in every mode.
    expect(resources.length).toBeGreaterThanOrEqual(8);
    expect(invalidSpecs(run)).toEqual([]);
  });

  test("every kind has a schema file and only v1 Istio APIs are used", () => {
    const types = [...new Set(istioResources(runOf(label)).map((r) => r.type))].sort();
    const expected = [
      "kubernetes:security.istio.io/v1:AuthorizationPolicy",
      "kubernetes:security.istio.io/v1:PeerAuthentication",
    ];
    if (label.endsWith("tlsTermination=istio") || label.startsWith("dev meshWide")) {
      expected.push(
        "kubernetes:networking.istio.io/v1:Gateway",
        "kubernetes:networking.istio.io/v1:VirtualService",
      );
    }
    expect(types).toEqual(expected.sort());
    for (const type of types) {
      const gvk = kubernetesKind(type);
      expect(gvk).toBeDefined();
      if (gvk) expect(existsSync(schemaFile(gvk.apiVersion, gvk.kind))).toBe(true);
    }
  });
});

describe("the schemas catch mistakes", () => {
  const specOf = (kind: string, name: string): Record<string, unknown> => {
    const r = istioResources(runOf("dev tlsTermination=istio")).find(
      (x) =>
        kubernetesKind(x.type)?.kind === kind &&
        (x.inputs as { metadata: { name: string } }).metadata.name === name,
    );
    if (!r) throw new Error(`no ${kind} ${name}`);
    return structuredClone((r.inputs as { spec: Record<string, unknown> }).spec);
  };

  test("a Gateway with a misspelt field (selectr) fails", () => {
    const spec = specOf("Gateway", "pingpong");
    expect(specErrors("networking.istio.io/v1", "Gateway", spec)).toEqual([]);
    spec.selectr = spec.selector;
    delete spec.selector;
    const errors = specErrors("networking.istio.io/v1", "Gateway", spec);
    expect(errors.join("\n")).toMatch(/additionalProperty":"selectr"/);
  });

  test("a PeerAuthentication with mtls.mode STRCT fails", () => {
    const spec = specOf("PeerAuthentication", "default");
    expect(specErrors("security.istio.io/v1", "PeerAuthentication", spec)).toEqual([]);
    (spec.mtls as { mode: string }).mode = "STRCT";
    const errors = specErrors("security.istio.io/v1", "PeerAuthentication", spec);
    expect(errors.join("\n")).toMatch(/\/spec\/mtls\/mode must be equal to one of the allowed values/);
  });

  test("an AuthorizationPolicy with an unknown action fails", () => {
    const spec = specOf("AuthorizationPolicy", "allow-pingpong-callers");
    expect(specErrors("security.istio.io/v1", "AuthorizationPolicy", spec)).toEqual([]);
    spec.action = "PERMIT";
    expect(specErrors("security.istio.io/v1", "AuthorizationPolicy", spec).join("\n")).toMatch(
      /\/spec\/action/,
    );
  });

  test("a VirtualService route with a port given as a string fails", () => {
    const spec = specOf("VirtualService", "pingpong-ingress") as {
      http: Array<{ route: Array<{ destination: { port: { number: unknown } } }> }>;
    };
    expect(specErrors("networking.istio.io/v1", "VirtualService", spec)).toEqual([]);
    spec.http[0].route[0].destination.port.number = "8080";
    expect(specErrors("networking.istio.io/v1", "VirtualService", spec).join("\n")).toMatch(
      /number must be integer/,
    );
  });

  test("a kind without a schema file is reported, not skipped", () => {
    expect(() => specErrors("networking.istio.io/v1", "Pingpong", {})).toThrow(/no CRD schema/);
    const fake: Recorded = {
      type: "kubernetes:networking.istio.io/v1alpha3:Gateway",
      name: "x",
      id: "x-id",
      inputs: { apiVersion: "networking.istio.io/v1alpha3", kind: "Gateway", spec: {} },
      secretPaths: [],
    };
    expect(invalidSpecs({ resources: [fake], outputs: {} })).toEqual([
      "kubernetes:networking.istio.io/v1alpha3:Gateway x: not a v1 networking/security.istio.io type",
    ]);
  });
});

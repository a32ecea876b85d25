import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { kubernetesKind, runProgram, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference, reference } from "../support/reference";
import { stackConfig } from "../support/stack-files";

/** Strict CRD schemas in the reference data (see reference.ts): `crds/<group>/<kind>_<version>.json`. */
const CRD_DIR = reference.dir ? join(reference.dir, "schemas", "crds") : "";
/**
 * The custom resources the program may declare: v1 of these groups only (Istio's networking,
 * security and telemetry; the Prometheus Operator's monitoring.coreos.com).
 */
const CR_TYPE =
  /^kubernetes:((networking|security|telemetry)\.istio\.io|monitoring\.coreos\.com)\/v1:[A-Za-z]+$/;
/** Every type of an Istio or Prometheus Operator group, whatever its version: all must pass CR_TYPE. */
const CR_GROUP = /^kubernetes:(([a-z0-9.]*\.)?istio\.io|([a-z0-9.]*\.)?coreos\.com)\//;
const NOT_V1 = "not a v1 networking/security/telemetry.istio.io or monitoring.coreos.com type";

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

function customResources(run: ProgramRun): Recorded[] {
  return run.resources.filter((r) => CR_GROUP.test(r.type));
}

function invalidSpecs(run: ProgramRun): string[] {
  const failures: string[] = [];
  for (const r of customResources(run)) {
    const gvk = kubernetesKind(r.type);
    if (!gvk || !CR_TYPE.test(r.type)) {
      failures.push(`${r.type} ${r.name}: ${NOT_V1}`);
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
/** A canary of pingpong-b with mirroring and both faults: every optional route field in play. */
const CANARY = {
  canaryInstances: "b",
  trafficPercentV1: 80,
  trafficPercentV2: 20,
  mirrorPercent: 10,
  faultDelayPercent: 5,
  faultAbortPercent: 1,
};
interface Variant {
  label: string;
  env: "dev" | "prod";
  config: Record<string, string | number | boolean>;
  /** What the variant must declare: an ingress Gateway and VirtualService, PodMonitors, a canary. */
  gateway: boolean;
  podMonitors: boolean;
  canary: boolean;
}
/**
 * The stacks as their files say (TLS at the Istio gateway; dev installs Prometheus, prod uses
 * PodMonitors), dev with each other TLS termination, mesh-wide mTLS, and canaries with every
 * optional route field. The monitoring modes only add or drop whole objects:
 * test/components/observability.test.ts.
 */
const VARIANTS: Variant[] = [
  ...(["dev", "prod"] as const).map((env): Variant => ({
    label: `${env}`,
    env,
    config: {},
    gateway: true,
    podMonitors: true,
    canary: false,
  })),
  ...MODES.filter((mode) => mode !== "istio").map((mode): Variant => ({
    label: `dev tlsTermination=${mode}`,
    env: "dev",
    config: { "pingpong:tlsTermination": mode },
    gateway: false,
    podMonitors: true,
    canary: false,
  })),
  {
    label: "dev meshWideMtls=true",
    env: "dev",
    config: { meshWideMtls: true },
    gateway: true,
    podMonitors: true,
    canary: false,
  },
  ...(["dev", "prod"] as const).map((env): Variant => ({
    label: `${env} canary`,
    env,
    config: CANARY,
    gateway: true,
    podMonitors: true,
    canary: true,
  })),
  {
    label: "dev canary on both instances, tlsTermination=ingress",
    env: "dev",
    config: { ...CANARY, canaryInstances: "a,b", tlsTermination: "ingress" },
    gateway: false,
    podMonitors: true,
    canary: true,
  },
];
describeWithReference("custom resources against the strict CRD schemas", () => {
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
  const kindOf = (r: Recorded): string => kubernetesKind(r.type)?.kind ?? r.type;
  const specOfRecorded = (r: Recorded): Record<string, unknown> =>
    (r.inputs as { spec: Record<string, unknown> }).spec;
  const nsOf = (r: Recorded): unknown =>
    (r.inputs as { metadata?: { namespace?: unknown } }).metadata?.namespace;

  describe("the CRD schema directory", () => {
    test("exists, with the groups the program uses", () => {
      expect({ dir: CRD_DIR, exists: existsSync(CRD_DIR) }).toEqual({ dir: CRD_DIR, exists: true });
      for (const group of [
        "networking.istio.io",
        "security.istio.io",
        "telemetry.istio.io",
        "monitoring.coreos.com",
      ])
        expect({ group, exists: existsSync(join(CRD_DIR, group)) }).toEqual({ group, exists: true });
      for (const [apiVersion, kind] of [
        ["networking.istio.io/v1", "DestinationRule"],
        ["networking.istio.io/v1", "VirtualService"],
        ["telemetry.istio.io/v1", "Telemetry"],
        ["monitoring.coreos.com/v1", "PodMonitor"],
      ])
        expect({ kind, exists: existsSync(schemaFile(apiVersion, kind)) }).toEqual({ kind, exists: true });
    });
  });

  describe.each(VARIANTS)("custom resources of $label", (v) => {
    test("every spec is valid against the strict CRD schema of its kind", () => {
      const run = runOf(v.label);
      const resources = customResources(run);
      // PeerAuthentication and AuthorizationPolicies at least, in every mode.
      expect(resources.length).toBeGreaterThanOrEqual(8);
      expect(invalidSpecs(run)).toEqual([]);
    });

    test("every kind has a schema file and only v1 APIs are used", () => {
      const types = [...new Set(customResources(runOf(v.label)).map((r) => r.type))].sort();
      const expected = [
        "kubernetes:security.istio.io/v1:AuthorizationPolicy",
        "kubernetes:security.istio.io/v1:PeerAuthentication",
        "kubernetes:networking.istio.io/v1:DestinationRule",
        "kubernetes:networking.istio.io/v1:VirtualService",
        "kubernetes:telemetry.istio.io/v1:Telemetry",
      ];
      if (v.gateway) expected.push("kubernetes:networking.istio.io/v1:Gateway");
      if (v.podMonitors) expected.push("kubernetes:monitoring.coreos.com/v1:PodMonitor");
      expect(types).toEqual(expected.sort());
      for (const type of types) {
        const gvk = kubernetesKind(type);
        expect(gvk).toBeDefined();
        if (gvk) expect(existsSync(schemaFile(gvk.apiVersion, gvk.kind))).toBe(true);
      }
    });

    test("validates every DestinationRule, VirtualService (mesh and ingress), Telemetry and PodMonitor", () => {
      const run = runOf(v.label);
      const count = (kind: string) => customResources(run).filter((r) => kindOf(r) === kind).length;
      expect({
        DestinationRule: count("DestinationRule"),
        VirtualService: count("VirtualService"),
        Telemetry: count("Telemetry"),
        PodMonitor: count("PodMonitor"),
      }).toEqual({
        DestinationRule: 2,
        // One per instance, plus the ingress's at the Istio gateway.
        VirtualService: v.gateway ? 3 : 2,
        Telemetry: 1,
        PodMonitor: v.podMonitors ? 2 : 0,
      });
      for (const r of customResources(run)) {
        expect({
          resource: r.name,
          errors: specErrors(`${String(r.inputs.apiVersion)}`, kindOf(r), r.inputs.spec),
        }).toEqual({
          resource: r.name,
          errors: [],
        });
      }
    });

    test("the validated specs carry the canary's subsets, split, mirror and faults when configured", () => {
      const run = runOf(v.label);
      const virtualServices = customResources(run).filter((r) => kindOf(r) === "VirtualService");
      const rules = customResources(run).filter((r) => kindOf(r) === "DestinationRule");
      const json = JSON.stringify([...virtualServices, ...rules].map(specOfRecorded));
      expect(json.includes('"mirrorPercentage"')).toBe(v.canary);
      expect(json.includes('"fault"')).toBe(v.canary);
      expect(json.includes('"weight":20')).toBe(v.canary);
      const canaryRule = rules.find((r) => nsOf(r) === "pingpong-b");
      const subsets = (specOfRecorded(canaryRule as Recorded).subsets as Array<{ name: string }>).map(
        (x) => x.name,
      );
      expect(subsets).toEqual(v.canary ? ["v1", "v2"] : ["v1"]);
    });
  });

  describe("the schemas catch mistakes", () => {
    const specOf = (
      kind: string,
      name: string,
      label = "dev",
      namespace?: string,
    ): Record<string, unknown> => {
      const r = customResources(runOf(label)).find(
        (x) =>
          kubernetesKind(x.type)?.kind === kind &&
          (x.inputs as { metadata: { name: string } }).metadata.name === name &&
          (namespace === undefined || nsOf(x) === namespace),
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

    test("a kind without a schema file is reported, not skipped", () => {
      expect(() => specErrors("networking.istio.io/v1", "Pingpong", {})).toThrow(/no CRD schema/);
      const fake: Recorded = {
        type: "kubernetes:networking.istio.io/v1alpha3:Gateway",
        name: "x",
        id: "x-id",
        inputs: { apiVersion: "networking.istio.io/v1alpha3", kind: "Gateway", spec: {} },
        secretPaths: [],
      };
      const podMonitor: Recorded = {
        type: "kubernetes:monitoring.coreos.com/v1alpha1:PodMonitor",
        name: "y",
        id: "y-id",
        inputs: { apiVersion: "monitoring.coreos.com/v1alpha1", kind: "PodMonitor", spec: {} },
        secretPaths: [],
      };
      expect(invalidSpecs({ resources: [fake, podMonitor], reads: [], outputs: {} })).toEqual([
        `kubernetes:networking.istio.io/v1alpha3:Gateway x: ${NOT_V1}`,
        `kubernetes:monitoring.coreos.com/v1alpha1:PodMonitor y: ${NOT_V1}`,
      ]);
    });
  });
});

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_RELEASE, gatewayPodLabels } from "../../components/istio";
import { IstioIngress } from "../../components/ingress";
import { MeshSecurity } from "../../components/mesh-security";
import { Traffic, meshRoutes } from "../../components/traffic";
import { PRIMARY_VERSION } from "../../components/workload";
import { INSTANCE_KEYS, plan } from "../../stacks/plan";
import { parseSettings, type Settings } from "../../stacks/settings";
import {
  engineConfig,
  kubernetesKind,
  runComponent,
  runProgram,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { APP_TLS, SHARED_VARIANTS } from "../support/variants";
import { reference } from "../support/reference";
import { stackConfig } from "../support/stack-files";
import { T } from "../support/tokens";

/**
 * Validation of the program's custom resources against the strict CRD schemas, and the renderings
 * that declare every shape of them (crd-schemas.test.ts).
 */

/** Strict CRD schemas in the reference data (see reference.ts): `crds/<group>/<kind>_<version>.json`. */
export const CRD_DIR = reference.dir ? join(reference.dir, "schemas", "crds") : "";
/**
 * Every type of the custom resources' groups, whatever its version: Istio's, the Prometheus
 * Operator's and Argo Rollouts'. Each must be validated by its CRD schema.
 */
const CR_GROUP = /^kubernetes:(([a-z0-9.]*\.)?istio\.io|([a-z0-9.]*\.)?coreos\.com|argoproj\.io)\//;
export const NOT_V1 = "not v1, although the schemas hold a v1 of its kind";

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Kubernetes' OpenAPI formats ajv-formats does not know: the type already constrains them.
for (const format of ["int32", "int64", "double", "float", "binary"]) ajv.addFormat(format, true);

const validators = new Map<string, ValidateFunction>();

export function schemaFile(apiVersion: string, kind: string): string {
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
export function specErrors(apiVersion: string, kind: string, spec: unknown): string[] {
  const validate = validatorFor(apiVersion, kind);
  if (validate({ spec })) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || "/"} ${e.message ?? "invalid"} ${JSON.stringify(e.params)}`,
  );
}

export function customResources(run: ProgramRun): Recorded[] {
  return run.resources.filter((r) => CR_GROUP.test(r.type));
}

/**
 * Why the version of a custom resource type is refused, if it is: Istio's guidance is to use the v1
 * APIs, served by every Istio release in support (schemas/README.md); a kind served below v1 only,
 * where the schemas hold no v1 of it (EnvoyFilter v1alpha3, Argo Rollouts' v1alpha1 kinds), is
 * taken at that version.
 */
function versionProblem(gvk: { apiVersion: string; kind: string }): string | undefined {
  const [group, version] = gvk.apiVersion.split("/");
  if (version === "v1") return undefined;
  return existsSync(schemaFile(`${group}/v1`, gvk.kind)) ? NOT_V1 : undefined;
}

export function invalidSpecs(run: ProgramRun): string[] {
  const failures: string[] = [];
  for (const r of customResources(run)) {
    const gvk = kubernetesKind(r.type);
    const problem = gvk ? versionProblem(gvk) : "not a group/version:Kind type";
    if (!gvk || problem) {
      failures.push(`${r.type} ${r.name}: ${problem}`);
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

/** A canary of both instances with mirroring and both faults: every optional route field in play. */
export const CANARY = {
  canaryInstances: "a,b",
  canaryAnalysis: false,
  trafficPercentV1: 80,
  trafficPercentV2: 20,
  mirrorPercent: 10,
  faultDelayPercent: 5,
  faultAbortPercent: 1,
};

/** Stands in for Istio's releases: the custom resources wait for them. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

/** The components of the program's custom resources, as the program builds them for `stack` with the canary. */
const canarySettings = (stack: string): Settings =>
  parseSettings(engineConfig({ ...stackConfig(stack), ...CANARY }), stack);

function renderCanaryTraffic(stack: string): Promise<ProgramRun> {
  const s = canarySettings(stack);
  const p = plan(s);
  return runComponent(() => {
    const controlPlane = [new ControlPlane("istiod")];
    for (const key of INSTANCE_KEYS) {
      const { namespace, host, traffic } = p.instances[key];
      new Traffic(`traffic-${key}`, { ...traffic, namespace, host, controlPlane });
    }
    // The ingress follows pingpong-a's split, mirror and faults.
    new IstioIngress("ingress", {
      hosts: s.tls.hosts,
      certPem: "cert",
      keyPem: "key",
      gatewayNamespace: s.namespaces.gateway,
      gatewaySelector: gatewayPodLabels(GATEWAY_RELEASE),
      backend: { namespace: p.instances.a.namespace, serviceName: "pingpong" },
      routes: meshRoutes(PRIMARY_VERSION, s.traffic.resilience, p.instances.a.canary),
      dependsOn: controlPlane,
    });
    return {};
  }, stack);
}

/** MeshSecurity with what no stack file combines: TCP-only rules (the app terminates TLS) and a mesh-wide policy. */
function renderMeshWideTcp(): Promise<ProgramRun> {
  const s = parseSettings(engineConfig({ ...stackConfig("dev"), meshWideMtls: true, ...APP_TLS }), "dev");
  const p = plan(s);
  return runComponent(() => {
    const caller = (key: "a" | "b") => ({
      namespace: p.instances[key].namespace,
      serviceAccount: "pingpong",
    });
    new MeshSecurity("mesh-security", {
      ...p.security,
      namespaces: {
        a: { namespace: p.instances.a.namespace, callers: [caller("b")] },
        b: { namespace: p.instances.b.namespace, callers: [caller("a")] },
      },
      meshWide: p.security.meshWide ? { rootNamespace: "istio-system" } : undefined,
      controlPlane: [new ControlPlane("istiod")],
    });
    return {};
  });
}

/** The custom resource kinds the program creates. */
export const KINDS = {
  authorizationPolicy: T.authorizationPolicy,
  peerAuthentication: T.peerAuthentication,
  destinationRule: T.destinationRule,
  virtualService: T.virtualService,
  gateway: T.gateway,
  telemetry: T.telemetry,
  podMonitor: T.podMonitor,
  serviceEntry: T.serviceEntry,
  envoyFilter: T.envoyFilter,
  rollout: T.rollout,
  analysisTemplate: T.analysisTemplate,
} as const;

export interface Rendering {
  label: string;
  render: () => Promise<ProgramRun>;
  /** The custom resource types it must declare. */
  types: string[];
  /** Whether its routes carry a canary with mirroring and faults. */
  canary: boolean;
  /** The whole program, where the count of each kind is known. */
  program: boolean;
  /** The pingpong instances' namespaces, where the counts and the subsets below apply. */
  pingpongNamespaces: string[];
  /** The namespace of the instance under a Rollout, whose subsets the Rollout names; none without one. */
  analysedNamespace?: string;
}

/** The custom resource types the whole program declares under `s`, by the add-ons it turns on. */
function programTypes(s: Settings): string[] {
  const egressHosts = (s.egress.gateway?.hosts.length ?? 0) > 0;
  return [
    KINDS.authorizationPolicy,
    KINDS.peerAuthentication,
    KINDS.destinationRule,
    KINDS.virtualService,
    // The ingress gateway's Gateway where it is the edge; the egress gateway's where it has hosts.
    ...(s.tls.termination === "istio" || egressHosts ? [KINDS.gateway] : []),
    ...(egressHosts ? [KINDS.serviceEntry] : []),
    ...(s.rateLimit ? [KINDS.envoyFilter] : []),
    ...(s.delivery ? [KINDS.rollout, KINDS.analysisTemplate] : []),
    KINDS.telemetry,
    KINDS.podMonitor,
  ];
}

/**
 * The whole program for the stacks as their files say (TLS at the Istio gateway; dev installs
 * Prometheus, prod uses PodMonitors; dev's add-ons) and dev with each other TLS termination; and the
 * components alone for what those do not combine: canaries with every optional route field, at the
 * ingress too, and a mesh-wide policy beside TCP-only rules. The monitoring modes only add or drop
 * whole objects: test/components/observability.test.ts.
 */
export const RENDERINGS: Rendering[] = [
  ...Object.entries(SHARED_VARIANTS).map(([label, { stack, config }]): Rendering => {
    const s = parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
    return {
      label,
      render: () => runProgram(stack, { ...stackConfig(stack), ...config }),
      types: programTypes(s),
      canary: false,
      program: true,
      pingpongNamespaces: INSTANCE_KEYS.map((k) => s.namespaces[k]),
      analysedNamespace: s.delivery && s.namespaces[s.delivery.instance],
    };
  }),
  ...["dev", "prod"].map((stack): Rendering => ({
    label: `Traffic and IstioIngress with a canary of both instances (${stack})`,
    render: () => renderCanaryTraffic(stack),
    types: [KINDS.destinationRule, KINDS.virtualService, KINDS.gateway],
    canary: true,
    program: false,
    pingpongNamespaces: INSTANCE_KEYS.map((k) => plan(canarySettings(stack)).instances[k].namespace),
  })),
  {
    label: "MeshSecurity with TCP-only rules and a mesh-wide policy",
    render: renderMeshWideTcp,
    types: [KINDS.authorizationPolicy, KINDS.peerAuthentication],
    canary: false,
    program: false,
    pingpongNamespaces: [],
  },
];

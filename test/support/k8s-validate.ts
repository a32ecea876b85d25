import { createRequire } from "node:module";
import { kubernetesKind, type Recorded } from "./program";

/** A Kubernetes object as it would be sent to the API server. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: unknown;
  [field: string]: unknown;
}

interface ModelInstance {
  validate(): void;
}
interface ModelClass {
  new (data: object): ModelInstance;
  apiVersion?: unknown;
  kind?: unknown;
}

const nodeRequire = createRequire(__filename);
const API_VERSION = /^(?:([a-z0-9]+(?:\.[a-z0-9]+)*)\/)?(v\d+(?:(?:alpha|beta)\d+)?)$/;

/**
 * The kubernetes-models module of an apiVersion: `v1` is `kubernetes-models/v1`, `apps/v1` is
 * `kubernetes-models/apps/v1`, `rbac.authorization.k8s.io/v1` is
 * `kubernetes-models/rbac.authorization.k8s.io/v1`.
 */
export function modelModule(apiVersion: string): string {
  const m = API_VERSION.exec(apiVersion);
  if (!m) throw new Error(`no validator for apiVersion ${JSON.stringify(apiVersion)}: not an apiVersion`);
  const [, group, version] = m;
  return group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
}

/** The upstream model class of `kind` in `apiVersion`; throws when kubernetes-models has none. */
export function modelFor(apiVersion: string, kind: string): ModelClass {
  const module = modelModule(apiVersion);
  let exports: Record<string, unknown>;
  try {
    exports = nodeRequire(module) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`no validator for ${apiVersion} ${kind}: ${module} cannot be loaded (${String(err)})`);
  }
  const model = exports[kind] as ModelClass | undefined;
  if (
    typeof model !== "function" ||
    model.apiVersion !== apiVersion ||
    model.kind !== kind ||
    typeof (model.prototype as Partial<ModelInstance>).validate !== "function"
  ) {
    throw new Error(`no validator for ${apiVersion} ${kind}: ${module} has no model ${kind}`);
  }
  return model;
}

/** Validates a manifest against the upstream schema of its apiVersion and kind; throws on the first violation. */
export function validateManifest(manifest: Manifest): void {
  const Model = modelFor(manifest.apiVersion, manifest.kind);
  new Model(manifest).validate();
}

/**
 * Whether a recorded resource is declared through the Kubernetes provider as an object (every
 * `kubernetes:` type token; the provider itself is `pulumi:providers:kubernetes`).
 */
export function isKubernetesObject(r: Recorded): boolean {
  return r.type.startsWith("kubernetes:");
}

/**
 * The manifest of a recorded Kubernetes resource: apiVersion and kind from its type token, then
 * metadata and the rest of its inputs. Fails when the inputs name another apiVersion or kind.
 */
export function manifestOf(r: Recorded): Manifest {
  const gvk = kubernetesKind(r.type);
  if (!gvk) throw new Error(`no validator for ${r.type} ${r.name}: not a group/version:Kind type token`);
  const { apiVersion, kind, metadata, ...rest } = r.inputs as Record<string, unknown>;
  if (apiVersion !== undefined && apiVersion !== gvk.apiVersion) {
    throw new Error(`${r.type} ${r.name}: inputs say apiVersion ${JSON.stringify(apiVersion)}`);
  }
  if (kind !== undefined && kind !== gvk.kind) {
    throw new Error(`${r.type} ${r.name}: inputs say kind ${JSON.stringify(kind)}`);
  }
  return { apiVersion: gvk.apiVersion, kind: gvk.kind, metadata, ...rest };
}

/** API groups of custom resources checked against their CRD schemas (besides `istio.io`, `*.istio.io`). */
const CRD_GROUPS = ["monitoring.coreos.com", "argoproj.io"];

/**
 * Whether a recorded resource is validated elsewhere, not by kubernetes-models: Istio custom
 * resources (API groups `istio.io` and `*.istio.io`, e.g. networking, security and
 * telemetry.istio.io), Prometheus Operator resources (`monitoring.coreos.com`) and Argo Rollouts'
 * (`argoproj.io`), checked against their CRD schemas in test/program/crd-schemas.test.ts, and Helm releases (`helm.sh`, no API
 * object of their own). Every other `kubernetes:` type, including unknown core kinds, must have a model.
 */
export function isValidatedElsewhere(r: Recorded): boolean {
  const group = /^kubernetes:([a-z0-9.]+)\/[a-z0-9]+:[A-Za-z]+$/.exec(r.type)?.[1];
  if (group === undefined) return false;
  return (
    group === "helm.sh" || group === "istio.io" || group.endsWith(".istio.io") || CRD_GROUPS.includes(group)
  );
}

/**
 * Validates every Kubernetes object of a run, except those validated elsewhere (see
 * isValidatedElsewhere); returns one line per invalid or unvalidatable object.
 */
export function invalidObjects(resources: Recorded[]): string[] {
  const failures: string[] = [];
  for (const r of resources.filter((x) => isKubernetesObject(x) && !isValidatedElsewhere(x))) {
    try {
      validateManifest(manifestOf(r));
    } catch (err) {
      failures.push(`${r.type} ${r.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failures;
}

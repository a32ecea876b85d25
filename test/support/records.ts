import type { ProgramRun, Recorded } from "./program";

/** Finding recorded resources and reading their labels: what tests assert with. */

interface KnownInputs {
  metadata?: { name?: unknown; namespace?: unknown; [field: string]: unknown };
}

/** Resources of one type token, e.g. `kubernetes:apps/v1:Deployment`. */
export function ofType(run: ProgramRun, type: string): Recorded[] {
  return run.resources.filter((r) => r.type === type);
}

/** The single resource of `type` in `namespace`; fails when there is not exactly one. */
export function oneIn(run: ProgramRun, type: string, namespace: string): Recorded {
  const found = ofType(run, type).filter((r) => (r.inputs as KnownInputs).metadata?.namespace === namespace);
  if (found.length !== 1) throw new Error(`expected one ${type} in ${namespace}, found ${found.length}`);
  return found[0];
}

/** `apiVersion` and `kind` of a Kubernetes type token. */
export function kubernetesKind(type: string): { apiVersion: string; kind: string } | undefined {
  const m = /^kubernetes:([a-z0-9.]+)\/([a-z0-9]+):([A-Za-z]+)$/.exec(type);
  if (!m) return undefined;
  const [, group, version, kind] = m;
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

export const namespaceOf = (r: Recorded): string => r.inputs.metadata?.namespace;
export const nameOf = (r: Recorded): string => r.inputs.metadata?.name;

/** Resources of `type` in `namespace`. */
export function inNamespace(run: ProgramRun, type: string, namespace: string): Recorded[] {
  return ofType(run, type).filter((r) => namespaceOf(r) === namespace);
}

/** Labels as Kubernetes objects carry them. */
export type Labels = Record<string, string>;

/** A label selector as Deployments, disruption budgets and NetworkPolicies spell it. */
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Whether `selector` selects an object labelled `labels` (an empty selector selects everything, none nothing). */
export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (selector === undefined) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case "In":
        return has && (e.values ?? []).includes(labels[e.key]);
      case "NotIn":
        return !has || !(e.values ?? []).includes(labels[e.key]);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return byLabels && byExpressions;
}

/** The single resource of `type` named `name` in `namespace`; fails when there is not exactly one. */
export function byName(run: ProgramRun, type: string, namespace: string, name: string): Recorded {
  const found = inNamespace(run, type, namespace).filter((r) => nameOf(r) === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${namespace}/${name}, found ${found.length}`);
  return found[0];
}

/** Whether an input path is secret: itself or one of its parents marked. */
export function isSecretPath(r: Recorded, path: string): boolean {
  return r.secretPaths.some((p) => path === p || path.startsWith(`${p}.`));
}

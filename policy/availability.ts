/** The availability rule: PodDisruptionBudgets that still let node drains evict a pod. */
import { POLICY_NAMES, stackPolicy } from "./sdk";
import {
  TYPES,
  arr,
  isHpa,
  isPdb,
  nameOf,
  namespaceOf,
  obj,
  str,
  type CheckedResource,
  type Obj,
  type StackViolation,
} from "./resources";

// 8. PDB consistent with HPA (stack)

/** minAvailable as a pod count for `replicas` pods (percentages round up, as the disruption controller does). */
export function minAvailableFor(minAvailable: unknown, replicas: number): number | undefined {
  if (typeof minAvailable === "number") return minAvailable;
  if (typeof minAvailable === "string") {
    const pct = /^([0-9]+)%$/.exec(minAvailable);
    if (pct) return Math.ceil((Number(pct[1]) * replicas) / 100);
    if (/^[0-9]+$/.test(minAvailable)) return Number(minAvailable);
  }
  return undefined;
}

function selectorMatches(selector: Obj, labels: Obj): boolean {
  const matchLabels = obj(selector.matchLabels);
  const expressions = arr(selector.matchExpressions).map(obj);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  const labelsOk = Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  const exprOk = expressions.every((e) => {
    const key = str(e.key) ?? "";
    const values = arr(e.values);
    switch (e.operator) {
      case "In":
        return values.includes(labels[key]);
      case "NotIn":
        return !values.includes(labels[key]);
      case "Exists":
        return key in labels;
      case "DoesNotExist":
        return !(key in labels);
      default:
        return false;
    }
  });
  return labelsOk && exprOk;
}

export function checkPdbAgainstHpa(resources: CheckedResource[]): StackViolation[] {
  const deployments = resources.filter((r) => r.type === TYPES.deployment);
  const hpas = resources.filter((r) => isHpa(r.type));
  const out: StackViolation[] = [];
  for (const pdb of resources.filter((r) => isPdb(r.type))) {
    const spec = obj(pdb.props.spec);
    if (spec.minAvailable === undefined || spec.minAvailable === null) continue;
    const ns = namespaceOf(pdb);
    const pdbName = nameOf(pdb) ?? pdb.name ?? "?";
    const selected = deployments.filter(
      (d) =>
        namespaceOf(d) === ns &&
        (nameOf(d) === pdbName ||
          selectorMatches(obj(spec.selector), obj(obj(obj(obj(d.props.spec).template).metadata).labels))),
    );
    const workloads = new Set([pdbName, ...selected.map(nameOf).filter((n): n is string => n !== undefined)]);
    const scalers = hpas.filter((h) => {
      const ref = obj(obj(h.props.spec).scaleTargetRef);
      return (
        namespaceOf(h) === ns &&
        (ref.kind ?? "Deployment") === "Deployment" &&
        workloads.has(String(ref.name))
      );
    });
    if (scalers.length > 0) {
      for (const hpa of scalers) {
        const minReplicas =
          typeof obj(hpa.props.spec).minReplicas === "number" ? Number(obj(hpa.props.spec).minReplicas) : 1;
        const min = minAvailableFor(spec.minAvailable, minReplicas);
        if (min === undefined) continue;
        if (!(minReplicas > min)) {
          out.push({
            urn: pdb.urn,
            message:
              `PodDisruptionBudget ${ns}/${pdbName}: minAvailable ${JSON.stringify(spec.minAvailable)} must be below ` +
              `the HPA ${String(obj(obj(hpa.props.spec).scaleTargetRef).name)} minReplicas ${minReplicas}, ` +
              `or no pod can ever be evicted`,
          });
        }
      }
      continue;
    }
    for (const d of selected) {
      const replicasIn = obj(d.props.spec).replicas;
      const replicas = typeof replicasIn === "number" ? replicasIn : 1;
      const min = minAvailableFor(spec.minAvailable, replicas);
      if (min === undefined) continue;
      if (min >= replicas) {
        out.push({
          urn: pdb.urn,
          message:
            `PodDisruptionBudget ${ns}/${pdbName}: minAvailable ${JSON.stringify(spec.minAvailable)} >= the ` +
            `${replicas} replicas of Deployment ${String(nameOf(d))} (no HPA): no pod can ever be evicted`,
        });
      }
    }
  }
  return out;
}

export const pdbConsistentWithHpa = stackPolicy(
  {
    name: POLICY_NAMES.pdbHpa,
    description:
      "A PodDisruptionBudget's minAvailable stays below the replicas it protects: the HPA's " +
      "minReplicas for autoscaled Deployments, spec.replicas otherwise, so node drains can proceed.",
    severity: "medium",
  },
  (resources) => checkPdbAgainstHpa(resources),
);

import {
  inNamespace,
  kubernetesKind,
  nameOf,
  namespaceOf,
  selects,
  type LabelSelector,
  type Labels,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { T, containerOf, envOf, namedPorts, serviceOfUrl, type Json } from "./lookup";

/**
 * The objects that run pingpong's pods, whatever their kind: Deployments, and the Argo Rollout that
 * takes the place of an instance's Deployment under canary analysis. Both carry a selector, a pod
 * template under `spec.template` and, unless an autoscaler owns it, `spec.replicas`.
 */
export const WORKLOAD_TYPES: readonly string[] = [T.deployment, T.rollout];

export const workloads = (run: ProgramRun): Recorded[] =>
  run.resources.filter((r) => WORKLOAD_TYPES.includes(r.type));

export const workloadsIn = (run: ProgramRun, namespace: string): Recorded[] =>
  workloads(run).filter((r) => namespaceOf(r) === namespace);

/** The one workload of `namespace`; fails unless there is exactly one. */
export function workloadIn(run: ProgramRun, namespace: string): Recorded {
  const found = workloadsIn(run, namespace);
  if (found.length !== 1) throw new Error(`expected one workload in ${namespace}, found ${found.length}`);
  return found[0];
}

/** What a HorizontalPodAutoscaler's scaleTargetRef says to scale `w`. */
export function scaleTargetOf(w: Recorded): { apiVersion: string; kind: string; name: string } {
  const gvk = kubernetesKind(w.type);
  if (!gvk) throw new Error(`${w.type} is not a Kubernetes kind`);
  return { ...gvk, name: nameOf(w) };
}

/**
 * The label sets of the pods `w` runs. A Deployment's pods carry its template's labels. The Rollout
 * controller adds to each ReplicaSet's pods the labels of the role they play, `canaryMetadata` or
 * `stableMetadata` (argo-rollouts docs/features/ephemeral-metadata.md), and its pod-template hash
 * (left out: its value exists only in the cluster). A Rollout's come stable first, then canary.
 */
export function podLabelSets(w: Recorded): Labels[] {
  const template: Labels = w.inputs.spec.template.metadata.labels;
  if (w.type !== T.rollout) return [template];
  const canary = w.inputs.spec.strategy?.canary;
  const roles = [canary?.stableMetadata?.labels, canary?.canaryMetadata?.labels].filter(
    (l): l is Labels => l !== undefined,
  );
  return roles.length === 0 ? [template] : roles.map((labels) => ({ ...template, ...labels }));
}

/** Whether `selector` selects every pod `w` runs, in every role. */
export const selectsEveryPod = (selector: LabelSelector | undefined, w: Recorded): boolean =>
  podLabelSets(w).every((labels) => selects(selector, labels));

/**
 * An instance's Service: the one in its namespace that selects every pod of every workload there
 * (the mesh splits traffic between versions and roles behind it). A canary Service selects the pods
 * of one role only, so it is not this one.
 */
export function instanceService(run: ProgramRun, namespace: string): Recorded {
  const pods = workloadsIn(run, namespace);
  if (pods.length === 0) throw new Error(`no workload in ${namespace}`);
  const found = inNamespace(run, T.service, namespace).filter((s) =>
    pods.every((w) => selectsEveryPod({ matchLabels: s.inputs.spec.selector }, w)),
  );
  if (found.length !== 1)
    throw new Error(`expected one Service selecting every pod in ${namespace}, found ${found.length}`);
  return found[0];
}

/**
 * The container port calls to pingpong in `namespace` arrive on: the one behind the Service port its
 * peer's TARGET names, which is the port its sidecar and its AuthorizationPolicies see.
 */
export function servedPort(run: ProgramRun, namespace: string): number {
  const service = instanceService(run, namespace);
  const targets = workloads(run)
    .map((w) => envOf(containerOf(w)).TARGET)
    .filter((t): t is string => t !== undefined && serviceOfUrl(run, t).service === service);
  if (targets.length === 0) throw new Error(`nothing pings the Service in ${namespace}`);
  const { port } = serviceOfUrl(run, targets[0]);
  const servicePort = (service.inputs.spec.ports as Json[]).find((p) => p.port === port);
  const target: number | string = servicePort.targetPort ?? servicePort.port;
  const [pod] = workloadsIn(run, namespace);
  const containerPort = typeof target === "number" ? target : namedPorts(containerOf(pod))[target];
  if (containerPort === undefined) throw new Error(`no container port ${target} in ${namespace}`);
  return containerPort;
}

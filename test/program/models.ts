import type { IDeployment, IDeploymentSpec } from "kubernetes-models/apps/v1";
import type { IContainer } from "kubernetes-models/v1";
import { parseSettings, type Settings } from "../../stacks/settings";
import { runProgram, type Labels, type ProgramRun, type Recorded } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { workloadIn } from "./workloads";

/** Typed views of rendered resources (the upstream kubernetes-models types), for the graph's tests. */

/** A resource's inputs, typed as the upstream model of its kind. */
export const as = <M>(r: Recorded): M => r.inputs as M;

export function must<V>(value: V | undefined | null, what: string): V {
  if (value === undefined || value === null) throw new Error(`missing ${what}`);
  return value;
}

/** What a Deployment and an Argo Rollout have in common: a selector, a pod template, replicas. */
export interface PodController {
  metadata?: IDeployment["metadata"];
  spec?: Pick<IDeploymentSpec, "replicas" | "selector" | "template">;
}

/** The one workload (Deployment or Rollout) of `namespace`. */
export function workloadOf(run: ProgramRun, namespace: string): PodController {
  return as<PodController>(workloadIn(run, namespace));
}
export function containerOf(d: PodController): IContainer {
  const containers = must(d.spec?.template.spec?.containers, "containers");
  expect(containers).toHaveLength(1);
  return containers[0];
}
export function templateLabels(d: PodController): Labels {
  return must(d.spec?.template.metadata?.labels, "pod template labels");
}
export function envOf(c: IContainer): Record<string, string | undefined> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
}
/** A container's ports by name. */
export function namedPorts(c: IContainer): Record<string, number> {
  return Object.fromEntries(
    (c.ports ?? []).map((p) => [must(p.name, "container port name"), p.containerPort]),
  );
}

export const ENVS = ["dev", "prod"] as const;
export type Env = (typeof ENVS)[number];

/** dev and prod as their stack files say, with the settings the program saw (shared renders). */
export async function renderStacks(): Promise<{
  runs: Record<Env, ProgramRun>;
  settings: Record<Env, Settings>;
}> {
  const runs = {} as Record<Env, ProgramRun>;
  const settings = {} as Record<Env, Settings>;
  for (const env of ENVS) {
    settings[env] = parseSettings(stackConfig(env), env);
    runs[env] = await runProgram(env, stackConfig(env));
  }
  return { runs, settings };
}

/** Each instance and the one it pings, by settings key. */
export const SIDES = [
  { key: "a", peer: "b" },
  { key: "b", peer: "a" },
] as const;

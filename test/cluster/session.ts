import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Cluster } from "./cluster";
import { Helm } from "./helm";
import { Istiod } from "./istiod";
import { Rollouts } from "./rollouts";

/** One cluster in a box with istiod, Helm and the Argo Rollouts controller, for one test file. */
export interface Tier {
  cluster: Cluster;
  istiod: Istiod;
  helm: Helm;
  rollouts: Rollouts;
  /** How long each phase took, in ms, for the figures. */
  phases: Record<string, number>;
}

/** Whether this process runs where the tier may start servers: inside run.sh's namespaces. */
export function insideTier(): boolean {
  return process.env.PINGPONG_CLUSTER_RUN_DIR !== undefined;
}

export async function startTier(name: string): Promise<Tier> {
  if (!insideTier()) {
    throw new Error("the cluster tier runs through `npm run test:cluster` (its own network namespace)");
  }
  const root = process.env.PINGPONG_CLUSTER_RUN_DIR ?? tmpdir();
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, `${name}-`));
  const phases: Record<string, number> = {};
  const t0 = Date.now();
  const cluster = new Cluster(dir);
  try {
    await cluster.up();
  } catch (err) {
    await cluster.down();
    throw err;
  }
  phases["cluster up"] = Date.now() - t0;
  return {
    cluster,
    istiod: new Istiod(cluster),
    helm: new Helm(path.join(dir, "helm"), cluster.kubeconfig),
    rollouts: new Rollouts(cluster),
    phases,
  };
}

export async function stopTier(tier: Tier | undefined): Promise<void> {
  if (!tier) return;
  await tier.rollouts.stop();
  await tier.istiod.stop();
  await tier.cluster.down();
}

/** Times `fn` into `tier.phases[phase]`. */
export async function timed<T>(tier: Tier, phase: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    tier.phases[phase] = Date.now() - t0;
  }
}

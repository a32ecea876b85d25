import { mkdtempSync } from "node:fs";
import path from "node:path";
import { runProgram, setStateOverride, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { chartFarm, describeSources, type ChartSource } from "./charts";
import type { Cluster } from "./cluster";
import type { Istiod } from "./istiod";
import type { KubeObject } from "./kube";
import { tlsState } from "./tls-material";
import { steps, withoutIgnored, type ReleaseStep, type Step } from "./plan-apply";
import type { Tier } from "./session";

/**
 * Applies a stack's rendering to the tier's cluster in the program's dependency order: objects by
 * server-side apply, releases by Helm with their computed values and local chart sources. istiod
 * starts as soon as its chart has installed the ConfigMaps it reads, before anything it must inject
 * or validate; the Argo Rollouts controller as soon as its chart has installed its CRDs.
 */

export interface Applied {
  step: Step;
  /** resourceVersion after the step, per object (`kind/namespace/name`). */
  versions: Map<string, string>;
  /** resourceVersion just before the step, per object that existed. */
  before: Map<string, string>;
  warnings: string[];
  ms: number;
}

export interface Deployment {
  run: ProgramRun;
  steps: Step[];
  charts: ChartSource[];
  chartDir: string;
}

export const objectKey = (o: KubeObject): string =>
  `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** The chart name of a release step, whether `chart` is a name or a `<dir>/<chart>/<version>` path. */
export function chartName(s: ReleaseStep): string {
  return path.isAbsolute(s.chart) ? path.basename(path.dirname(s.chart)) : s.chart;
}

/** Renders `stack` (its stack file plus `config`) with the tier's chart sources and istiod's webhooks. */
export async function prepare(
  cluster: Cluster,
  istiod: Istiod,
  stack: string,
  config: Record<string, string | number | boolean> = {},
): Promise<Deployment> {
  const chartDir = mkdtempSync(path.join(cluster.dir, "charts-"));
  setStateOverride(tlsState);
  // First render: which charts the stack pins (release chart names and versions).
  const first = await runProgram(stack, { ...stackConfig(stack), ...config, ...istiod.webhookSettings() });
  const pins = steps(first)
    .filter((s): s is ReleaseStep => s.kind === "release")
    .map((s) => ({ chart: chartName(s), version: s.version }));
  const charts = chartFarm(chartDir, pins);
  for (const line of describeSources(charts)) process.stdout.write(`tier: ${line}\n`);
  const run = await runProgram(stack, {
    ...stackConfig(stack),
    ...config,
    ...istiod.webhookSettings(),
    chartSource: chartDir,
  });
  return { run, steps: steps(run), charts, chartDir };
}

/** The chart directory of a release: its `chart` when a path (chartSource set), else from the farm. */
export function chartPath(d: Deployment, s: ReleaseStep): string {
  return path.isAbsolute(s.chart) ? s.chart : path.join(d.chartDir, s.chart, s.version);
}

export interface ApplyOptions {
  /** Called before each step; throwing stops the apply there. */
  before?: (step: Step, index: number) => Promise<void>;
  /** Object mutation applied to every object (e.g. a label), for convergence checks. */
  mutate?: (o: KubeObject) => KubeObject;
  /** Install a release only when its values differ from the installed ones (the Release resource's diff). */
  onlyChangedReleases?: boolean;
}

export async function apply(tier: Tier, d: Deployment, opts: ApplyOptions = {}): Promise<Applied[]> {
  const { cluster, helm, istiod, rollouts } = tier;
  const out: Applied[] = [];
  for (const [i, step] of d.steps.entries()) {
    await opts.before?.(step, i);
    const t0 = Date.now();
    const versions = new Map<string, string>();
    const before = new Map<string, string>();
    const warnings: string[] = [];
    if (step.kind === "object") {
      let obj = opts.mutate ? opts.mutate(step.object) : step.object;
      const { apiVersion, kind, metadata } = obj;
      const live = await cluster.kube
        .get(apiVersion, kind, metadata.namespace, metadata.name!)
        .catch(() => undefined);
      if (live) {
        before.set(objectKey(obj), String(live.metadata.resourceVersion));
        // An update, as the provider makes it: ignored fields left to whoever changed them.
        obj = withoutIgnored(obj, step.ignoreChanges);
      }
      const a = await cluster.kube.apply(obj).catch((err: Error) => {
        throw new Error(`${step.name} (${objectKey(obj)}) was refused: ${err.message}`);
      });
      versions.set(objectKey(obj), a.body.metadata.resourceVersion);
      warnings.push(...a.warnings);
    } else {
      const installed = opts.onlyChangedReleases
        ? await helm.values(step.release, step.namespace).catch(() => undefined)
        : undefined;
      if (!opts.onlyChangedReleases || !sameJson(installed, step.values)) {
        await helm.install(step, chartPath(d, step)).catch((err: Error) => {
          throw new Error(`release ${step.release} (${step.name}) failed: ${err.message}`);
        });
        cluster.kube.rediscover();
      }
      if (chartName(step) === "istiod" && !istiod.running) await istiod.start();
      if (chartName(step) === "argo-rollouts" && !rollouts.running) await rollouts.start(step.namespace);
    }
    out.push({ step, versions, before, warnings, ms: Date.now() - t0 });
  }
  return out;
}

/** Deep equality of JSON values, key order aside. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}

import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { runProgram, setStateOverride, type ProgramRun } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { defaultIn } from "../../stacks/key";
import { OBSERVABILITY_KEYS } from "../../stacks/keys-observability";
import { chartFarm, describeSources, findChart, type ChartSource } from "./charts";
import { until, type Cluster } from "./cluster";
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
  /**
   * What an apply can change, after the step, per object (`kind/namespace/name`): the object as
   * JSON without its status and the server's bookkeeping (resourceVersion, managedFields). A
   * resourceVersion would not do: a controller writing status between the read and the apply moves
   * it though the apply changed nothing.
   */
  versions: Map<string, string>;
  /** The same, just before the step, per object that existed. */
  before: Map<string, string>;
  warnings: string[];
  ms: number;
}

export interface Deployment {
  run: ProgramRun;
  steps: Step[];
  charts: ChartSource[];
  chartDir: string;
  /** What the stack expects the cluster to have already, installed before its first apply. */
  prerequisites: Prerequisite[];
}

/** A chart of CRDs the stack expects the cluster to run already (prod's own Prometheus Operator). */
export interface Prerequisite {
  why: string;
  /** CRD manifests, applied server-side as the Prometheus Operator documents for its CRDs. */
  files: string[];
  /** Objects created as they are. */
  objects?: KubeObject[];
}

/**
 * Objects the program reads (`Resource.get`) and so expects to exist: a prod cluster's monitoring
 * namespace, where its Grafana picks up dashboards. Namespaces are all the program reads.
 */
function readObjects(run: ProgramRun): Prerequisite[] {
  return run.reads.map((r) => {
    if (r.type !== "kubernetes:core/v1:Namespace") {
      throw new Error(
        `the program reads a ${r.type} (${r.id}); the tier knows how to provide only Namespaces`,
      );
    }
    return {
      why: `the program reads namespace ${r.id}, which the cluster is expected to have`,
      files: [],
      objects: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: r.id } }],
    };
  });
}

const yaml = createRequire(__filename)("js-yaml") as { loadAll: (text: string) => unknown[] };

const PROMETHEUS_STACK = "kube-prometheus-stack";
const PROMETHEUS_OPERATOR_GROUP = "monitoring.coreos.com/";

/**
 * With `monitoring: podmonitors` (staging, prod) the stack creates PodMonitors for a Prometheus
 * Operator the cluster already runs: its CRDs are a prerequisite, taken from the CRD chart that
 * kube-prometheus-stack (at the stack's pinned version) bundles.
 */
function prerequisitesOf(stackSteps: Step[]): Prerequisite[] {
  const needsOperator = stackSteps.some(
    (s) => s.kind === "object" && s.object.apiVersion.startsWith(PROMETHEUS_OPERATOR_GROUP),
  );
  const installsOperator = stackSteps.some((s) => s.kind === "release" && chartName(s) === PROMETHEUS_STACK);
  if (!needsOperator || installsOperator) return [];
  const version = String(defaultIn(OBSERVABILITY_KEYS.prometheusStackVersion, "prod"));
  const source = findChart(PROMETHEUS_STACK, version);
  if (!source)
    throw new Error(`no local source of ${PROMETHEUS_STACK} ${version} for the Prometheus Operator's CRDs`);
  const dir = path.join(source.dir, "charts", "crds", "crds");
  return [
    {
      why: `the stack's PodMonitors expect a Prometheus Operator: its CRDs from ${PROMETHEUS_STACK} ${version}`,
      files: readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => path.join(dir, f)),
    },
  ];
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
  const stackSteps = steps(run);
  return {
    run,
    steps: stackSteps,
    charts,
    chartDir,
    prerequisites: [...prerequisitesOf(stackSteps), ...readObjects(run)],
  };
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

/** Installs what the stack expects the cluster to have (once; later calls find it installed). */
export async function installPrerequisites(tier: Tier, d: Deployment): Promise<void> {
  const { kube } = tier.cluster;
  for (const p of d.prerequisites) {
    process.stdout.write(`tier: prerequisite: ${p.why}\n`);
    const crds = p.files
      .flatMap((file) => yaml.loadAll(readFileSync(file, "utf8")) as KubeObject[])
      .filter((o) => o?.kind === "CustomResourceDefinition");
    for (const crd of crds) await kube.apply(crd);
    for (const o of p.objects ?? []) await kube.apply(o);
    for (const crd of crds) {
      await until(`CRD ${crd.metadata.name} established`, 30_000, async () => {
        const live = await kube.get(
          "apiextensions.k8s.io/v1",
          "CustomResourceDefinition",
          undefined,
          crd.metadata.name!,
        );
        const conditions =
          (live?.status as { conditions?: Array<{ type: string; status: string }> })?.conditions ?? [];
        return conditions.some((c) => c.type === "Established" && c.status === "True");
      });
    }
  }
  tier.cluster.kube.rediscover();
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
        before.set(objectKey(obj), applyable(live));
        // An update, as the provider makes it: ignored fields left to whoever changed them.
        obj = withoutIgnored(obj, step.ignoreChanges);
      }
      const a = await cluster.kube.apply(obj).catch((err: Error) => {
        throw new Error(`${step.name} (${objectKey(obj)}) was refused: ${err.message}`);
      });
      versions.set(objectKey(obj), applyable(a.body));
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

/** An object as an apply can change it: without status, resourceVersion and managedFields. */
export function applyable(o: KubeObject): string {
  const { status: _status, ...rest } = o as KubeObject & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = o.metadata as Record<string, unknown>;
  return JSON.stringify(canonical({ ...rest, metadata }));
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

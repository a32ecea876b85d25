import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseCpu, parseMemory } from "../../stacks/formats";
import { chartDataVersion, chartDefaults, deepMerge } from "../support/charts";
import { inNamespace, nameOf, namespaceOf, ofType, type ProgramRun, type Recorded } from "../support/program";
import { reference } from "../support/reference";
import { readYaml } from "../support/stack-files";
import { defaultChartsDir } from "../reference/chart-pins";
import { T, chartReleases, type Json } from "./lookup";
import { workloads } from "./workloads";

/**
 * The stack's footprint as the scheduler admits it: what every pod it runs in steady state asks
 * of its node, summed. Each release's values are the program's merged over its chart's defaults,
 * and read where the chart's templates read them (checked against `helm template` of each chart:
 * docs/benchmarks.md). Sidecars the injector adds count with the pod; DaemonSets once per node
 * that tolerates them; Jobs (verification, Helm hooks, the canary analysis's) not at all: they run
 * at deploy time or during a rollout, then complete.
 */

/** Millicores and MiB. */
export interface Amount {
  cpu: number;
  memory: number;
}
/** One kind of pod: how many run and what each asks, every container together. */
export interface PodLine {
  component: string;
  copies: number;
  each: Amount;
  /** Containers and what each asks and may use, to check that no limit is below its request. */
  containers: Array<{ name: string; requests: Amount; limits: Partial<Amount> }>;
}

const MiB = 1024 ** 2;
/** A quantity as a chart's YAML may give it: a string, or a bare number. */
type Quantity = string | number | null | undefined;
const cpuOf = (q: Quantity) => (q === undefined || q === null ? undefined : parseCpu(String(q)));
const memOf = (q: Quantity) => {
  if (q === undefined || q === null) return undefined;
  const bytes = parseMemory(String(q));
  return bytes === undefined ? undefined : bytes / MiB;
};

/** A container as a ResourceRequirements spells it (an absent request: 0). */
function container(name: string, resources: Json): PodLine["containers"][number] {
  const r = resources ?? {};
  const requests = { cpu: cpuOf(r.requests?.cpu) ?? 0, memory: memOf(r.requests?.memory) ?? 0 };
  return { name, requests, limits: { cpu: cpuOf(r.limits?.cpu), memory: memOf(r.limits?.memory) } };
}

function line(component: string, copies: number, containers: PodLine["containers"]): PodLine {
  const each = containers.reduce(
    (sum, c) => ({ cpu: sum.cpu + c.requests.cpu, memory: sum.memory + c.requests.memory }),
    { cpu: 0, memory: 0 },
  );
  return { component, copies, each, containers };
}

export function total(lines: PodLine[]): Amount {
  return lines.reduce(
    (sum, l) => ({ cpu: sum.cpu + l.copies * l.each.cpu, memory: sum.memory + l.copies * l.each.memory }),
    { cpu: 0, memory: 0 },
  );
}

// The nodes -----------------------------------------------------------------------------------

interface Taint {
  key: string;
  effect: string;
}
interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/**
 * The dev cluster's nodes and their taints (stacks/kind/cluster.yaml). kind taints a control-plane
 * node `node-role.kubernetes.io/control-plane:NoSchedule` unless the cluster has no worker
 * (kubernetes-sigs/kind pkg/cluster/internal/create/actions/kubeadminit/init.go).
 */
export function kindNodes(): Taint[][] {
  const nodes = (readYaml("stacks/kind/cluster.yaml") as { nodes: Array<{ role: string }> }).nodes;
  const workers = nodes.filter((n) => n.role === "worker").length;
  return nodes.map((n) =>
    n.role === "control-plane" && workers > 0
      ? [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }]
      : [],
  );
}

const tolerates = (t: Toleration, taint: Taint) =>
  (t.operator === "Exists" ? t.key === undefined || t.key === taint.key : t.key === taint.key) &&
  (t.effect === undefined || t.effect === taint.effect);

/** How many of `nodes` a DaemonSet with these tolerations runs on. */
export const nodesTolerating = (nodes: Taint[][], tolerations: Toleration[] = []) =>
  nodes.filter((taints) => taints.every((taint) => tolerations.some((t) => tolerates(t, taint)))).length;

// The charts ----------------------------------------------------------------------------------

/** A release's values merged over its chart's defaults (the reference data's version of the chart). */
function merged(r: Json): Json {
  const version = chartDataVersion(r.chart, r.version);
  if (!version) throw new Error(`no reference data for ${r.chart} ${r.version}`);
  return deepMerge(chartDefaults(r.chart, version), r.values ?? {});
}

const yaml = createRequire(__filename)("js-yaml") as { load(text: string): unknown };

/**
 * The complete chart, subcharts unpacked: ../shared/chart-sources beside the reference data, or the
 * chart cache `npm run upstream:fetch` fills. Undefined when neither holds it.
 */
export function chartSource(chart: string, version: string): string | undefined {
  const roots = [reference.dir && join(reference.dir, "chart-sources"), defaultChartsDir()];
  return roots
    .filter((root): root is string => typeof root === "string")
    .map((root) => join(root, chart, version))
    .find((dir) => existsSync(join(dir, "Chart.yaml")));
}

/** A subchart's values as its parent passes them: its defaults, the parent's block over them. */
function subchart(source: string, name: string, parent: Json): Json {
  const defaults = yaml.load(readFileSync(join(source, "charts", name, "values.yaml"), "utf8")) as Json;
  return deepMerge(defaults, parent[name] ?? {});
}

const replicasOf = (autoscaled: boolean, min: number, fixed: number) => (autoscaled ? min : fixed);

/** istiod's Deployment (autoscaled: its minimum) and its istio-proxy, what every injected pod adds. */
function istio(releases: Json[], nodes: Taint[][]): { lines: PodLine[]; proxy: Json } {
  const istiod = merged(releases.find((r) => r.chart === "istiod"));
  const cni = merged(releases.find((r) => r.chart === "cni"));
  const lines = [
    line("istiod", replicasOf(istiod.autoscaleEnabled, istiod.autoscaleMin, istiod.replicaCount), [
      container("discovery", istiod.resources),
    ]),
    // istio-cni's agent: the chart's global default resources when it has none of its own.
    line("istio-cni agent", nodesTolerating(nodes, cni.tolerations), [
      container("install-cni", cni.resources ?? cni.global.defaultResources),
    ]),
    ...releases
      .filter((r) => r.chart === "gateway")
      .map((r) => {
        const g = merged(r);
        const copies = replicasOf(g.autoscaling.enabled, g.autoscaling.minReplicas, g.replicaCount);
        // The pod's own resources win over the injection template's (gateway-injection-template).
        return line(`gateway ${r.name}`, copies, [container("istio-proxy", g.resources)]);
      }),
  ];
  return { lines, proxy: istiod.global.proxy.resources };
}

/** kube-prometheus-stack: the operator's Prometheus and Alertmanager, Grafana, kube-state-metrics, the node exporter. */
function prometheusStack(r: Json, nodes: Taint[][]): PodLine[] {
  const v = merged(r);
  const source = chartSource(r.chart, chartDataVersion(r.chart, r.version)!);
  if (!source) throw new Error(`no chart source for ${r.chart} ${r.version}`);
  // The operator runs config-reloader in both pods, asking what its flags say: the chart passes
  // prometheusConfigReloader.resources, else 0 (templates/prometheus-operator/deployment.yaml).
  const reloader = container("config-reloader", v.prometheusOperator.prometheusConfigReloader.resources);
  const p = v.prometheus.prometheusSpec;
  const a = v.alertmanager.alertmanagerSpec;
  // Alertmanager without a memory request gets 200Mi from the operator (prometheus-operator
  // v0.90.1 pkg/alertmanager/statefulset.go); Prometheus gets none.
  const am = { ...a.resources, requests: { memory: "200Mi", ...a.resources?.requests } };
  const grafana = subchart(source, "grafana", v);
  const sidecars = ["alerts", "dashboards", "datasources", "notifiers", "plugins"].filter(
    (s) => grafana.sidecar[s]?.enabled,
  );
  const ksm = subchart(source, "kube-state-metrics", v);
  const exporter = subchart(source, "prometheus-node-exporter", v);
  return [
    line("Prometheus Operator", 1, [container("operator", v.prometheusOperator.resources)]),
    line("Prometheus", p.replicas * (p.shards ?? 1), [container("prometheus", p.resources), reloader]),
    line("Alertmanager", a.replicas, [container("alertmanager", am), reloader]),
    line("Grafana", grafana.replicas, [
      container("grafana", grafana.resources),
      ...sidecars.map((s) => container(`sidecar ${s}`, grafana.sidecar.resources)),
    ]),
    line("kube-state-metrics", ksm.replicas, [container("kube-state-metrics", ksm.resources)]),
    line("node exporter", nodesTolerating(nodes, exporter.tolerations), [
      container("node-exporter", exporter.resources),
    ]),
  ];
}

function addon(r: Json): PodLine[] {
  const v = merged(r);
  switch (r.chart) {
    case "jaeger":
      return [line("Jaeger", v.jaeger.replicas, [container("jaeger", v.jaeger.resources)])];
    case "kiali-server":
      return [line("Kiali", v.deployment.replicas, [container("kiali", v.deployment.resources)])];
    case "argo-rollouts":
      return [
        line("Argo Rollouts", v.controller.replicas, [container("controller", v.controller.resources)]),
        ...(v.dashboard.enabled
          ? [line("Argo Rollouts dashboard", 1, [container("dashboard", v.dashboard.resources)])]
          : []),
      ];
    default:
      return [];
  }
}

// The program's own pods ------------------------------------------------------------------------

/** Whether pods of a template in `namespace` get a sidecar: the namespace label, unless the pod opts out. */
function injected(run: ProgramRun, namespace: string, template: Json): boolean {
  const ns = ofType(run, T.namespace).find((n) => nameOf(n) === namespace);
  const label = template.metadata?.labels?.["sidecar.istio.io/inject"];
  if (label !== undefined) return label === "true";
  return ns?.inputs.metadata.labels?.["istio-injection"] === "enabled";
}

/** The sidecar's resources: the pod's proxyCPU/proxyMemory annotations over istiod's global.proxy.resources. */
function sidecar(template: Json, proxy: Json): PodLine["containers"][number] {
  const a = template.metadata?.annotations ?? {};
  const requests = {
    cpu: a["sidecar.istio.io/proxyCPU"] ?? proxy.requests?.cpu,
    memory: a["sidecar.istio.io/proxyMemory"] ?? proxy.requests?.memory,
  };
  return container("istio-proxy", { requests, limits: proxy.limits });
}

/** The pods of a workload or Job template, with its sidecar when injected. */
export function podContainers(run: ProgramRun, r: Recorded, proxy: Json): PodLine["containers"] {
  const template = r.inputs.spec.template;
  const own = (template.spec.containers as Json[]).map((c) => container(c.name, c.resources));
  return injected(run, namespaceOf(r), template) ? [...own, sidecar(template, proxy)] : own;
}

/** Replicas of a workload: its own, or its autoscaler's minimum. */
function workloadReplicas(run: ProgramRun, w: Recorded): number {
  if (w.inputs.spec.replicas !== undefined) return w.inputs.spec.replicas;
  const hpa = inNamespace(run, T.hpa, namespaceOf(w)).find(
    (h) => h.inputs.spec.scaleTargetRef.name === nameOf(w),
  );
  return hpa?.inputs.spec.minReplicas ?? 1;
}

/** Every pod the stack runs in steady state, and the sidecar requests of its injected pods. */
export function footprint(run: ProgramRun, nodes: Taint[][]): { lines: PodLine[]; proxy: Json } {
  const releases = chartReleases(run);
  const { lines, proxy } = istio(releases, nodes);
  for (const r of releases) {
    if (r.chart === "kube-prometheus-stack") lines.push(...prometheusStack(r, nodes));
    else lines.push(...addon(r));
  }
  for (const w of workloads(run)) {
    lines.push(
      line(`${namespaceOf(w)}/${nameOf(w)}`, workloadReplicas(run, w), podContainers(run, w, proxy)),
    );
  }
  return { lines, proxy };
}

/** What the verification Jobs add while they run (all at once, at deploy time). */
export function verificationPeak(run: ProgramRun, proxy: Json): Amount {
  return total(ofType(run, T.job).map((j) => line(nameOf(j), 1, podContainers(run, j, proxy))));
}

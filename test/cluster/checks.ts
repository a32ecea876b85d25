import { execFile } from "node:child_process";
import { until } from "./cluster";
import type { Kube, KubeObject } from "./kube";
import { toolPath } from "./tools";

/** What the tier asserts on a live cluster: pods admitted, workloads available, istioctl analyze. */

interface PodLike extends KubeObject {
  spec: {
    containers: Array<{ name: string }>;
    initContainers?: Array<{ name: string; restartPolicy?: string }>;
    nodeName?: string;
  };
  status?: { phase?: string };
}

/** Whether istiod injected the pod: an istio-proxy container (native sidecar or classic). */
export function injected(pod: PodLike): boolean {
  const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name);
  return names.includes("istio-proxy");
}

/** Namespaces labelled for injection (istio-injection=enabled or istio.io/rev). */
export async function injectedNamespaces(kube: Kube): Promise<string[]> {
  const all = await kube.list("v1", "Namespace");
  return all
    .filter((n) => {
      const labels = (n.metadata.labels ?? {}) as Record<string, string>;
      return labels["istio-injection"] === "enabled" || labels["istio.io/rev"] !== undefined;
    })
    .map((n) => n.metadata.name as string);
}

export interface Admission {
  pod: string;
  status: number;
  message?: string;
  warnings: string[];
}

/**
 * Judges every live pod again as Pod Security and the webhooks see it: a dry-run create of the same
 * pod (its injected sidecar included) in its namespace. A refusal or any warning is a finding.
 */
export async function readmitPods(kube: Kube, namespaces: string[]): Promise<Admission[]> {
  const out: Admission[] = [];
  for (const ns of namespaces) {
    for (const pod of (await kube.list("v1", "Pod", ns)) as PodLike[]) {
      const { name, labels, annotations } = pod.metadata;
      const copy = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `${name}-readmit`.slice(0, 63), namespace: ns, labels, annotations },
        spec: { ...pod.spec, nodeName: undefined, topologySpreadConstraints: asSubmitted(pod) },
      };
      const a = await kube.dryRunCreate(copy);
      out.push({ pod: `${ns}/${name}`, status: a.status, message: a.body?.message, warnings: a.warnings });
    }
  }
  return out;
}

interface SpreadConstraint {
  matchLabelKeys?: string[];
  labelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string }> };
}

/**
 * A pod's topology spread constraints as its controller submitted them: on create the API server
 * merges each `matchLabelKeys` key into the label selector (and then refuses a pod that carries
 * both), so the merged terms are taken out again.
 */
function asSubmitted(pod: KubeObject): SpreadConstraint[] | undefined {
  const constraints = (pod.spec as { topologySpreadConstraints?: SpreadConstraint[] })
    .topologySpreadConstraints;
  return constraints?.map((c) => {
    const keys = new Set(c.matchLabelKeys ?? []);
    if (!c.labelSelector || keys.size === 0) return c;
    const { matchExpressions, ...rest } = c.labelSelector;
    const kept = (matchExpressions ?? []).filter((e) => !keys.has(e.key));
    return { ...c, labelSelector: { ...rest, ...(kept.length ? { matchExpressions: kept } : {}) } };
  });
}

/** Events that say a controller could not create a pod (admission refused it, or a webhook failed). */
export async function failedCreates(kube: Kube): Promise<string[]> {
  const events = await kube.list("v1", "Event");
  return events
    .filter((e) => e.reason === "FailedCreate")
    .map(
      (e) => `${e.metadata.namespace}/${(e.involvedObject as { name: string }).name}: ${e.message as string}`,
    );
}

export interface Unavailable {
  workload: string;
  want: number;
  have: number;
}

/** Deployments, DaemonSets and StatefulSets not (yet) available. */
export async function unavailableWorkloads(kube: Kube): Promise<Unavailable[]> {
  const out: Unavailable[] = [];
  for (const d of await kube.list("apps/v1", "Deployment")) {
    const want = (d.spec as { replicas?: number }).replicas ?? 1;
    const have = (d.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
    if (have < want)
      out.push({ workload: `Deployment ${d.metadata.namespace}/${d.metadata.name}`, want, have });
  }
  for (const d of await kube.list("apps/v1", "DaemonSet")) {
    const st = (d.status ?? {}) as { desiredNumberScheduled?: number; numberAvailable?: number };
    const want = st.desiredNumberScheduled ?? 0;
    const have = st.numberAvailable ?? 0;
    if (want === 0 || have < want)
      out.push({ workload: `DaemonSet ${d.metadata.namespace}/${d.metadata.name}`, want, have });
  }
  for (const d of await kube.list("apps/v1", "StatefulSet")) {
    const want = (d.spec as { replicas?: number }).replicas ?? 1;
    const have = (d.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
    if (have < want)
      out.push({ workload: `StatefulSet ${d.metadata.namespace}/${d.metadata.name}`, want, have });
  }
  return out;
}

/** Waits until every workload is available; resolves with what still is not after `timeoutMs`. */
export async function settleWorkloads(kube: Kube, timeoutMs: number): Promise<Unavailable[]> {
  let last: Unavailable[] = [];
  await until("workloads available", timeoutMs, async () => {
    last = await unavailableWorkloads(kube);
    return last.length === 0;
  }).catch(() => undefined);
  return last;
}

export interface AnalyzeMessage {
  code: string;
  level: string;
  origin: string;
  message: string;
}

/** `istioctl analyze --all-namespaces` on the live cluster, as JSON messages. */
export function analyze(kubeconfig: string): Promise<AnalyzeMessage[]> {
  return new Promise((resolve, reject) => {
    execFile(
      toolPath("istioctl"),
      [
        "analyze",
        "--all-namespaces",
        `--kubeconfig=${kubeconfig}`,
        "--output=json",
        "--failure-threshold=Error",
      ],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 180_000,
      },
      (err, stdout, stderr) => {
        try {
          const parsed = JSON.parse(stdout || "[]") as Array<{
            code: string;
            level: string;
            origin: string;
            message: string;
          }>;
          resolve(parsed.map(({ code, level, origin, message }) => ({ code, level, origin, message })));
        } catch {
          reject(new Error(`istioctl analyze: ${stderr || err?.message || stdout}`));
        }
      },
    );
  });
}

/** Pod CPU (millicores) and memory (MiB) requests, every container and init container counted. */
export function podRequests(pod: KubeObject): { cpuMilli: number; memoryMi: number } {
  const spec = pod.spec as {
    containers: Array<{ resources?: { requests?: Record<string, string> } }>;
    initContainers?: Array<{ restartPolicy?: string; resources?: { requests?: Record<string, string> } }>;
  };
  // Native sidecars (init containers that restart) run beside the containers; other init containers
  // run before them and count only where they ask for more (the pod's effective request).
  const running = [
    ...spec.containers,
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always"),
  ];
  const sum = (f: (r: Record<string, string>) => number) =>
    running.reduce((acc, c) => acc + f(c.resources?.requests ?? {}), 0);
  return { cpuMilli: sum((r) => cpuMilli(r.cpu)), memoryMi: sum((r) => memoryMi(r.memory)) };
}

export function cpuMilli(q: string | undefined): number {
  if (!q) return 0;
  if (q.endsWith("m")) return Number(q.slice(0, -1));
  return Number(q) * 1000;
}

const UNITS: Record<string, number> = {
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 * 1024,
  k: 1000 / 1048576,
  M: 1e6 / 1048576,
  G: 1e9 / 1048576,
};

export function memoryMi(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  const [, n, unit] = m;
  if (unit === "") return Number(n) / 1048576;
  const f = UNITS[unit];
  if (f === undefined) throw new Error(`unknown memory unit in ${q}`);
  return Number(n) * f;
}

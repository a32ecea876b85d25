import { cpuMilli, memoryMi, podRequests } from "./checks";
import { KubeError, type Kube, type KubeObject } from "./kube";

/**
 * A stack's footprint as the cluster admitted it: the requests of every running pod, injected
 * sidecars included, grouped by the workload that owns it; plus what the Prometheus Operator would
 * start for the Prometheus and Alertmanager resources (the operator does not run in the tier, so
 * their requests come from the resources themselves).
 */

export interface Usage {
  component: string;
  pods: number;
  cpuMilli: number;
  memoryMi: number;
}

interface Owned {
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string }>;
  };
}

/** The workload a pod belongs to: its ReplicaSet's name without the template hash, or its owner. */
function workloadOf(pod: Owned): string {
  const owner = pod.metadata.ownerReferences?.[0];
  const labels = pod.metadata.labels ?? {};
  if (!owner) return String(pod.metadata.name);
  if (owner.kind === "ReplicaSet") {
    const hash = labels["pod-template-hash"] ?? labels["rollouts-pod-template-hash"];
    return hash ? owner.name.replace(new RegExp(`-${hash}$`), "") : owner.name;
  }
  return owner.name;
}

export async function footprint(kube: Kube): Promise<Usage[]> {
  const byComponent = new Map<string, Usage>();
  const add = (component: string, pods: number, cpu: number, mem: number) => {
    const u = byComponent.get(component) ?? { component, pods: 0, cpuMilli: 0, memoryMi: 0 };
    u.pods += pods;
    u.cpuMilli += cpu;
    u.memoryMi += mem;
    byComponent.set(component, u);
  };
  for (const pod of await kube.list("v1", "Pod")) {
    // Completed Job pods hold nothing; the tier's own pods live in namespaces the stack does not make.
    if ((pod.status as { phase?: string } | undefined)?.phase !== "Running") continue;
    const r = podRequests(pod);
    add(`${pod.metadata.namespace}/${workloadOf(pod)}`, 1, r.cpuMilli, r.memoryMi);
  }
  for (const kind of ["Prometheus", "Alertmanager"]) {
    const items = await kube.list("monitoring.coreos.com/v1", kind).catch((err: Error) => {
      // No Prometheus Operator CRDs in this stack: nothing it would start.
      if (err instanceof KubeError && err.status === 404) return [] as KubeObject[];
      throw err;
    });
    for (const item of items) {
      const spec = item.spec as { replicas?: number; resources?: { requests?: Record<string, string> } };
      const replicas = spec.replicas ?? 1;
      const req = spec.resources?.requests ?? {};
      add(
        `${item.metadata.namespace}/${kind.toLowerCase()} (operator-managed, from its resource)`,
        replicas,
        replicas * cpuMilli(req.cpu),
        replicas * memoryMi(req.memory),
      );
    }
  }
  return [...byComponent.values()].sort((a, b) => a.component.localeCompare(b.component));
}

export function total(usage: Usage[]): { cpuMilli: number; memoryMi: number; pods: number } {
  return usage.reduce(
    (t, u) => ({
      cpuMilli: t.cpuMilli + u.cpuMilli,
      memoryMi: t.memoryMi + u.memoryMi,
      pods: t.pods + u.pods,
    }),
    { cpuMilli: 0, memoryMi: 0, pods: 0 },
  );
}

import { createHash } from "node:crypto";
import type { ProgramRun, Recorded } from "../support/program";
import { kubernetesKind } from "../support/records";
import type { KubeObject } from "./kube";

/**
 * What the program registers, as the steps the engine would take: Kubernetes objects and Helm
 * releases in dependency order. Until the real engine runs here, the tier applies these steps
 * itself (server-side apply for objects, Helm for releases).
 */

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

export interface ReleaseStep {
  kind: "release";
  name: string;
  release: string;
  namespace: string;
  chart: string;
  version: string;
  // Helm values are arbitrary JSON.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  values: any;
  timeoutSeconds: number;
  skipCrds: boolean;
}

export interface ObjectStep {
  kind: "object";
  name: string;
  object: KubeObject;
  /** The resource's ignoreChanges paths. */
  ignoreChanges: string[];
}

export type Step = ReleaseStep | ObjectStep;

/** The name Pulumi gives an object without metadata.name, as the mocks compute it (test/support/program.ts). */
function autoName(logical: string): string {
  return `${logical}-${createHash("sha256").update(logical).digest("hex").slice(0, 8)}`;
}

function objectOf(r: Recorded): KubeObject {
  const kind = kubernetesKind(r.type);
  if (!kind) throw new Error(`not a Kubernetes type: ${r.type}`);
  const inputs = r.inputs as Record<string, unknown> & { metadata?: Record<string, unknown> };
  const metadata = { ...(inputs.metadata ?? {}) };
  if (metadata.name === undefined) metadata.name = autoName(r.name);
  return { ...inputs, ...kind, metadata };
}

function releaseOf(r: Recorded): ReleaseStep {
  const i = r.inputs as {
    name?: string;
    namespace?: string;
    chart: string;
    version?: string;
    values?: unknown;
    timeout?: number;
    skipCrds?: boolean;
  };
  return {
    kind: "release",
    name: r.name,
    release: i.name ?? r.name,
    namespace: i.namespace ?? "default",
    chart: i.chart,
    version: i.version ?? "",
    values: i.values ?? {},
    timeoutSeconds: i.timeout ?? 300,
    skipCrds: i.skipCrds === true,
  };
}

/** Whether the engine would send this resource to the cluster (not a component, provider, image or key). */
export function isClusterResource(r: Recorded): boolean {
  return (
    r.type === RELEASE_TYPE || (kubernetesKind(r.type) !== undefined && r.type.startsWith("kubernetes:"))
  );
}

/**
 * The cluster steps in an order that respects every dependency the program declared (explicit
 * dependsOn and through inputs; a dependency on a component stands for its children, as the SDK
 * expands it). Among steps that are ready together, registration order decides.
 */
export function steps(run: ProgramRun): Step[] {
  const cluster = run.resources.filter(isClusterResource);
  const key = (r: Recorded) => `${r.type}::${r.name}`;
  const keys = new Set(cluster.map(key));
  const pending = new Map(cluster.map((r) => [key(r), (r.dependsOnKeys ?? []).filter((d) => keys.has(d))]));
  const done = new Set<string>();
  const order: Step[] = [];
  while (done.size < cluster.length) {
    const next = cluster.find((r) => !done.has(key(r)) && pending.get(key(r))!.every((d) => done.has(d)));
    if (!next) {
      const stuck = cluster.filter((r) => !done.has(key(r))).map(key);
      throw new Error(`dependency cycle among ${stuck.join(", ")}`);
    }
    done.add(key(next));
    order.push(
      next.type === RELEASE_TYPE
        ? releaseOf(next)
        : {
            kind: "object",
            name: next.name,
            object: objectOf(next),
            ignoreChanges: next.ignoreChanges ?? [],
          },
    );
  }
  return order;
}

/**
 * The segments of an ignoreChanges path (`spec.subsets`, `metadata.annotations["a/b"]`), or
 * undefined when it goes through an array (`spec.http[*].route[*].weight`).
 */
export function pathSegments(p: string): string[] | undefined {
  const out: string[] = [];
  const re = /(?:^|\.)([A-Za-z_$][\w$-]*)|\["((?:[^"\\]|\\.)*)"\]|\[(\*|\d+)\]/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < p.length && (m = re.exec(p)) !== null) {
    if (m[3] !== undefined) return undefined;
    out.push(m[1] ?? m[2]);
    at = re.lastIndex;
  }
  if (at !== p.length) throw new Error(`cannot read the ignoreChanges path ${p}`);
  return out;
}

/**
 * What pulumi-kubernetes sends when it updates an object by server-side apply with ignoreChanges:
 * the object without the ignored fields, so the field manager that changed them keeps them. Paths
 * through an array are left in (the provider cannot leave out one element of a list).
 */
export function withoutIgnored(o: KubeObject, paths: string[]): KubeObject {
  const copy = structuredClone(o) as Record<string, unknown>;
  for (const p of paths) {
    const segments = pathSegments(p);
    if (!segments) continue;
    let at: Record<string, unknown> | undefined = copy;
    for (const seg of segments.slice(0, -1)) at = at?.[seg] as Record<string, unknown> | undefined;
    if (at) delete at[segments[segments.length - 1]];
  }
  return copy as KubeObject;
}

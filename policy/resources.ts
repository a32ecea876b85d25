/**
 * Resources as the policies see them: plain data (a type token and properties), read defensively
 * since a policy may meet any shape. Every check is a pure function over this data.
 */

/** A resource as the checks see it: its type token, its properties and where to report it. */
export interface CheckedResource {
  type: string;
  props: Record<string, unknown>;
  name?: string;
  urn?: string;
}

/** One violation of a stack rule, attributed to a resource when there is one. */
export interface StackViolation {
  message: string;
  urn?: string;
}

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
export const obj = (value: unknown): Obj => (isObj(value) ? value : {});
export const arr = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

// Type tokens

export const TYPES = {
  deployment: "kubernetes:apps/v1:Deployment",
  job: "kubernetes:batch/v1:Job",
  namespace: "kubernetes:core/v1:Namespace",
  service: "kubernetes:core/v1:Service",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  helmRelease: "kubernetes:helm.sh/v3:Release",
} as const;

/** Workload types whose pod template the container rules read. */
export const POD_TEMPLATE_TYPES: readonly string[] = [TYPES.deployment, TYPES.job];

/** Istio custom resources, any served version (v1, v1beta1, v1alpha3). */
const isIstioType = (type: string, group: string, kind: string) =>
  new RegExp(`^kubernetes:${group.replace(/\./g, "\\.")}/v[0-9a-z]+:${kind}$`).test(type);
export const isPeerAuthentication = (type: string) =>
  isIstioType(type, "security.istio.io", "PeerAuthentication");
export const isIstioGateway = (type: string) => isIstioType(type, "networking.istio.io", "Gateway");
/** Helm releases and charts of any version of the provider's helm.sh group. */
export const isHelm = (type: string) => /^kubernetes:helm\.sh\/v[0-9]+:(Release|Chart)$/.test(type);
export const isHpa = (type: string) =>
  /^kubernetes:autoscaling\/v[0-9a-z]+:HorizontalPodAutoscaler$/.test(type);
export const isPdb = (type: string) => /^kubernetes:policy\/v[0-9a-z]+:PodDisruptionBudget$/.test(type);

// Pod templates and containers

export interface NamedContainer {
  /** `containers[0]`, `initContainers[1]` */
  where: string;
  name: string;
  container: Obj;
}

/** The pod spec of a Deployment's or Job's template; undefined for other types. */
export function podSpecOf(type: string, props: Obj): Obj | undefined {
  if (!POD_TEMPLATE_TYPES.includes(type)) return undefined;
  return obj(obj(obj(props.spec).template).spec);
}

/** Every container of a pod spec, init containers included unless `initContainers` is false. */
export function containersOf(podSpec: Obj, initContainers = true): NamedContainer[] {
  const lists = initContainers ? (["initContainers", "containers"] as const) : (["containers"] as const);
  return lists.flatMap((list) =>
    arr(podSpec[list]).map((c, i) => ({
      where: `${list}[${i}]`,
      name: str(obj(c).name) ?? `#${i}`,
      container: obj(c),
    })),
  );
}

export const namespaceOf = (r: CheckedResource) => str(obj(r.props.metadata).namespace) ?? "default";
export const nameOf = (r: CheckedResource) => str(obj(r.props.metadata).name);

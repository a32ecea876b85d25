import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";

/**
 * The production bar of the pingpong program as policies. Every rule is a pure function over plain
 * resource data (`type` token and `props`), so unit tests call it directly; the policy objects only
 * wire those functions to the Policy SDK and report what they return.
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

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
const obj = (value: unknown): Obj => (isObj(value) ? value : {});
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

// ---------------------------------------------------------------------------------------------
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
const isHpa = (type: string) => /^kubernetes:autoscaling\/v[0-9a-z]+:HorizontalPodAutoscaler$/.test(type);
const isPdb = (type: string) => /^kubernetes:policy\/v[0-9a-z]+:PodDisruptionBudget$/.test(type);

// ---------------------------------------------------------------------------------------------
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

const label = (type: string, name: string | undefined) =>
  `${type.split(":").pop() ?? type}${name ? ` ${name}` : ""}`;

// ---------------------------------------------------------------------------------------------
// 1. Restricted security context

export function checkRestrictedSecurityContext(type: string, props: Obj): string[] {
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const pod = obj(podSpec.securityContext);
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec)) {
    const sc = obj(container.securityContext);
    const at = `container ${name} (${where})`;
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true)
      out.push(`${at}: runAsNonRoot must be true (pod or container securityContext)`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation must be false`);
    const drop = arr(obj(sc.capabilities).drop);
    if (!drop.includes("ALL")) out.push(`${at}: capabilities.drop must include ALL`);
    const seccomp = str(obj(sc.seccompProfile ?? pod.seccompProfile).type);
    if (seccomp !== "RuntimeDefault") {
      out.push(
        `${at}: seccompProfile.type must be RuntimeDefault (pod or container), got ${String(seccomp)}`,
      );
    }
    if (sc.readOnlyRootFilesystem !== true) out.push(`${at}: readOnlyRootFilesystem must be true`);
    if (sc.privileged === true) out.push(`${at}: privileged containers are not allowed`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. Probes

export interface ProbeConfig {
  /** HTTP paths no probe may target: the counted endpoint. */
  forbiddenPaths?: string[];
  /**
   * Image prefixes of containers that need no readiness and liveness probes: third-party tooling
   * that serves nothing, such as the toolbox (`sleep`). Their probes, if any, still may not hit /ping.
   */
  exemptImagePrefixes?: string[];
}
/** The app's counted endpoint (app/src/contract.ts PATHS.ping); a probe there inflates the count. */
export const DEFAULT_FORBIDDEN_PROBE_PATHS = ["/ping"];

const PROBES = ["startupProbe", "readinessProbe", "livenessProbe"] as const;

/** Whether `path` is `forbidden` itself, ignoring a trailing slash, query or fragment. */
export function pathTargets(path: string, forbidden: string): boolean {
  const base = forbidden.replace(/\/+$/, "");
  if (!path.startsWith(base)) return false;
  const rest = path.slice(base.length);
  return rest === "" || /^[/?#]/.test(rest);
}

export function checkProbes(type: string, props: Obj, config: ProbeConfig = {}): string[] {
  if (type !== TYPES.deployment) return [];
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const forbidden = config.forbiddenPaths ?? DEFAULT_FORBIDDEN_PROBE_PATHS;
  const exempt = config.exemptImagePrefixes ?? [];
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec, false)) {
    const at = `container ${name} (${where})`;
    const image = str(container.image) ?? "";
    const needsProbes = !exempt.some((prefix) => prefix !== "" && image.startsWith(prefix));
    if (needsProbes && !isObj(container.readinessProbe)) out.push(`${at}: readinessProbe is required`);
    if (needsProbes && !isObj(container.livenessProbe)) out.push(`${at}: livenessProbe is required`);
    for (const probe of PROBES) {
      const path = str(obj(obj(container[probe]).httpGet).path);
      const hit = path !== undefined ? forbidden.find((f) => pathTargets(path, f)) : undefined;
      if (hit !== undefined) out.push(`${at}: ${probe} targets ${path}, the counted endpoint ${hit}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 3. Resource requests and limits

export function checkResourceLimits(type: string, props: Obj): string[] {
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec)) {
    const resources = obj(container.resources);
    const missing = (["requests", "limits"] as const).flatMap((kind) =>
      (["cpu", "memory"] as const)
        .filter((r) => {
          const v = obj(resources[kind])[r];
          return v === undefined || v === null || v === "";
        })
        .map((r) => `${kind}.${r}`),
    );
    if (missing.length > 0) out.push(`container ${name} (${where}): missing resources ${missing.join(", ")}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4. Images pinned by digest

export interface ImageConfig {
  /** Image prefixes exempt from pinning: third-party tooling such as the toolbox. */
  allowedImagePrefixes?: string[];
}
export const DIGEST_PATTERN = /@sha256:[0-9a-f]{64}$/;

export function checkImagesPinned(type: string, props: Obj, config: ImageConfig = {}): string[] {
  const podSpec = podSpecOf(type, props);
  if (!podSpec) return [];
  const allowed = config.allowedImagePrefixes ?? [];
  const out: string[] = [];
  for (const { where, name, container } of containersOf(podSpec)) {
    const image = str(container.image) ?? "";
    if (DIGEST_PATTERN.test(image)) continue;
    if (allowed.some((prefix) => prefix !== "" && image.startsWith(prefix))) continue;
    out.push(
      `container ${name} (${where}): image ${JSON.stringify(image)} is not pinned by digest (@sha256:<64 hex>)`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. STRICT mTLS in injected namespaces (stack)

export interface MtlsConfig {
  /** Istio's root namespace: a PeerAuthentication `default` there applies mesh-wide. */
  rootNamespace?: string;
}
export const DEFAULT_ROOT_NAMESPACE = "istio-system";

interface PeerAuth {
  namespace?: string;
  mode?: string;
  portModes: string[];
}

/** Namespace-wide PeerAuthentications named `default` (no selector), by namespace. */
function defaultPeerAuthentications(resources: CheckedResource[]): Map<string, PeerAuth> {
  const found = new Map<string, PeerAuth>();
  for (const r of resources) {
    if (!isPeerAuthentication(r.type)) continue;
    const metadata = obj(r.props.metadata);
    const spec = obj(r.props.spec);
    const namespace = str(metadata.namespace);
    if (str(metadata.name) !== "default" || namespace === undefined) continue;
    if (isObj(spec.selector) && Object.keys(obj(spec.selector.matchLabels)).length > 0) continue;
    const portModes = Object.values(obj(spec.portLevelMtls)).map((p) => str(obj(p).mode) ?? "UNSET");
    found.set(namespace, { namespace, mode: str(obj(spec.mtls).mode), portModes });
  }
  return found;
}

export function checkStrictMtls(resources: CheckedResource[], config: MtlsConfig = {}): StackViolation[] {
  const root = config.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const policies = defaultPeerAuthentications(resources);
  const meshWide = policies.get(root);
  const meshStrict = meshWide?.mode === "STRICT";
  const out: StackViolation[] = [];
  for (const r of resources) {
    if (r.type !== TYPES.namespace) continue;
    const metadata = obj(r.props.metadata);
    if (obj(metadata.labels)["istio-injection"] !== "enabled") continue;
    const ns = str(metadata.name) ?? r.name ?? "?";
    const own = policies.get(ns);
    const mode = own?.mode;
    // UNSET (or no mode) inherits the mesh-wide policy; any other explicit mode overrides it.
    const effective = mode === undefined || mode === "UNSET" ? (meshStrict ? "STRICT" : undefined) : mode;
    if (effective !== "STRICT") {
      out.push({
        urn: r.urn,
        message: own
          ? `namespace ${ns}: PeerAuthentication default sets mtls.mode ${String(mode)}, not STRICT`
          : `namespace ${ns} is istio-injection=enabled but has no STRICT PeerAuthentication "default" ` +
            `(nor a mesh-wide one in ${root})`,
      });
    }
    const weakPorts = (own?.portModes ?? []).filter((m) => m !== "STRICT" && m !== "UNSET");
    if (weakPorts.length > 0) {
      out.push({
        urn: r.urn,
        message: `namespace ${ns}: portLevelMtls weakens STRICT (${weakPorts.join(", ")})`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 6. No LoadBalancer Service except the ingress gateway

export interface LoadBalancerConfig {
  /** Helm charts that may expose a LoadBalancer Service. */
  allowedCharts?: string[];
}
export const DEFAULT_LOADBALANCER_CHARTS = ["gateway"];

/** Paths (dotted) of every `service` mapping with type LoadBalancer in Helm values. */
export function loadBalancerPaths(values: unknown, path = ""): string[] {
  if (Array.isArray(values)) return values.flatMap((v, i) => loadBalancerPaths(v, `${path}[${i}]`));
  if (!isObj(values)) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const here = path ? `${path}.${key}` : key;
    const own = key === "service" && isObj(value) && value.type === "LoadBalancer" ? [`${here}.type`] : [];
    return [...own, ...loadBalancerPaths(value, here)];
  });
}

/** A chart reference's name: `gateway` for `gateway`, `istio/gateway` or `oci://…/gateway`. */
export function chartName(chart: string): string {
  return chart.replace(/\/+$/, "").split("/").pop() ?? chart;
}

export function checkLoadBalancers(type: string, props: Obj, config: LoadBalancerConfig = {}): string[] {
  if (type === TYPES.service) {
    return obj(props.spec).type === "LoadBalancer"
      ? ["Service of type LoadBalancer: only the Istio ingress gateway may expose one"]
      : [];
  }
  if (!isHelm(type)) return [];
  const allowed = config.allowedCharts ?? DEFAULT_LOADBALANCER_CHARTS;
  const chart = chartName(str(props.chart) ?? "");
  if (allowed.includes(chart)) return [];
  return loadBalancerPaths(props.values).map(
    (p) => `Helm chart ${JSON.stringify(chart)} sets ${p}=LoadBalancer; only ${allowed.join(", ")} may`,
  );
}

// ---------------------------------------------------------------------------------------------
// 7. Istio Gateway TLS

export const ALLOWED_TLS_VERSIONS = ["TLSV1_2", "TLSV1_3"];

export function checkGatewayTls(type: string, props: Obj): string[] {
  if (!isIstioGateway(type)) return [];
  const out: string[] = [];
  arr(obj(props.spec).servers).forEach((s, i) => {
    const server = obj(s);
    const port = obj(server.port);
    const at = `server ${str(port.name) ?? i} (servers[${i}])`;
    const protocol = (str(port.protocol) ?? "").toUpperCase();
    const tls = obj(server.tls);
    if (protocol === "HTTPS" || (protocol === "TLS" && tls.mode !== "PASSTHROUGH")) {
      const min = str(tls.minProtocolVersion);
      if (min === undefined || !ALLOWED_TLS_VERSIONS.includes(min)) {
        out.push(`${at}: tls.minProtocolVersion must be TLSV1_2 or TLSV1_3, got ${String(min)}`);
      }
    }
    for (const host of arr(server.hosts)) {
      const h = String(host);
      // `namespace/host`: the wildcard that matters is the host's.
      const dns = h.includes("/") ? h.slice(h.indexOf("/") + 1) : h;
      if (dns.includes("*")) out.push(`${at}: wildcard host ${JSON.stringify(h)}; list explicit hosts`);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// 8. PDB consistent with HPA (stack)

const namespaceOf = (r: CheckedResource) => str(obj(r.props.metadata).namespace) ?? "default";
const nameOf = (r: CheckedResource) => str(obj(r.props.metadata).name);

/** minAvailable as a pod count for `replicas` pods (percentages round up, as the disruption controller does). */
export function minAvailableFor(minAvailable: unknown, replicas: number): number | undefined {
  if (typeof minAvailable === "number") return minAvailable;
  if (typeof minAvailable === "string") {
    const pct = /^([0-9]+)%$/.exec(minAvailable);
    if (pct) return Math.ceil((Number(pct[1]) * replicas) / 100);
    if (/^[0-9]+$/.test(minAvailable)) return Number(minAvailable);
  }
  return undefined;
}

function selectorMatches(selector: Obj, labels: Obj): boolean {
  const matchLabels = obj(selector.matchLabels);
  const expressions = arr(selector.matchExpressions).map(obj);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  const labelsOk = Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  const exprOk = expressions.every((e) => {
    const key = str(e.key) ?? "";
    const values = arr(e.values);
    switch (e.operator) {
      case "In":
        return values.includes(labels[key]);
      case "NotIn":
        return !values.includes(labels[key]);
      case "Exists":
        return key in labels;
      case "DoesNotExist":
        return !(key in labels);
      default:
        return false;
    }
  });
  return labelsOk && exprOk;
}

export function checkPdbAgainstHpa(resources: CheckedResource[]): StackViolation[] {
  const deployments = resources.filter((r) => r.type === TYPES.deployment);
  const hpas = resources.filter((r) => isHpa(r.type));
  const out: StackViolation[] = [];
  for (const pdb of resources.filter((r) => isPdb(r.type))) {
    const spec = obj(pdb.props.spec);
    if (spec.minAvailable === undefined || spec.minAvailable === null) continue;
    const ns = namespaceOf(pdb);
    const pdbName = nameOf(pdb) ?? pdb.name ?? "?";
    const selected = deployments.filter(
      (d) =>
        namespaceOf(d) === ns &&
        (nameOf(d) === pdbName ||
          selectorMatches(obj(spec.selector), obj(obj(obj(obj(d.props.spec).template).metadata).labels))),
    );
    const workloads = new Set([pdbName, ...selected.map(nameOf).filter((n): n is string => n !== undefined)]);
    const scalers = hpas.filter((h) => {
      const ref = obj(obj(h.props.spec).scaleTargetRef);
      return (
        namespaceOf(h) === ns &&
        (ref.kind ?? "Deployment") === "Deployment" &&
        workloads.has(String(ref.name))
      );
    });
    if (scalers.length > 0) {
      for (const hpa of scalers) {
        const minReplicas =
          typeof obj(hpa.props.spec).minReplicas === "number" ? Number(obj(hpa.props.spec).minReplicas) : 1;
        const min = minAvailableFor(spec.minAvailable, minReplicas);
        if (min === undefined) continue;
        if (!(minReplicas > min)) {
          out.push({
            urn: pdb.urn,
            message:
              `PodDisruptionBudget ${ns}/${pdbName}: minAvailable ${JSON.stringify(spec.minAvailable)} must be below ` +
              `the HPA ${String(obj(obj(hpa.props.spec).scaleTargetRef).name)} minReplicas ${minReplicas}, ` +
              `or no pod can ever be evicted`,
          });
        }
      }
      continue;
    }
    for (const d of selected) {
      const replicasIn = obj(d.props.spec).replicas;
      const replicas = typeof replicasIn === "number" ? replicasIn : 1;
      const min = minAvailableFor(spec.minAvailable, replicas);
      if (min === undefined) continue;
      if (min >= replicas) {
        out.push({
          urn: pdb.urn,
          message:
            `PodDisruptionBudget ${ns}/${pdbName}: minAvailable ${JSON.stringify(spec.minAvailable)} >= the ` +
            `${replicas} replicas of Deployment ${String(nameOf(d))} (no HPA): no pod can ever be evicted`,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Policies

export const POLICY_NAMES = {
  securityContext: "restricted-security-context",
  probes: "probes-required-not-on-ping",
  resources: "container-resources-bounded",
  images: "images-pinned-by-digest",
  mtls: "strict-mtls-in-injected-namespaces",
  loadBalancers: "loadbalancer-only-for-ingress-gateway",
  gatewayTls: "istio-gateway-tls",
  pdbHpa: "pdb-consistent-with-hpa",
} as const;

type ResourceCheck<C> = (type: string, props: Obj, config: C) => string[];

function resourcePolicy<C extends object>(
  policy: Omit<ResourceValidationPolicy, "validateResource">,
  check: ResourceCheck<C>,
): ResourceValidationPolicy {
  return {
    ...policy,
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      for (const message of check(args.type, args.props, args.getConfig<C>())) {
        report(`${label(args.type, args.name)}: ${message}`);
      }
    },
  };
}

const asChecked = (resources: PolicyResource[]): CheckedResource[] =>
  resources.map((r) => ({ type: r.type, props: r.props, name: r.name, urn: r.urn }));

function stackPolicy<C extends object>(
  policy: Omit<StackValidationPolicy, "validateStack">,
  check: (resources: CheckedResource[], config: C) => StackViolation[],
): StackValidationPolicy {
  return {
    ...policy,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      for (const v of check(asChecked(args.resources), args.getConfig<C>())) report(v.message, v.urn);
    },
  };
}

const stringList = (description: string) => ({
  type: "array" as const,
  items: { type: "string" as const },
  description,
});

export const restrictedSecurityContext = resourcePolicy(
  {
    name: POLICY_NAMES.securityContext,
    description:
      "Deployment and Job pods run under the restricted profile: runAsNonRoot, no privilege escalation, " +
      "all capabilities dropped, RuntimeDefault seccomp, read-only root filesystem, never privileged.",
    severity: "high",
  },
  (type, props) => checkRestrictedSecurityContext(type, props),
);

export const probes = resourcePolicy<ProbeConfig>(
  {
    name: POLICY_NAMES.probes,
    description:
      "Every Deployment container has readiness and liveness probes (tooling images may be exempted " +
      "by config), and no probe calls /ping (the endpoint whose calls are counted).",
    severity: "medium",
    configSchema: {
      properties: {
        forbiddenPaths: stringList("HTTP paths no probe may target."),
        exemptImagePrefixes: stringList("Image prefixes of tooling containers that need no probes."),
      },
    },
  },
  checkProbes,
);

export const resourceLimits = resourcePolicy(
  {
    name: POLICY_NAMES.resources,
    description: "Every Deployment and Job container requests and limits both cpu and memory.",
    severity: "medium",
  },
  (type, props) => checkResourceLimits(type, props),
);

export const imagesPinned = resourcePolicy<ImageConfig>(
  {
    name: POLICY_NAMES.images,
    description:
      "Deployment and Job container images are pinned by digest (@sha256:<64 hex>), except images " +
      "starting with an allowed prefix (third-party tooling such as the toolbox).",
    severity: "high",
    configSchema: {
      properties: {
        allowedImagePrefixes: stringList("Image reference prefixes exempt from digest pinning."),
      },
    },
  },
  checkImagesPinned,
);

export const strictMtls = stackPolicy<MtlsConfig>(
  {
    name: POLICY_NAMES.mtls,
    description:
      "Every namespace labelled istio-injection=enabled is under STRICT mTLS: a PeerAuthentication " +
      "`default` in it with mtls.mode STRICT, or a mesh-wide one in the Istio root namespace.",
    severity: "critical",
    configSchema: {
      properties: {
        rootNamespace: { type: "string", description: "Istio's root namespace (mesh-wide policies)." },
      },
    },
  },
  checkStrictMtls,
);

export const loadBalancers = resourcePolicy<LoadBalancerConfig>(
  {
    name: POLICY_NAMES.loadBalancers,
    description:
      "No Service of type LoadBalancer; a Helm release may set service.type LoadBalancer only for " +
      "the Istio ingress gateway chart.",
    severity: "high",
    configSchema: {
      properties: { allowedCharts: stringList("Chart names allowed to expose a LoadBalancer Service.") },
    },
  },
  checkLoadBalancers,
);

export const gatewayTls = resourcePolicy(
  {
    name: POLICY_NAMES.gatewayTls,
    description:
      "Istio Gateways: every HTTPS server requires TLS 1.2 or later (minProtocolVersion TLSV1_2 or " +
      "TLSV1_3), and no server lists a wildcard host.",
    severity: "high",
  },
  (type, props) => checkGatewayTls(type, props),
);

export const pdbConsistentWithHpa = stackPolicy(
  {
    name: POLICY_NAMES.pdbHpa,
    description:
      "A PodDisruptionBudget's minAvailable stays below the replicas it protects: the HPA's " +
      "minReplicas for autoscaled Deployments, spec.replicas otherwise, so node drains can proceed.",
    severity: "medium",
  },
  (resources) => checkPdbAgainstHpa(resources),
);

export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  restrictedSecurityContext,
  probes,
  resourceLimits,
  imagesPinned,
  strictMtls,
  loadBalancers,
  gatewayTls,
  pdbConsistentWithHpa,
];

import type { Resilience } from "../components/traffic";
import { DEFAULTS, ENVIRONMENTS, type Defaults, type Environment } from "./defaults";
import { CONFIG_NAMESPACE, SCHEMA, type ConfigKey } from "./schema";

export type { Environment };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export const SPREAD_POLICIES = ["ScheduleAnyway", "DoNotSchedule"] as const;
export const TLS_TERMINATIONS = ["istio", "ingress", "app"] as const;
export const GATEWAY_SERVICE_TYPES = ["LoadBalancer", "NodePort", "ClusterIP"] as const;
export const KEY_ALGORITHMS = ["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072"] as const;
export const MONITORING_MODES = ["install", "podmonitors", "none"] as const;
export const INSTANCES = ["a", "b"] as const;
export type Instance = (typeof INSTANCES)[number];

export interface Resources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

/** Everything the program needs, typed and validated. Components receive parts of it as args. */
export interface Settings {
  environment: Environment;
  stack: string;
  cluster: { kubeconfig?: string; context?: string };
  image: {
    registry: string;
    repository: string;
    platform?: string;
    /** Present only when the registry needs credentials; the password stays a secret. */
    credentials?: { username: string; password: string };
  };
  /** a and b run pingpong in the mesh, c is outside it, monitoring is where Prometheus runs, gateway the ingress gateway. */
  namespaces: { a: string; b: string; c: string; monitoring: string; gateway: string };
  workload: {
    replicas: number;
    autoscaling?: { minReplicas: number; maxReplicas: number; cpuUtilization: number };
    /** Absent: no PodDisruptionBudget (a single replica cannot be protected without blocking evictions). */
    pdbMinAvailable?: number;
    resources: Resources;
    tickMs: number;
    pingTimeoutMs: number;
    shutdownTimeoutSeconds: number;
    drainDelaySeconds: number;
    logLevel: (typeof LOG_LEVELS)[number];
    spreadPolicy: (typeof SPREAD_POLICIES)[number];
  };
  networkPolicy: boolean;
  rbac: { operatorGroup: string };
  mesh: {
    istioVersion: string;
    trustDomain: string;
    /** Equal bounds: a fixed replica count, no autoscaler. */
    istiodReplicas: { min: number; max: number };
    pluginCa: boolean;
    meshWideMtls: boolean;
    accessLogs: boolean;
    gateway: {
      serviceType: (typeof GATEWAY_SERVICE_TYPES)[number];
      minReplicas: number;
      maxReplicas: number;
    };
  };
  tls: {
    termination: (typeof TLS_TERMINATIONS)[number];
    hosts: string[];
    ingressClassName: string;
    /** The Ingress controller's identity, when tlsTermination is ingress. */
    ingressController: { namespace: string; serviceAccount: string };
    keyAlgorithm: (typeof KEY_ALGORITHMS)[number];
    validityHours: number;
    earlyRenewalHours: number;
    caValidityHours: number;
  };
  verification: { enabled: boolean; toolboxImage: string };
  traffic: {
    /** A second version beside v1, on the instances listed; absent when none runs one. */
    canary?: {
      instances: Instance[];
      /** Absent: the stack's own build. */
      image?: string;
      replicas: number;
      weights: { primary: number; canary: number };
      header: string;
      mirrorPercent: number;
    };
    resilience: Resilience;
  };
  observability: {
    monitoring: (typeof MONITORING_MODES)[number];
    prometheusStackVersion: string;
    /** Labels on the PodMonitors, so that a Prometheus selecting by label picks them up. */
    monitorLabels: Record<string, string>;
    /** Where the Grafana dashboard ConfigMap goes; absent: no dashboard. */
    dashboardNamespace?: string;
    traceSamplingPercent: number;
  };
}

/** One problem with one key: names the key, the value it had and what is expected. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "SettingsError";
  }
}

type Value = string | number | boolean;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function show(value: unknown): string {
  return value === undefined ? "<unset>" : JSON.stringify(value);
}

/** Kubernetes CPU quantity in millicores, or undefined when it is not one. */
export function parseCpu(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (!m) return undefined;
  return m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000;
}

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** Kubernetes memory quantity in bytes, or undefined when it is not one. */
export function parseMemory(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q);
  if (!m) return undefined;
  return Number(m[1]) * MEMORY_UNITS[m[2] ?? ""];
}

/** A label key: an optional DNS-subdomain prefix and a name (kubernetes.io's label syntax). */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `k=v,k2=v2` as labels; undefined when any pair is not a valid label. */
export function parseLabels(raw: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const pair of raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq < 0) return undefined;
    const [key, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value) || key in labels) return undefined;
    labels[key] = value;
  }
  return labels;
}

/**
 * Parses raw Pulumi config (keys `pingpong:<key>`, values as the engine passes them: strings) into
 * validated settings. Reports every problem at once; throws before anything is created.
 */
export function parseSettings(raw: Record<string, string>, stack: string): Settings {
  const problems: string[] = [];
  const given: Partial<Record<ConfigKey, Value>> = {};
  const k = (key: string) => `${CONFIG_NAMESPACE}:${key}`;

  for (const [fullKey, rawValue] of Object.entries(raw)) {
    const [ns, key] = fullKey.split(":", 2);
    if (ns !== CONFIG_NAMESPACE) continue;
    if (!(key in SCHEMA)) {
      // The value is not shown: a misspelt secret key would otherwise print the secret.
      problems.push(`${fullKey}: unknown key; expected one of ${Object.keys(SCHEMA).join(", ")}`);
      continue;
    }
    const spec = SCHEMA[key as ConfigKey];
    if (spec.type === "integer") {
      if (!/^-?\d+$/.test(rawValue.trim()))
        problems.push(`${fullKey}=${show(rawValue)}: expected an integer`);
      else given[key as ConfigKey] = Number(rawValue);
    } else if (spec.type === "boolean") {
      if (rawValue !== "true" && rawValue !== "false")
        problems.push(`${fullKey}=${show(rawValue)}: expected true or false`);
      else given[key as ConfigKey] = rawValue === "true";
    } else {
      given[key as ConfigKey] = rawValue;
    }
  }

  const envValue = (given.environment as string | undefined) ?? stack;
  if (!(ENVIRONMENTS as readonly string[]).includes(envValue)) {
    const key =
      given.environment === undefined ? `${k("environment")} (from the stack name)` : k("environment");
    problems.push(`${key}=${show(envValue)}: expected one of ${ENVIRONMENTS.join(", ")}`);
    throw new SettingsError(problems);
  }
  const environment = envValue as Environment;
  const values: Defaults = { ...DEFAULTS[environment], ...given };

  const str = (key: ConfigKey): string | undefined => values[key] as string | undefined;
  const num = (key: ConfigKey): number => values[key] as number;
  const bool = (key: ConfigKey): boolean => values[key] as boolean;
  const requireStr = (key: ConfigKey, expected: string, valid: (v: string) => boolean): string => {
    const v = str(key);
    if (v === undefined || !valid(v)) problems.push(`${k(key)}=${show(v)}: expected ${expected}`);
    return v ?? "";
  };
  const intIn = (key: ConfigKey, min: number, max: number, what: string): number => {
    const v = num(key);
    if (v === undefined || v < min || v > max)
      problems.push(`${k(key)}=${show(v)}: expected ${what} from ${min} to ${max}`);
    return v;
  };
  const oneOf = <T extends string>(key: ConfigKey, allowed: readonly T[]): T => {
    const v = str(key);
    if (!allowed.includes(v as T))
      problems.push(`${k(key)}=${show(v)}: expected one of ${allowed.join(", ")}`);
    return v as T;
  };

  const context = str("kubeContext");
  if (environment !== "dev" && context === undefined) {
    // Outside dev, never fall back to whatever context happens to be current on the deploying machine.
    problems.push(
      `${k("kubeContext")}=<unset>: expected the kubeconfig context of the ${environment} cluster`,
    );
  }
  const registry = requireStr(
    "registry",
    "a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme",
    (v) => /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(v),
  );
  const repository = requireStr("imageRepository", "a lowercase repository name", (v) =>
    /^[a-z0-9]+([._/-][a-z0-9]+)*$/.test(v),
  );
  const platform = str("imagePlatform");
  if (platform !== undefined && !/^linux\/(amd64|arm64|arm\/v7|ppc64le|s390x)$/.test(platform)) {
    problems.push(
      `${k("imagePlatform")}=${show(platform)}: expected linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le or linux/s390x`,
    );
  }
  const username = str("registryUsername");
  const password = str("registryPassword");
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? "registryUsername" : "registryPassword";
    problems.push(
      `${k(missing)}=<unset>: expected a value, because ${missing === "registryUsername" ? "registryPassword" : "registryUsername"} is set`,
    );
  }

  const namespaces = {
    a: requireStr("namespaceA", "a DNS label", (v) => DNS_LABEL.test(v)),
    b: requireStr("namespaceB", "a DNS label", (v) => DNS_LABEL.test(v)),
    c: requireStr("namespaceC", "a DNS label", (v) => DNS_LABEL.test(v)),
    monitoring: requireStr("monitoringNamespace", "a DNS label", (v) => DNS_LABEL.test(v)),
    gateway: requireStr("gatewayNamespace", "a DNS label", (v) => DNS_LABEL.test(v)),
  };
  const nsKeys = { a: "namespaceA", b: "namespaceB", c: "namespaceC" } as const;
  for (const [x, y] of [
    ["a", "b"],
    ["a", "c"],
    ["b", "c"],
  ] as const) {
    if (namespaces[x] !== "" && namespaces[x] === namespaces[y]) {
      problems.push(
        `${k(nsKeys[y])}=${show(namespaces[y])}: expected a namespace different from ${k(nsKeys[x])}`,
      );
    }
  }
  const reserved = ["default", "kube-system", "kube-public", "kube-node-lease", "istio-system"];
  for (const key of Object.values(nsKeys)) {
    const v = str(key);
    if (v !== undefined && reserved.includes(v))
      problems.push(`${k(key)}=${show(v)}: expected a namespace of its own, not ${v}`);
  }

  const replicas = intIn("replicas", 1, 100, "a replica count");
  const autoscalingOn = bool("autoscaling");
  let autoscaling: Settings["workload"]["autoscaling"];
  if (autoscalingOn) {
    const minReplicas = intIn("hpaMinReplicas", 1, 100, "a replica count");
    const maxReplicas = intIn("hpaMaxReplicas", 1, 1000, "a replica count");
    const cpuUtilization = intIn("hpaCpuUtilization", 1, 100, "a percentage");
    if (minReplicas > maxReplicas) {
      problems.push(
        `${k("hpaMinReplicas")}=${minReplicas}: expected at most ${k("hpaMaxReplicas")} (${maxReplicas})`,
      );
    }
    autoscaling = { minReplicas, maxReplicas, cpuUtilization };
  }
  const minimum = autoscaling ? autoscaling.minReplicas : replicas;
  const pdb = num("pdbMinAvailable");
  if (pdb < 0) {
    problems.push(`${k("pdbMinAvailable")}=${pdb}: expected 0 (no budget) or a positive count`);
  } else if (pdb > 0 && pdb >= minimum) {
    const source = autoscaling ? `${k("hpaMinReplicas")} (${minimum})` : `${k("replicas")} (${minimum})`;
    problems.push(
      `${k("pdbMinAvailable")}=${pdb}: expected 0 (no budget) or less than ${source}; a budget of ${pdb} would block every voluntary eviction`,
    );
  }

  const resources: Resources = {
    cpuRequest: requireStr(
      "cpuRequest",
      "a CPU quantity such as 100m or 1",
      (v) => parseCpu(v) !== undefined,
    ),
    cpuLimit: requireStr("cpuLimit", "a CPU quantity such as 500m or 1", (v) => parseCpu(v) !== undefined),
    memoryRequest: requireStr(
      "memoryRequest",
      "a memory quantity such as 64Mi",
      (v) => parseMemory(v) !== undefined,
    ),
    memoryLimit: requireStr(
      "memoryLimit",
      "a memory quantity such as 128Mi",
      (v) => parseMemory(v) !== undefined,
    ),
  };
  const cpu = [parseCpu(resources.cpuRequest), parseCpu(resources.cpuLimit)];
  if (cpu[0] !== undefined && cpu[1] !== undefined && cpu[0] > cpu[1]) {
    problems.push(
      `${k("cpuRequest")}=${show(resources.cpuRequest)}: expected at most ${k("cpuLimit")} (${resources.cpuLimit})`,
    );
  }
  const mem = [parseMemory(resources.memoryRequest), parseMemory(resources.memoryLimit)];
  if (mem[0] !== undefined && mem[1] !== undefined && mem[0] > mem[1]) {
    problems.push(
      `${k("memoryRequest")}=${show(resources.memoryRequest)}: expected at most ${k("memoryLimit")} (${resources.memoryLimit})`,
    );
  }

  const tickMs = intIn("tickMs", 100, 3_600_000, "milliseconds");
  const pingTimeoutMs = intIn("pingTimeoutMs", 100, 600_000, "milliseconds");
  const shutdownTimeoutSeconds = intIn("shutdownTimeoutSeconds", 1, 600, "seconds");
  const drainDelaySeconds = intIn("drainDelaySeconds", 0, 600, "seconds");
  if (drainDelaySeconds >= shutdownTimeoutSeconds) {
    problems.push(
      `${k("drainDelaySeconds")}=${drainDelaySeconds}: expected less than ${k("shutdownTimeoutSeconds")} (${shutdownTimeoutSeconds})`,
    );
  }
  const logLevel = oneOf("logLevel", LOG_LEVELS);
  const spreadPolicy = oneOf("spreadPolicy", SPREAD_POLICIES);
  const operatorGroup = requireStr(
    "operatorGroup",
    "a group of your own (not empty, not a built-in system: group)",
    (v) => v.trim().length > 0 && !v.startsWith("system:"),
  );

  const istioVersion = requireStr("istioVersion", "a chart version such as 1.31.1", (v) =>
    /^1\.\d+\.\d+$/.test(v),
  );
  const trustDomain = requireStr("trustDomain", "a trust domain such as cluster.local", (v) =>
    /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v),
  );
  const istiodMin = intIn("istiodReplicas", 1, 50, "a replica count");
  const istiodMax = intIn("istiodMaxReplicas", 1, 50, "a replica count");
  if (istiodMin > istiodMax) {
    // The chart would render an autoscaler with minReplicas above maxReplicas, which the API refuses.
    problems.push(
      `${k("istiodReplicas")}=${istiodMin}: expected at most ${k("istiodMaxReplicas")} (${istiodMax})`,
    );
  }
  const gatewayMin = intIn("gatewayMinReplicas", 1, 50, "a replica count");
  const gatewayMax = intIn("gatewayMaxReplicas", 1, 100, "a replica count");
  if (gatewayMin > gatewayMax) {
    problems.push(
      `${k("gatewayMinReplicas")}=${gatewayMin}: expected at most ${k("gatewayMaxReplicas")} (${gatewayMax})`,
    );
  }
  const gatewayServiceType = oneOf("gatewayServiceType", GATEWAY_SERVICE_TYPES);
  const termination = oneOf("tlsTermination", TLS_TERMINATIONS);
  const rawHosts = str("ingressHosts") ?? "";
  const hosts = rawHosts
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  const badHost = hosts.find(
    (h) => !/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(h),
  );
  if (hosts.length === 0 || badHost !== undefined) {
    const why = badHost?.includes("*")
      ? `; ${JSON.stringify(badHost)} is a wildcard`
      : badHost
        ? `; ${JSON.stringify(badHost)} is not one`
        : "";
    problems.push(
      `${k("ingressHosts")}=${show(rawHosts)}: expected comma-separated fully qualified host names, no wildcards${why}`,
    );
  }
  const ingressClassName = requireStr("ingressClassName", "an IngressClass name", (v) => DNS_LABEL.test(v));
  const ingressController = {
    namespace: requireStr("ingressControllerNamespace", "a DNS label", (v) => DNS_LABEL.test(v)),
    serviceAccount: requireStr("ingressControllerServiceAccount", "a ServiceAccount name", (v) =>
      DNS_LABEL.test(v),
    ),
  };
  const keyAlgorithm = oneOf("certKeyAlgorithm", KEY_ALGORITHMS);
  const validityHours = intIn("certValidityHours", 24, 24 * 398, "hours");
  const earlyRenewalHours = intIn("certEarlyRenewalHours", 1, 24 * 365, "hours");
  const caValidityHours = intIn("caValidityHours", 24, 24 * 365 * 20, "hours");
  if (earlyRenewalHours >= validityHours) {
    problems.push(
      `${k("certEarlyRenewalHours")}=${earlyRenewalHours}: expected less than ${k("certValidityHours")} (${validityHours})`,
    );
  }
  if (caValidityHours < validityHours) {
    problems.push(
      `${k("caValidityHours")}=${caValidityHours}: expected at least ${k("certValidityHours")} (${validityHours}); a CA must not expire before the certificates it signs`,
    );
  }
  const toolboxImage = requireStr("toolboxImage", "an image reference with a tag or digest", (v) =>
    /^[a-z0-9./_:-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(v),
  );

  const canaryInstancesRaw = str("canaryInstances") ?? "";
  const canaryInstances = canaryInstancesRaw
    .split(",")
    .map((i) => i.trim())
    .filter(Boolean);
  if (
    canaryInstances.some((i) => !(INSTANCES as readonly string[]).includes(i)) ||
    new Set(canaryInstances).size !== canaryInstances.length
  ) {
    problems.push(
      `${k("canaryInstances")}=${show(canaryInstancesRaw)}: expected empty or a comma-separated list of a, b`,
    );
  }
  const canaryImage = str("canaryImage");
  if (canaryImage !== undefined && !/^[a-z0-9./_:-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/.test(canaryImage)) {
    problems.push(
      `${k("canaryImage")}=${show(canaryImage)}: expected an image reference with a tag or digest`,
    );
  }
  const canaryReplicas = intIn("canaryReplicas", 1, 100, "a replica count");
  const weightV1 = intIn("trafficPercentV1", 0, 100, "a percentage");
  const weightV2 = intIn("trafficPercentV2", 0, 100, "a percentage");
  if (weightV1 + weightV2 !== 100) {
    problems.push(
      `${k("trafficPercentV2")}=${weightV2}: expected ${k("trafficPercentV1")} + ${k("trafficPercentV2")} = 100 (now ${weightV1} + ${weightV2} = ${weightV1 + weightV2})`,
    );
  }
  const mirrorPercent = intIn("mirrorPercent", 0, 100, "a percentage");
  const canaryHeader = requireStr("canaryHeader", "a lowercase HTTP header name", (v) =>
    /^[a-z0-9-]+$/.test(v),
  );
  if (canaryInstances.length === 0) {
    // A subset that no Deployment backs would black-hole its share of the traffic.
    if (weightV2 > 0) {
      problems.push(
        `${k("trafficPercentV2")}=${weightV2}: expected 0 while ${k("canaryInstances")} is empty: no Deployment runs v2`,
      );
    }
    if (mirrorPercent > 0) {
      problems.push(
        `${k("mirrorPercent")}=${mirrorPercent}: expected 0 while ${k("canaryInstances")} is empty: no Deployment runs v2`,
      );
    }
  }

  const timeoutMs = intIn("routeTimeoutMs", 10, 600_000, "milliseconds");
  const perTryTimeoutMs = intIn("retryPerTryTimeoutMs", 10, 600_000, "milliseconds");
  if (perTryTimeoutMs > timeoutMs) {
    problems.push(
      `${k("retryPerTryTimeoutMs")}=${perTryTimeoutMs}: expected at most ${k("routeTimeoutMs")} (${timeoutMs})`,
    );
  }
  const retryOn = requireStr("retryOn", "comma-separated Envoy retry conditions", (v) =>
    /^[a-z0-9-]+(,[a-z0-9-]+)*$/.test(v),
  );
  const resilience: Settings["traffic"]["resilience"] = {
    timeoutMs,
    retries: { attempts: intIn("retryAttempts", 0, 10, "a retry count"), perTryTimeoutMs, retryOn },
    outlier: {
      consecutive5xxErrors: intIn("outlierConsecutive5xx", 1, 1000, "an error count"),
      intervalSeconds: intIn("outlierIntervalSeconds", 1, 3600, "seconds"),
      baseEjectionSeconds: intIn("outlierBaseEjectionSeconds", 1, 3600, "seconds"),
      maxEjectionPercent: intIn("outlierMaxEjectionPercent", 0, 100, "a percentage"),
    },
    connectionPool: {
      maxConnections: intIn("poolMaxConnections", 1, 100_000, "a connection count"),
      maxPendingRequests: intIn("poolMaxPendingRequests", 1, 100_000, "a request count"),
      maxRequestsPerConnection: intIn("poolMaxRequestsPerConnection", 0, 100_000, "a request count"),
    },
    faults: {
      delayPercent: intIn("faultDelayPercent", 0, 100, "a percentage"),
      delayMs: intIn("faultDelayMs", 1, 600_000, "milliseconds"),
      abortPercent: intIn("faultAbortPercent", 0, 100, "a percentage"),
      abortStatus: intIn("faultAbortStatus", 400, 599, "an HTTP error status"),
    },
  };
  const monitoring = oneOf("monitoring", MONITORING_MODES);
  const prometheusStackVersion = requireStr("prometheusStackVersion", "a chart version such as 85.1.2", (v) =>
    /^\d+\.\d+\.\d+$/.test(v),
  );
  const traceSamplingPercent = intIn("traceSamplingPercent", 0, 100, "a percentage");
  if (traceSamplingPercent > 0) {
    // Sampled spans need a tracing provider (meshConfig.extensionProviders); without one istiod
    // only logs "Provider lookup failed" and nothing is traced.
    problems.push(
      `${k("traceSamplingPercent")}=${traceSamplingPercent}: expected 0: no tracing provider is configured, so sampled spans would go nowhere`,
    );
  }
  const monitorLabelsRaw = str("monitorLabels") ?? "";
  const monitorLabels = parseLabels(monitorLabelsRaw);
  if (monitorLabels === undefined) {
    problems.push(
      `${k("monitorLabels")}=${show(monitorLabelsRaw)}: expected comma-separated key=value Kubernetes labels, e.g. release=kube-prometheus-stack`,
    );
  } else if (monitoring === "podmonitors" && Object.keys(monitorLabels).length === 0) {
    // A Prometheus Operator's podMonitorSelector is rarely "everything"; kube-prometheus-stack's
    // default selects release=<its release name>. Unlabelled PodMonitors would be ignored.
    problems.push(
      `${k("monitorLabels")}=${show(monitorLabelsRaw)}: expected the labels your Prometheus selects PodMonitors by (e.g. release=kube-prometheus-stack) when ${k("monitoring")} is podmonitors`,
    );
  }
  const dashboardNamespaceSet = str("grafanaDashboardNamespace");
  const dashboardNamespace = dashboardNamespaceSet ?? namespaces.monitoring;
  if (
    dashboardNamespaceSet !== undefined &&
    dashboardNamespace !== "" &&
    !DNS_LABEL.test(dashboardNamespace)
  ) {
    problems.push(
      `${k("grafanaDashboardNamespace")}=${show(dashboardNamespace)}: expected a DNS label, or empty for no dashboard`,
    );
  }

  if (problems.length > 0) throw new SettingsError(problems);

  return {
    environment,
    stack,
    cluster: { kubeconfig: str("kubeconfig"), context },
    image: {
      registry,
      repository,
      platform,
      credentials: username !== undefined && password !== undefined ? { username, password } : undefined,
    },
    namespaces,
    workload: {
      replicas,
      autoscaling,
      pdbMinAvailable: pdb > 0 ? pdb : undefined,
      resources,
      tickMs,
      pingTimeoutMs,
      shutdownTimeoutSeconds,
      drainDelaySeconds,
      logLevel,
      spreadPolicy,
    },
    networkPolicy: bool("networkPolicy"),
    rbac: { operatorGroup },
    mesh: {
      istioVersion,
      trustDomain,
      istiodReplicas: { min: istiodMin, max: istiodMax },
      pluginCa: bool("pluginCa"),
      meshWideMtls: bool("meshWideMtls"),
      accessLogs: bool("accessLogs"),
      gateway: { serviceType: gatewayServiceType, minReplicas: gatewayMin, maxReplicas: gatewayMax },
    },
    tls: {
      termination,
      hosts,
      ingressClassName,
      ingressController,
      keyAlgorithm,
      validityHours,
      earlyRenewalHours,
      caValidityHours,
    },
    verification: { enabled: bool("verification"), toolboxImage },
    traffic: {
      canary:
        canaryInstances.length > 0
          ? {
              instances: canaryInstances as Instance[],
              image: canaryImage,
              replicas: canaryReplicas,
              weights: { primary: weightV1, canary: weightV2 },
              header: canaryHeader,
              mirrorPercent,
            }
          : undefined,
      resilience,
    },
    observability: {
      monitoring,
      prometheusStackVersion,
      monitorLabels: monitorLabels ?? {},
      dashboardNamespace: monitoring === "none" || dashboardNamespace === "" ? undefined : dashboardNamespace,
      traceSamplingPercent,
    },
  };
}

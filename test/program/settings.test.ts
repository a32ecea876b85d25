import { TABLE } from "../../stacks/table";
import {
  parseCpu,
  parseLabels,
  parseMemory,
  parseSettings,
  SettingsError,
  type Settings,
} from "../../stacks/settings";

type Raw = Record<string, string | number | boolean>;

/** Config as the engine passes it: `pingpong:`-prefixed keys (unless namespaced already), string values. */
function raw(values: Raw): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k.includes(":") ? k : `pingpong:${k}`] = String(v);
  return out;
}

/** What staging and prod have no default for. */
const CLUSTER = { registry: "ghcr.io/acme", kubeContext: "platform-ctx" };

function settingsError(values: Raw, stack: string): SettingsError {
  try {
    parseSettings(raw(values), stack);
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error(`parseSettings(${JSON.stringify(values)}, ${stack}) did not throw`);
}

const problems = (values: Raw, stack: string): string[] => settingsError(values, stack).problems;

const common = {
  namespaces: {
    a: "pingpong-a",
    b: "pingpong-b",
    c: "pingpong-c",
    monitoring: "monitoring",
    gateway: "istio-ingress",
  },
  networkPolicy: true,
  rbac: { operatorGroup: "pingpong-operators" },
  verification: { enabled: true, toolboxImage: "curlimages/curl:8.21.0" },
};
/** Mesh settings every environment shares (one default for all in stacks/table.ts). */
const meshCommon = { istioVersion: "1.31.1", trustDomain: "cluster.local", accessLogs: true };
/** TLS settings every environment shares. */
const tlsCommon = {
  termination: "istio" as const,
  ingressClassName: "nginx",
  ingressController: { namespace: "ingress-nginx", serviceAccount: "ingress-nginx" },
  keyAlgorithm: "ECDSA-P256" as const,
};
const timing = { tickMs: 1000, pingTimeoutMs: 2000, shutdownTimeoutSeconds: 20 };
/** Fault injection and retry conditions every environment shares (stacks/table.ts). */
const faultsOff = { delayPercent: 0, delayMs: 500, abortPercent: 0, abortStatus: 503 };
const RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,5xx";
/** No canary by default: traffic.canary is absent. */
const devTraffic: Settings["traffic"] = {
  canary: undefined,
  resilience: {
    timeoutMs: 3000,
    retries: { attempts: 2, perTryTimeoutMs: 1000, retryOn: RETRY_ON },
    outlier: {
      consecutive5xxErrors: 5,
      intervalSeconds: 10,
      baseEjectionSeconds: 30,
      maxEjectionPercent: 100,
    },
    connectionPool: { maxConnections: 100, maxPendingRequests: 100, maxRequestsPerConnection: 0 },
    faults: faultsOff,
  },
};
/** Timeouts, retries and circuit breaking shared by staging and prod (stacks/table.ts). */
const productionTraffic: Settings["traffic"] = {
  canary: undefined,
  resilience: {
    timeoutMs: 2000,
    retries: { attempts: 2, perTryTimeoutMs: 800, retryOn: RETRY_ON },
    outlier: {
      consecutive5xxErrors: 5,
      intervalSeconds: 10,
      baseEjectionSeconds: 30,
      maxEjectionPercent: 50,
    },
    connectionPool: { maxConnections: 200, maxPendingRequests: 200, maxRequestsPerConnection: 0 },
    faults: faultsOff,
  },
};
const devObservability: Settings["observability"] = {
  monitoring: "install",
  prometheusStackVersion: "85.1.2",
  monitorLabels: {},
  dashboardNamespace: "monitoring",
  traceSamplingPercent: 0,
};
const productionObservability: Settings["observability"] = {
  monitoring: "podmonitors",
  prometheusStackVersion: "85.1.2",
  monitorLabels: { release: "kube-prometheus-stack" },
  dashboardNamespace: "monitoring",
  traceSamplingPercent: 0,
};

describe("parseSettings: environment defaults", () => {
  test("dev needs nothing: a kind cluster, its local registry, one replica, no autoscaler, no budget", () => {
    const expected: Settings = {
      environment: "dev",
      stack: "dev",
      cluster: { kubeconfig: undefined, context: "kind-pingpong" },
      image: {
        registry: "localhost:5001",
        repository: "pingpong",
        platform: undefined,
        credentials: undefined,
      },
      ...common,
      workload: {
        replicas: 1,
        autoscaling: undefined,
        pdbMinAvailable: undefined,
        resources: { cpuRequest: "50m", cpuLimit: "250m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
        ...timing,
        drainDelaySeconds: 2,
        logLevel: "debug",
        spreadPolicy: "ScheduleAnyway",
      },
      mesh: {
        ...meshCommon,
        istiodReplicas: { min: 1, max: 1 },
        pluginCa: false,
        meshWideMtls: false,
        gateway: { serviceType: "ClusterIP", minReplicas: 1, maxReplicas: 1 },
      },
      tls: {
        ...tlsCommon,
        hosts: ["pingpong.localtest.me"],
        validityHours: 720,
        earlyRenewalHours: 168,
        caValidityHours: 8760,
      },
      traffic: devTraffic,
      observability: devObservability,
    };
    expect(parseSettings({}, "dev")).toEqual(expected);
  });

  test("staging: two replicas minimum under the autoscaler, a budget of one, amd64 images", () => {
    const expected: Settings = {
      environment: "staging",
      stack: "staging",
      cluster: { kubeconfig: undefined, context: "platform-ctx" },
      image: {
        registry: "ghcr.io/acme",
        repository: "pingpong",
        platform: "linux/amd64",
        credentials: undefined,
      },
      ...common,
      workload: {
        replicas: 2,
        autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
        pdbMinAvailable: 1,
        resources: { cpuRequest: "100m", cpuLimit: "500m", memoryRequest: "96Mi", memoryLimit: "192Mi" },
        ...timing,
        drainDelaySeconds: 5,
        logLevel: "info",
        spreadPolicy: "ScheduleAnyway",
      },
      mesh: {
        ...meshCommon,
        istiodReplicas: { min: 2, max: 5 },
        pluginCa: true,
        meshWideMtls: false,
        gateway: { serviceType: "LoadBalancer", minReplicas: 2, maxReplicas: 4 },
      },
      tls: {
        ...tlsCommon,
        hosts: ["pingpong.staging.example.com"],
        validityHours: 2160,
        earlyRenewalHours: 720,
        caValidityHours: 43800,
      },
      traffic: productionTraffic,
      observability: productionObservability,
    };
    expect(parseSettings(raw(CLUSTER), "staging")).toEqual(expected);
  });

  test("prod: three to ten replicas, a budget of two, strict spreading over nodes", () => {
    const expected: Settings = {
      environment: "prod",
      stack: "prod",
      cluster: { kubeconfig: undefined, context: "platform-ctx" },
      image: {
        registry: "ghcr.io/acme",
        repository: "pingpong",
        platform: "linux/amd64",
        credentials: undefined,
      },
      ...common,
      workload: {
        replicas: 3,
        autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 60 },
        pdbMinAvailable: 2,
        resources: { cpuRequest: "200m", cpuLimit: "1", memoryRequest: "128Mi", memoryLimit: "256Mi" },
        ...timing,
        drainDelaySeconds: 5,
        logLevel: "info",
        spreadPolicy: "DoNotSchedule",
      },
      mesh: {
        ...meshCommon,
        istiodReplicas: { min: 2, max: 5 },
        pluginCa: true,
        meshWideMtls: true,
        gateway: { serviceType: "LoadBalancer", minReplicas: 3, maxReplicas: 10 },
      },
      tls: {
        ...tlsCommon,
        hosts: ["pingpong.example.com"],
        validityHours: 2160,
        earlyRenewalHours: 720,
        caValidityHours: 87600,
      },
      traffic: productionTraffic,
      observability: productionObservability,
    };
    expect(parseSettings(raw(CLUSTER), "prod")).toEqual(expected);
  });

  test.each(["staging", "prod"])("%s has no default registry: it must be configured", (stack) => {
    expect(problems({ kubeContext: "ctx" }, stack)).toEqual([
      "pingpong:registry=<unset>: expected a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme",
    ]);
  });

  test("stack values override the defaults, typed from their strings", () => {
    const s = parseSettings(
      raw({
        replicas: "3",
        autoscaling: "true",
        hpaMinReplicas: "2",
        hpaMaxReplicas: "5",
        pdbMinAvailable: "1",
        networkPolicy: "false",
        logLevel: "warn",
        registryUsername: "bot",
        registryPassword: "s3cret",
        imagePlatform: "linux/arm64",
        kubeconfig: "/tmp/kubeconfig",
      }),
      "dev",
    );
    expect(s.workload.replicas).toBe(3);
    expect(s.workload.autoscaling).toEqual({ minReplicas: 2, maxReplicas: 5, cpuUtilization: 80 });
    expect(s.workload.pdbMinAvailable).toBe(1);
    expect(s.networkPolicy).toBe(false);
    expect(s.workload.logLevel).toBe("warn");
    expect(s.image.credentials).toEqual({ username: "bot", password: "s3cret" });
    expect(s.image.platform).toBe("linux/arm64");
    expect(s.cluster).toEqual({ kubeconfig: "/tmp/kubeconfig", context: "kind-pingpong" });
  });

  test("pdbMinAvailable 0 means no budget", () => {
    expect(
      parseSettings(raw({ ...CLUSTER, pdbMinAvailable: 0 }), "prod").workload.pdbMinAvailable,
    ).toBeUndefined();
  });

  test("a request equal to its limit is accepted (Guaranteed QoS)", () => {
    const s = parseSettings(raw({ cpuRequest: "250m", memoryRequest: "128Mi" }), "dev");
    expect(s.workload.resources).toEqual({
      cpuRequest: "250m",
      cpuLimit: "250m",
      memoryRequest: "128Mi",
      memoryLimit: "128Mi",
    });
  });

  test("keys of other namespaces are ignored", () => {
    const s = parseSettings(
      raw({ "kubernetes:context": "elsewhere", "docker:host": "tcp://127.0.0.1:2375", "pulumi:tags": "{}" }),
      "dev",
    );
    expect(s.cluster.context).toBe("kind-pingpong");
  });

  test("a stack named after no environment picks one with pingpong:environment", () => {
    const s = parseSettings(raw({ ...CLUSTER, environment: "prod" }), "prod-eu");
    expect(s.environment).toBe("prod");
    expect(s.stack).toBe("prod-eu");
    expect(s.workload.autoscaling).toEqual({ minReplicas: 3, maxReplicas: 10, cpuUtilization: 60 });
    expect(s.workload.pdbMinAvailable).toBe(2);
    expect(s.workload.spreadPolicy).toBe("DoNotSchedule");
  });
});

describe("parseSettings: one bad value, one problem naming key, value and expectation", () => {
  const cases: Array<[string, string, Raw, string]> = [
    [
      "replicas not an integer",
      "dev",
      { replicas: "three" },
      'pingpong:replicas="three": expected an integer',
    ],
    ["replicas fractional", "dev", { replicas: "1.5" }, 'pingpong:replicas="1.5": expected an integer'],
    [
      "autoscaling not a boolean",
      "dev",
      { autoscaling: "yes" },
      'pingpong:autoscaling="yes": expected true or false',
    ],
    ["replicas=0", "dev", { replicas: 0 }, "pingpong:replicas=0: expected a replica count from 1 to 100"],
    [
      "hpaMinReplicas above hpaMaxReplicas",
      "prod",
      { ...CLUSTER, hpaMinReplicas: 5, hpaMaxReplicas: 4 },
      "pingpong:hpaMinReplicas=5: expected at most pingpong:hpaMaxReplicas (4)",
    ],
    [
      "a budget equal to the replicas, without autoscaling",
      "dev",
      { replicas: 2, pdbMinAvailable: 2 },
      "pingpong:pdbMinAvailable=2: expected 0 (no budget) or less than pingpong:replicas (2); a budget of 2 would block every voluntary eviction",
    ],
    [
      "a budget on a single replica",
      "dev",
      { pdbMinAvailable: 1 },
      "pingpong:pdbMinAvailable=1: expected 0 (no budget) or less than pingpong:replicas (1); a budget of 1 would block every voluntary eviction",
    ],
    [
      "a budget equal to the autoscaler minimum",
      "prod",
      { ...CLUSTER, pdbMinAvailable: 3 },
      "pingpong:pdbMinAvailable=3: expected 0 (no budget) or less than pingpong:hpaMinReplicas (3); a budget of 3 would block every voluntary eviction",
    ],
    [
      "a budget above the autoscaler minimum, whatever replicas says",
      "staging",
      { ...CLUSTER, replicas: 10, pdbMinAvailable: 4, hpaMaxReplicas: 8 },
      "pingpong:pdbMinAvailable=4: expected 0 (no budget) or less than pingpong:hpaMinReplicas (2); a budget of 4 would block every voluntary eviction",
    ],
    [
      "a budget against the replicas when autoscaling is turned off",
      "staging",
      { ...CLUSTER, autoscaling: false, replicas: 1 },
      "pingpong:pdbMinAvailable=1: expected 0 (no budget) or less than pingpong:replicas (1); a budget of 1 would block every voluntary eviction",
    ],
    [
      "cpuRequest above cpuLimit",
      "dev",
      { cpuRequest: "500m" },
      'pingpong:cpuRequest="500m": expected at most pingpong:cpuLimit (250m)',
    ],
    [
      "cpuRequest above cpuLimit across units",
      "prod",
      { ...CLUSTER, cpuRequest: "1500m" },
      'pingpong:cpuRequest="1500m": expected at most pingpong:cpuLimit (1)',
    ],
    [
      "memoryRequest above memoryLimit",
      "dev",
      { memoryRequest: "1Gi" },
      'pingpong:memoryRequest="1Gi": expected at most pingpong:memoryLimit (128Mi)',
    ],
    [
      "memoryRequest above memoryLimit across units",
      "dev",
      { memoryRequest: "200M" },
      'pingpong:memoryRequest="200M": expected at most pingpong:memoryLimit (128Mi)',
    ],
    [
      "a CPU quantity that is none",
      "dev",
      { cpuLimit: "lots" },
      'pingpong:cpuLimit="lots": expected a CPU quantity such as 500m or 1',
    ],
    [
      "a memory quantity that is none",
      "dev",
      { memoryRequest: "lots" },
      'pingpong:memoryRequest="lots": expected a memory quantity such as 64Mi',
    ],
    [
      "drainDelaySeconds equal to shutdownTimeoutSeconds",
      "dev",
      { drainDelaySeconds: 20 },
      "pingpong:drainDelaySeconds=20: expected less than pingpong:shutdownTimeoutSeconds (20)",
    ],
    [
      "shutdownTimeoutSeconds below drainDelaySeconds",
      "prod",
      { ...CLUSTER, shutdownTimeoutSeconds: 3 },
      "pingpong:drainDelaySeconds=5: expected less than pingpong:shutdownTimeoutSeconds (3)",
    ],
    [
      "logLevel loud",
      "dev",
      { logLevel: "loud" },
      'pingpong:logLevel="loud": expected one of fatal, error, warn, info, debug, trace',
    ],
    [
      "spreadPolicy Sometimes",
      "dev",
      { spreadPolicy: "Sometimes" },
      'pingpong:spreadPolicy="Sometimes": expected one of ScheduleAnyway, DoNotSchedule',
    ],
    [
      "two instances in one namespace",
      "dev",
      { namespaceB: "pingpong-a" },
      'pingpong:namespaceB="pingpong-a": expected a namespace different from pingpong:namespaceA',
    ],
    [
      "the out-of-mesh namespace equal to an instance's",
      "dev",
      { namespaceC: "pingpong-b" },
      'pingpong:namespaceC="pingpong-b": expected a namespace different from pingpong:namespaceB',
    ],
    [
      "a system namespace",
      "dev",
      { namespaceC: "kube-system" },
      'pingpong:namespaceC="kube-system": expected a namespace of its own, not kube-system',
    ],
    [
      "the default namespace",
      "dev",
      { namespaceA: "default" },
      'pingpong:namespaceA="default": expected a namespace of its own, not default',
    ],
    [
      "a namespace that is not a DNS label",
      "dev",
      { namespaceA: "Pingpong_A" },
      'pingpong:namespaceA="Pingpong_A": expected a DNS label',
    ],
    [
      "a namespace longer than 63 characters",
      "dev",
      { namespaceB: "b".repeat(64) },
      `pingpong:namespaceB="${"b".repeat(64)}": expected a DNS label`,
    ],
    [
      "a monitoring namespace that is not a DNS label",
      "dev",
      { monitoringNamespace: "-mon" },
      'pingpong:monitoringNamespace="-mon": expected a DNS label',
    ],
    [
      "a registry with a scheme",
      "dev",
      { registry: "https://ghcr.io" },
      'pingpong:registry="https://ghcr.io": expected a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme',
    ],
    [
      "an uppercase repository",
      "dev",
      { imageRepository: "PingPong" },
      'pingpong:imageRepository="PingPong": expected a lowercase repository name',
    ],
    [
      "a Windows image platform",
      "dev",
      { imagePlatform: "windows/amd64" },
      'pingpong:imagePlatform="windows/amd64": expected linux/amd64, linux/arm64, linux/arm/v7, linux/ppc64le or linux/s390x',
    ],
    [
      "registryUsername without registryPassword",
      "dev",
      { registryUsername: "bot" },
      "pingpong:registryPassword=<unset>: expected a value, because registryUsername is set",
    ],
    [
      "registryPassword without registryUsername",
      "dev",
      { registryPassword: "s3cret-token" },
      "pingpong:registryUsername=<unset>: expected a value, because registryPassword is set",
    ],
    [
      "environment qa",
      "dev",
      { environment: "qa" },
      'pingpong:environment="qa": expected one of dev, staging, prod',
    ],
    [
      "a stack named after no environment, without pingpong:environment",
      "feature-x",
      {},
      'pingpong:environment (from the stack name)="feature-x": expected one of dev, staging, prod',
    ],
    [
      "hpaCpuUtilization above 100 percent",
      "prod",
      { ...CLUSTER, hpaCpuUtilization: 150 },
      "pingpong:hpaCpuUtilization=150: expected a percentage from 1 to 100",
    ],
    [
      "tickMs below 100",
      "dev",
      { tickMs: 10 },
      "pingpong:tickMs=10: expected milliseconds from 100 to 3600000",
    ],
    [
      "an istiod minimum above its maximum (the chart would render an autoscaler the API refuses)",
      "prod",
      { ...CLUSTER, istiodReplicas: 6 },
      "pingpong:istiodReplicas=6: expected at most pingpong:istiodMaxReplicas (5)",
    ],
    [
      "trace sampling without a tracing provider",
      "dev",
      { traceSamplingPercent: 10 },
      "pingpong:traceSamplingPercent=10: expected 0: no tracing provider is configured, so sampled spans would go nowhere",
    ],
    [
      "PodMonitors without the labels an existing Prometheus selects them by",
      "prod",
      { ...CLUSTER, monitorLabels: "" },
      'pingpong:monitorLabels="": expected the labels your Prometheus selects PodMonitors by (e.g. release=kube-prometheus-stack) when pingpong:monitoring is podmonitors',
    ],
    [
      "monitor labels that are not key=value labels",
      "prod",
      { ...CLUSTER, monitorLabels: "release" },
      'pingpong:monitorLabels="release": expected comma-separated key=value Kubernetes labels, e.g. release=kube-prometheus-stack',
    ],
    [
      "a dashboard namespace that is not a DNS label",
      "prod",
      { ...CLUSTER, grafanaDashboardNamespace: "Grafana" },
      'pingpong:grafanaDashboardNamespace="Grafana": expected a DNS label, or empty for no dashboard',
    ],
  ];

  test.each(cases)("%s", (_what, stack, values, expected) => {
    const err = settingsError(values, stack);
    expect(err.problems).toEqual([expected]);
    expect(err.name).toBe("SettingsError");
    expect(err.message).toBe(`invalid stack configuration:\n  - ${expected}`);
  });

  test("an unknown key is named with the keys that exist, never with its value (it may be a misspelt secret)", () => {
    const [problem, ...others] = problems({ replica: 2 }, "dev");
    expect(others).toEqual([]);
    expect(problem).toBe(`pingpong:replica: unknown key; expected one of ${Object.keys(TABLE).join(", ")}`);
    expect(problem).toContain("replicas");
  });

  test.each(["system:masters", "system:authenticated", "system:serviceaccounts"])(
    "operatorGroup %s: a built-in group is refused",
    (group) => {
      const [problem, ...others] = problems({ operatorGroup: group }, "dev");
      expect(others).toEqual([]);
      expect(problem).toMatch(new RegExp(`^pingpong:operatorGroup=${JSON.stringify(group)}: expected `));
    },
  );

  test("an empty operatorGroup is refused", () => {
    expect(problems({ operatorGroup: "  " }, "dev")).toEqual([
      'pingpong:operatorGroup="  ": expected a group of your own (not empty, not a built-in system: group)',
    ]);
  });

  test("the registry password never appears in a problem", () => {
    const err = settingsError({ registryPassword: "s3cret-token", replicas: 0 }, "dev");
    expect(err.problems).toHaveLength(2);
    expect(err.message).not.toContain("s3cret-token");
  });
});

describe("parseSettings: several problems are reported together", () => {
  test("every problem of the stack, each on its own line", () => {
    const err = settingsError(
      {
        replica: 2,
        replicas: 0,
        logLevel: "loud",
        registry: "https://ghcr.io",
        cpuRequest: "2",
        namespaceB: "pingpong-a",
      },
      "dev",
    );
    const expected = [
      `pingpong:replica: unknown key; expected one of ${Object.keys(TABLE).join(", ")}`,
      'pingpong:registry="https://ghcr.io": expected a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme',
      'pingpong:namespaceB="pingpong-a": expected a namespace different from pingpong:namespaceA',
      "pingpong:replicas=0: expected a replica count from 1 to 100",
      'pingpong:cpuRequest="2": expected at most pingpong:cpuLimit (250m)',
      'pingpong:logLevel="loud": expected one of fatal, error, warn, info, debug, trace',
    ];
    expect([...err.problems].sort()).toEqual([...expected].sort());
    for (const p of expected) expect(err.message).toContain(`\n  - ${p}`);
  });

  test("type errors are reported with a bad environment", () => {
    expect(problems({ replicas: "three", autoscaling: "yes" }, "qa")).toEqual([
      'pingpong:replicas="three": expected an integer',
      'pingpong:autoscaling="yes": expected true or false',
      'pingpong:environment (from the stack name)="qa": expected one of dev, staging, prod',
    ]);
  });
});

describe("Kubernetes quantities", () => {
  test.each([
    ["100m", 100],
    ["1", 1000],
    ["2", 2000],
    ["0.5", 500],
    ["1.5", 1500],
    ["250m", 250],
    ["0", 0],
  ])("parseCpu(%j) is %d millicores", (q, millicores) => {
    expect(parseCpu(q)).toBe(millicores);
  });

  test.each(["lots", "", "100M", "1k", "-1", "m", "1 m", "100mi"])(
    "parseCpu(%j) is not a CPU quantity",
    (q) => {
      expect(parseCpu(q)).toBeUndefined();
    },
  );

  test.each([
    ["128", 128],
    ["1k", 1000],
    ["1M", 1_000_000],
    ["1G", 1_000_000_000],
    ["1Ki", 1024],
    ["64Mi", 64 * 1024 * 1024],
    ["2Gi", 2 * 1024 * 1024 * 1024],
  ])("parseMemory(%j) is %d bytes", (q, bytes) => {
    expect(parseMemory(q)).toBe(bytes);
  });

  test.each(["lots", "", "64MB", "64mi", "1K", "-1Mi", "Mi", "64 Mi"])(
    "parseMemory(%j) is not a memory quantity",
    (q) => {
      expect(parseMemory(q)).toBeUndefined();
    },
  );

  test("binary and decimal units compare by bytes", () => {
    expect(parseMemory("1Mi")).toBeGreaterThan(parseMemory("1M") ?? Infinity);
    expect(parseMemory("1000Ki")).toBeLessThan(parseMemory("1Mi") ?? -Infinity);
  });
});

describe("parseSettings: safety outside dev and quantity forms", () => {
  test("staging and prod never fall back to the current kubeconfig context", () => {
    for (const env of ["staging", "prod"] as const) {
      expect(() => parseSettings({ "pingpong:registry": "ghcr.io/acme" }, env)).toThrow(
        `pingpong:kubeContext=<unset>: expected the kubeconfig context of the ${env} cluster`,
      );
    }
    expect(parseSettings({}, "dev").cluster.context).toBe("kind-pingpong");
  });

  test("a negative disruption budget is refused as negative, not as blocking evictions", () => {
    expect(() => parseSettings({ "pingpong:pdbMinAvailable": "-1" }, "dev")).toThrow(
      "pingpong:pdbMinAvailable=-1: expected 0 (no budget) or a positive count",
    );
  });

  test("a built-in system: group is refused with a message saying so", () => {
    expect(() => parseSettings({ "pingpong:operatorGroup": "system:masters" }, "dev")).toThrow(
      'pingpong:operatorGroup="system:masters": expected a group of your own (not empty, not a built-in system: group)',
    );
  });

  test.each([
    ["1.5Gi", 1.5 * 1024 ** 3],
    ["2Ti", 2 * 1024 ** 4],
    ["1T", 1e12],
    ["0.5", 0.5],
  ])("memory quantity %s is %d bytes", (q, bytes) => {
    expect(parseMemory(q)).toBe(bytes);
  });
});

describe("monitoring settings", () => {
  test("monitor labels parse into a label map; the dashboard follows monitoringNamespace unless set", () => {
    const s = parseSettings(
      raw({ ...CLUSTER, monitorLabels: "release=prom, team=platform", monitoringNamespace: "observability" }),
      "prod",
    );
    expect(s.observability.monitorLabels).toEqual({ release: "prom", team: "platform" });
    expect(s.observability.dashboardNamespace).toBe("observability");
    const grafana = parseSettings(raw({ ...CLUSTER, grafanaDashboardNamespace: "grafana" }), "prod");
    expect(grafana.observability.dashboardNamespace).toBe("grafana");
  });

  test("an empty dashboard namespace, or monitoring=none, means no dashboard", () => {
    expect(
      parseSettings(raw({ ...CLUSTER, grafanaDashboardNamespace: "" }), "prod").observability
        .dashboardNamespace,
    ).toBeUndefined();
    expect(
      parseSettings(raw({ ...CLUSTER, monitoring: "none" }), "prod").observability.dashboardNamespace,
    ).toBeUndefined();
  });

  test.each(["a=b=c", "=x", "a=b,a=c", "bad key=x", `k=${"v".repeat(64)}`])(
    "%s is not a label list",
    (labels) => {
      expect(parseLabels(labels)).toBeUndefined();
    },
  );

  test("equal istiod bounds mean a fixed replica count", () => {
    const s = parseSettings(raw({ ...CLUSTER, istiodReplicas: 3, istiodMaxReplicas: 3 }), "prod");
    expect(s.mesh.istiodReplicas).toEqual({ min: 3, max: 3 });
  });
});

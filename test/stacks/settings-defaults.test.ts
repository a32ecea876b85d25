import { parseSettings, type Settings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { settingsError } from "../support/variants";

/**
 * The settings each environment gets from the settings table alone (stacks/table.ts, listed in
 * docs/configuration.md): the documented defaults, whole.
 */

type Raw = Record<string, string | number | boolean>;
/** What staging and prod have no default for. */
const COLLECTOR = { host: "otel.observability.svc.cluster.local", port: 4317 };
const CLUSTER = {
  registry: "ghcr.io/acme",
  kubeContext: "platform-ctx",
  tracingCollector: `${COLLECTOR.host}:${COLLECTOR.port}`,
};
/** The hosts each stack serves: staging and prod have no default for them either. */
const HOSTS = { staging: "pingpong.staging.example.com", prod: "pingpong.example.com" };
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
const timing = { tickMs: 1000, pingTimeoutMs: 1000, shutdownTimeoutSeconds: 20 };
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
  loadBalancer: { simple: "LEAST_REQUEST" },
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
  loadBalancer: { simple: "LEAST_REQUEST" },
};
const devObservability: Settings["observability"] = {
  monitoring: "install",
  prometheusStackVersion: "85.1.2",
  monitorLabels: {},
  dashboardNamespace: "monitoring",
  istioDashboards: true,
  tracing: { backend: "jaeger", namespace: "tracing", chartVersion: "4.11.1", samplingPercent: 100 },
  kiali: { chartVersion: "2.29.0" },
};
/** dev: unknown hosts pass, example.com leaves through the egress gateway, the cluster has internet. */
const devDelivery = {
  egress: {
    outboundTrafficPolicy: "ALLOW_ANY" as const,
    gateway: { namespace: "istio-egress", hosts: ["example.com"] },
    internetAccess: true,
  },
  rateLimit: { requestsPerSecond: 20, burst: 40 },
  delivery: { instance: "b" as const, chartVersion: "2.41.0", successPercent: 99, latencyMs: 500 },
};
/** staging and prod refuse unknown hosts and list none; no canary analysis. */
const productionEgress = {
  outboundTrafficPolicy: "REGISTRY_ONLY" as const,
  gateway: { namespace: "istio-egress", hosts: [] },
  internetAccess: false,
};
const productionObservability: Omit<Settings["observability"], "tracing"> = {
  monitoring: "podmonitors",
  prometheusStackVersion: "85.1.2",
  monitorLabels: { release: "kube-prometheus-stack" },
  dashboardNamespace: "monitoring",
  istioDashboards: false,
  kiali: undefined,
};

/** dev asks little of its kind cluster; staging and prod keep the charts' and components' sizes. */
const devRequests: Settings["requests"] = {
  istiod: { cpu: "10m", memory: "100Mi" },
  proxy: { cpu: "10m", memory: "40Mi" },
  gateway: { cpu: "10m", memory: "40Mi" },
  cni: { cpu: "10m", memory: "40Mi" },
  monitoring: {
    prometheus: { cpu: "50m", memory: "256Mi" },
    alertmanager: { cpu: "5m", memory: "32Mi" },
    grafana: { cpu: "10m", memory: "96Mi" },
    kubeStateMetrics: { cpu: "5m", memory: "32Mi" },
    nodeExporter: { cpu: "5m", memory: "16Mi" },
    operator: { cpu: "5m", memory: "32Mi" },
  },
  kiali: { cpu: "10m", memory: "64Mi" },
  jaeger: { cpu: "10m", memory: "64Mi" },
  argoRollouts: { cpu: "10m", memory: "64Mi" },
};
const productionRequests: Settings["requests"] = {
  istiod: { cpu: "500m", memory: "2048Mi" },
  proxy: { cpu: "100m", memory: "128Mi" },
  gateway: { cpu: "100m", memory: "128Mi" },
  cni: { cpu: "100m", memory: "100Mi" },
  monitoring: {},
  kiali: { cpu: "10m", memory: "64Mi" },
  jaeger: { cpu: "50m", memory: "128Mi" },
  argoRollouts: { cpu: "50m", memory: "128Mi" },
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
      ...devDelivery,
      requests: devRequests,
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
        hosts: [HOSTS.staging],
        validityHours: 2160,
        earlyRenewalHours: 720,
        caValidityHours: 43800,
      },
      traffic: productionTraffic,
      observability: {
        ...productionObservability,
        tracing: { backend: "external", collector: COLLECTOR, samplingPercent: 10 },
      },
      egress: productionEgress,
      rateLimit: { requestsPerSecond: 100, burst: 200 },
      delivery: undefined,
      requests: productionRequests,
    };
    expect(parseSettings(engineConfig({ ...CLUSTER, ingressHosts: HOSTS.staging }), "staging")).toEqual(
      expected,
    );
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
        hosts: [HOSTS.prod],
        validityHours: 2160,
        earlyRenewalHours: 720,
        caValidityHours: 87600,
      },
      traffic: productionTraffic,
      observability: {
        ...productionObservability,
        tracing: { backend: "external", collector: COLLECTOR, samplingPercent: 1 },
      },
      egress: productionEgress,
      rateLimit: { requestsPerSecond: 200, burst: 400 },
      delivery: undefined,
      requests: productionRequests,
    };
    expect(parseSettings(engineConfig({ ...CLUSTER, ingressHosts: HOSTS.prod }), "prod")).toEqual(expected);
  });

  test.each(["staging", "prod"])("%s has no default registry: it must be configured", (stack) => {
    const { registry: _registry, ...rest } = { ...CLUSTER, ingressHosts: HOSTS.prod };
    expect(problems(rest, stack)).toEqual([
      "pingpong:registry=<unset>: expected a registry host[:port][/path] without scheme, e.g. localhost:5001 or ghcr.io/acme (or pingpong:image set instead)",
    ]);
  });
});

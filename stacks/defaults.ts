import type { ConfigKey } from "./schema";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The value of every key that has a default; keys absent here are optional. */
export type Defaults = Partial<Record<ConfigKey, string | number | boolean>>;

const common: Defaults = {
  imageRepository: "pingpong",
  namespaceA: "pingpong-a",
  namespaceB: "pingpong-b",
  namespaceC: "pingpong-c",
  monitoringNamespace: "monitoring",
  tickMs: 1000,
  pingTimeoutMs: 2000,
  shutdownTimeoutSeconds: 20,
  logLevel: "info",
  networkPolicy: true,
  operatorGroup: "pingpong-operators",
  // Istio 1.31.1: istio/istio.io content/en/news/releases/1.31.x/announcing-1.31.1 (2026-09-21);
  // Istio publishes its charts for every release. 1.31 supports Kubernetes 1.32 to 1.36.
  istioVersion: "1.31.1",
  trustDomain: "cluster.local",
  accessLogs: true,
  gatewayNamespace: "istio-ingress",
  tlsTermination: "istio",
  ingressClassName: "nginx",
  ingressControllerNamespace: "ingress-nginx",
  ingressControllerServiceAccount: "ingress-nginx",
  certKeyAlgorithm: "ECDSA-P256",
  verification: true,
  // curl/curl-container tag 8.21.0 (2026-06-24), published as docker.io/curlimages/curl:8.21.0.
  toolboxImage: "curlimages/curl:8.21.0",
  canaryInstances: "",
  canaryReplicas: 1,
  trafficPercentV1: 100,
  trafficPercentV2: 0,
  canaryHeader: "x-pingpong-version",
  mirrorPercent: 0,
  retryOn: "connect-failure,refused-stream,unavailable,cancelled,5xx",
  poolMaxRequestsPerConnection: 0,
  faultDelayPercent: 0,
  faultDelayMs: 500,
  faultAbortPercent: 0,
  faultAbortStatus: 503,
  // prometheus-community/helm-charts tag kube-prometheus-stack-85.1.2.
  prometheusStackVersion: "85.1.2",
  // No tracing provider exists yet: sampling must stay off (see settings.ts).
  traceSamplingPercent: 0,
};

/** Timeouts, retries and circuit breaking shared by staging and prod. */
const production: Defaults = {
  routeTimeoutMs: 2000,
  retryAttempts: 2,
  retryPerTryTimeoutMs: 800,
  outlierConsecutive5xx: 5,
  outlierIntervalSeconds: 10,
  outlierBaseEjectionSeconds: 30,
  outlierMaxEjectionPercent: 50,
  poolMaxConnections: 200,
  poolMaxPendingRequests: 200,
  monitoring: "podmonitors",
  // A kube-prometheus-stack release named kube-prometheus-stack, left at its defaults, selects
  // PodMonitors labelled release=kube-prometheus-stack (and Grafana dashboards in every namespace).
  monitorLabels: "release=kube-prometheus-stack",
};

/**
 * Per-environment defaults. Stack files only override; a new stack picks an environment with
 * `pingpong:environment` and inherits everything else from here.
 */
export const DEFAULTS: Record<Environment, Defaults> = {
  // A local kind cluster with its registry on localhost:5001 (see stacks/kind/).
  dev: {
    ...common,
    kubeContext: "kind-pingpong",
    registry: "localhost:5001",
    replicas: 1,
    autoscaling: false,
    hpaMinReplicas: 1,
    hpaMaxReplicas: 3,
    hpaCpuUtilization: 80,
    pdbMinAvailable: 0,
    cpuRequest: "50m",
    cpuLimit: "250m",
    memoryRequest: "64Mi",
    memoryLimit: "128Mi",
    drainDelaySeconds: 2,
    logLevel: "debug",
    spreadPolicy: "ScheduleAnyway",
    istiodReplicas: 1,
    istiodMaxReplicas: 1,
    pluginCa: false,
    meshWideMtls: false,
    // kind has no load balancer: reach the gateway with kubectl port-forward.
    gatewayServiceType: "ClusterIP",
    gatewayMinReplicas: 1,
    gatewayMaxReplicas: 1,
    ingressHosts: "pingpong.localtest.me",
    certValidityHours: 720,
    certEarlyRenewalHours: 168,
    caValidityHours: 8760,
    routeTimeoutMs: 3000,
    retryAttempts: 2,
    retryPerTryTimeoutMs: 1000,
    outlierConsecutive5xx: 5,
    outlierIntervalSeconds: 10,
    outlierBaseEjectionSeconds: 30,
    outlierMaxEjectionPercent: 100,
    poolMaxConnections: 100,
    poolMaxPendingRequests: 100,
    monitoring: "install",
    // The installed Prometheus selects every PodMonitor.
    monitorLabels: "",
  },
  staging: {
    ...common,
    ...production,
    imagePlatform: "linux/amd64",
    replicas: 2,
    autoscaling: true,
    hpaMinReplicas: 2,
    hpaMaxReplicas: 6,
    hpaCpuUtilization: 70,
    pdbMinAvailable: 1,
    cpuRequest: "100m",
    cpuLimit: "500m",
    memoryRequest: "96Mi",
    memoryLimit: "192Mi",
    drainDelaySeconds: 5,
    spreadPolicy: "ScheduleAnyway",
    istiodReplicas: 2,
    istiodMaxReplicas: 5,
    pluginCa: true,
    meshWideMtls: false,
    gatewayServiceType: "LoadBalancer",
    gatewayMinReplicas: 2,
    gatewayMaxReplicas: 4,
    ingressHosts: "pingpong.staging.example.com",
    certValidityHours: 2160,
    certEarlyRenewalHours: 720,
    caValidityHours: 43800,
  },
  prod: {
    ...common,
    ...production,
    imagePlatform: "linux/amd64",
    replicas: 3,
    autoscaling: true,
    hpaMinReplicas: 3,
    hpaMaxReplicas: 10,
    hpaCpuUtilization: 60,
    pdbMinAvailable: 2,
    cpuRequest: "200m",
    cpuLimit: "1",
    memoryRequest: "128Mi",
    memoryLimit: "256Mi",
    drainDelaySeconds: 5,
    spreadPolicy: "DoNotSchedule",
    istiodReplicas: 2,
    istiodMaxReplicas: 5,
    pluginCa: true,
    meshWideMtls: true,
    gatewayServiceType: "LoadBalancer",
    gatewayMinReplicas: 3,
    gatewayMaxReplicas: 10,
    ingressHosts: "pingpong.example.com",
    certValidityHours: 2160,
    certEarlyRenewalHours: 720,
    caValidityHours: 87600,
  },
};

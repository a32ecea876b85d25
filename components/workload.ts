import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { DEFAULT_PORTS, ENV, PATHS } from "../app/src/contract";
import { LABEL_KEYS, standardLabels } from "./labels";
import { ISTIO, proxyConfigAnnotation } from "./mesh";
import {
  allowanceRule,
  dnsEgress,
  istiodEgress,
  peer,
  tcp,
  type AllowedPeer,
  type EgressAllowance,
} from "./network-isolation";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./pod-security";
import type { LogLevel, Resources, SpreadPolicy } from "./types";

type Input<T> = pulumi.Input<T>;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** Pure builders for the pingpong workload; the component wires them into resources. */

export const APP_NAME = "pingpong";
/** The version every instance runs unless a canary adds another. */
export const PRIMARY_VERSION = "v1";
/** The version a canary runs beside the primary. */
export const CANARY_VERSION = "v2";
export const CONTAINER_NAME = "pingpong";
/** Container and Service port names; Istio picks the protocol from the `http` prefix. */
export const PORTS = {
  http: { name: "http", port: DEFAULT_PORTS.http },
  metrics: { name: "http-metrics", port: DEFAULT_PORTS.metrics },
} as const;
/** Where the image's distroless base runs code: uid/gid `nonroot`. */
export const RUN_AS = 65532;
/** Extra grace beyond the app's own deadline, for the sidecar and the kubelet. */
export const GRACE_MARGIN_SECONDS = 5;

export interface WorkloadSettings {
  tickMs: number;
  pingTimeoutMs: number;
  shutdownTimeoutSeconds: number;
  drainDelaySeconds: number;
  logLevel: LogLevel;
  spreadPolicy: SpreadPolicy;
  resources: Resources;
  /** Percent of pings whose trace the pinger marks sampled (the decision every sidecar follows). */
  traceSamplingPercent: number;
}

/** Labels that select one version's pods: immutable in the Deployment selector. */
export function selectorLabels(version: string): Record<string, string> {
  return { app: APP_NAME, version };
}

/** All labels of a pod: `app` and `version` as Istio expects, plus the standard ones. */
export function podLabels(instance: string, version: string): Record<string, string> {
  return {
    ...standardLabels(APP_NAME, "server", instance),
    [LABEL_KEYS.version]: version,
    ...selectorLabels(version),
  };
}

/** The Service selects every version of the app, so traffic splitting can happen in the mesh. */
export function serviceSelector(): Record<string, string> {
  return { app: APP_NAME };
}

/** The cluster DNS name of a Service. */
export function serviceHost(namespace: string, serviceName = APP_NAME): string {
  return `${serviceName}.${namespace}.svc.cluster.local`;
}

export type Scheme = "http" | "https";

/** The main port's name: Istio selects the protocol from it (TLS-terminating apps are opaque TLS). */
export function mainPortName(scheme: Scheme): string {
  return scheme === "https" ? "https" : PORTS.http.name;
}

/** The in-cluster URL of the app's /ping behind the Service `serviceName` in `namespace`. */
export function pingUrl(namespace: string, serviceName = APP_NAME, scheme: Scheme = "http"): string {
  return `${scheme}://${serviceHost(namespace, serviceName)}:${PORTS.http.port}${PATHS.ping}`;
}

/** Where the app's certificate Secret is mounted when the app terminates TLS itself. */
export const TLS_MOUNT = { volume: "tls", path: "/etc/pingpong/tls" } as const;

/** Application-level TLS: a kubernetes.io/tls Secret holding tls.crt, tls.key and ca.crt. */
export interface AppTls {
  secretName: Input<string>;
}

export function terminationGracePeriodSeconds(w: WorkloadSettings): number {
  return w.shutdownTimeoutSeconds + GRACE_MARGIN_SECONDS;
}

export function container(args: {
  image: Input<string>;
  version: string;
  target?: Input<string>;
  workload: WorkloadSettings;
  tls?: AppTls;
}): Container {
  const w = args.workload;
  const scheme: Scheme = args.tls ? "https" : "http";
  const env: k8s.types.input.core.v1.EnvVar[] = [
    { name: ENV.port, value: String(PORTS.http.port) },
    { name: ENV.metricsPort, value: String(PORTS.metrics.port) },
    { name: ENV.tickMs, value: String(w.tickMs) },
    { name: ENV.pingTimeoutMs, value: String(w.pingTimeoutMs) },
    { name: ENV.shutdownTimeoutMs, value: String(w.shutdownTimeoutSeconds * 1000) },
    { name: ENV.drainDelayMs, value: String(w.drainDelaySeconds * 1000) },
    { name: ENV.logLevel, value: w.logLevel },
    { name: ENV.traceSamplingPercent, value: String(w.traceSamplingPercent) },
    { name: ENV.serviceName, value: APP_NAME },
    { name: ENV.version, value: args.version },
    { name: ENV.podName, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: ENV.namespace, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
  ];
  if (args.target !== undefined) env.push({ name: ENV.target, value: args.target });
  if (args.tls) {
    const file = (name: string) => `${TLS_MOUNT.path}/${name}`;
    env.push(
      { name: ENV.tlsCertFile, value: file("tls.crt") },
      { name: ENV.tlsKeyFile, value: file("tls.key") },
      // The peer's certificate is signed by the same stack CA.
      { name: ENV.targetCaFile, value: file("ca.crt") },
    );
  }
  const probe = (path: string) => ({
    httpGet: { path, port: mainPortName(scheme), scheme: scheme === "https" ? "HTTPS" : "HTTP" },
  });
  return {
    name: CONTAINER_NAME,
    image: args.image,
    imagePullPolicy: "IfNotPresent",
    ports: [
      { name: mainPortName(scheme), containerPort: PORTS.http.port, protocol: "TCP" },
      { name: PORTS.metrics.name, containerPort: PORTS.metrics.port, protocol: "TCP" },
    ],
    env,
    volumeMounts: args.tls
      ? [{ name: TLS_MOUNT.volume, mountPath: TLS_MOUNT.path, readOnly: true }]
      : undefined,
    resources: {
      requests: { cpu: w.resources.cpuRequest, memory: w.resources.memoryRequest },
      limits: { cpu: w.resources.cpuLimit, memory: w.resources.memoryLimit },
    },
    // Probes use /healthz and /readyz, never /ping: pings are counted, and the sidecar rewrites probes.
    startupProbe: { ...probe(PATHS.healthz), periodSeconds: 1, failureThreshold: 30, timeoutSeconds: 1 },
    readinessProbe: { ...probe(PATHS.readyz), periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
    livenessProbe: { ...probe(PATHS.healthz), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    securityContext: { ...restrictedContainerSecurity(), runAsUser: RUN_AS, runAsGroup: RUN_AS },
  };
}

export function podSpec(args: {
  serviceAccountName: Input<string>;
  version: string;
  workload: WorkloadSettings;
  container: Container;
  tls?: AppTls;
}): PodSpec {
  const spread = (topologyKey: string, whenUnsatisfiable: string) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: selectorLabels(args.version) },
    matchLabelKeys: ["pod-template-hash"],
  });
  return {
    serviceAccountName: args.serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: terminationGracePeriodSeconds(args.workload),
    securityContext: { ...restrictedPodSecurity(RUN_AS), fsGroup: RUN_AS },
    topologySpreadConstraints: [
      spread("kubernetes.io/hostname", args.workload.spreadPolicy),
      spread("topology.kubernetes.io/zone", "ScheduleAnyway"),
    ],
    containers: [args.container],
    volumes: args.tls
      ? [{ name: TLS_MOUNT.volume, secret: { secretName: args.tls.secretName, defaultMode: 0o440 } }]
      : undefined,
  };
}

/** Pod annotations: Prometheus scraping (merged by the sidecar under mTLS) and sidecar start order. */
export function podAnnotations(): Record<string, string> {
  return {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(PORTS.metrics.port),
    "prometheus.io/path": PATHS.metrics,
    "kubectl.kubernetes.io/default-container": CONTAINER_NAME,
    // The app pings from its first second; without this its first pings race the sidecar's start.
    ...proxyConfigAnnotation(),
  };
}

export function servicePorts(scheme: Scheme = "http"): k8s.types.input.core.v1.ServicePort[] {
  return [
    {
      name: mainPortName(scheme),
      port: PORTS.http.port,
      targetPort: mainPortName(scheme),
      protocol: "TCP",
      appProtocol: scheme,
    },
    {
      name: PORTS.metrics.name,
      port: PORTS.metrics.port,
      targetPort: PORTS.metrics.name,
      protocol: "TCP",
      appProtocol: "http",
    },
  ];
}

export type { AllowedPeer } from "./network-isolation";

/** Who may reach the app and whom it may reach, beyond cluster DNS and istiod. */
export interface NetworkRules {
  callers: AllowedPeer[];
  scrapers: AllowedPeer[];
  pingTargets: AllowedPeer[];
  /** Further destinations of the pod (its sidecar's, e.g. the egress gateway or the span collector). */
  egress?: EgressAllowance[];
}

/**
 * Only the traffic the service needs: its callers on the http port, Prometheus on the metrics and
 * sidecar ports; out to cluster DNS, istiod, the peers it pings and what its sidecar sends to.
 */
export function networkPolicySpec(args: NetworkRules & { version?: string }): NetworkPolicySpec {
  const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [];
  if (args.callers.length > 0) ingress.push({ from: args.callers.map(peer), ports: [tcp(PORTS.http.port)] });
  if (args.scrapers.length > 0) {
    ingress.push({
      from: args.scrapers.map(peer),
      ports: [tcp(PORTS.metrics.port), tcp(ISTIO.agentPort), tcp(ISTIO.envoyStatsPort)],
    });
  }
  const egress = [dnsEgress(), istiodEgress()];
  if (args.pingTargets.length > 0)
    egress.push(allowanceRule({ to: args.pingTargets, port: PORTS.http.port }));
  egress.push(...(args.egress ?? []).map(allowanceRule));
  return {
    podSelector: { matchLabels: args.version ? selectorLabels(args.version) : serviceSelector() },
    policyTypes: ["Ingress", "Egress"],
    ingress,
    egress,
  };
}

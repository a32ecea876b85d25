/**
 * The vocabulary components take: each set of allowed values once, as a const array (what the
 * settings check a value against) and its union type (what component args accept).
 */

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Topology spread: best effort or strict. */
export const SPREAD_POLICIES = ["ScheduleAnyway", "DoNotSchedule"] as const;
export type SpreadPolicy = (typeof SPREAD_POLICIES)[number];

/** Where HTTPS from outside ends: the ingress gateway, an Ingress controller or the pods. */
export const TLS_TERMINATIONS = ["istio", "ingress", "app"] as const;
export type TlsTermination = (typeof TLS_TERMINATIONS)[number];

export const GATEWAY_SERVICE_TYPES = ["LoadBalancer", "NodePort", "ClusterIP"] as const;
export type GatewayServiceType = (typeof GATEWAY_SERVICE_TYPES)[number];

/** Key algorithms of the CA and certificates: `<kind>-<curve or bits>`. */
export const KEY_ALGORITHMS = ["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072"] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** install: kube-prometheus-stack; podmonitors: PodMonitors for an existing Prometheus Operator. */
export const MONITORING_MODES = ["install", "podmonitors", "none"] as const;
export type MonitoringMode = (typeof MONITORING_MODES)[number];

/** Requests and limits of the app container, as Kubernetes quantities. */
export interface Resources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

/** What a container asks of its node, as Kubernetes quantities: what the scheduler admits its pod by. */
export interface Requests {
  cpu: string;
  memory: string;
}

export interface Autoscaling {
  minReplicas: number;
  maxReplicas: number;
  /** Target average CPU utilisation, percent of the request. */
  cpuUtilization: number;
}

/** What sidecars do with a host outside the mesh's registry (MeshConfig.OutboundTrafficPolicy.Mode). */
export const OUTBOUND_TRAFFIC_POLICIES = ["ALLOW_ANY", "REGISTRY_ONLY"] as const;
export type OutboundTrafficPolicy = (typeof OUTBOUND_TRAFFIC_POLICIES)[number];

/** Where spans go: a Jaeger the stack installs, a collector of the cluster's, or nowhere. */
export const TRACING_BACKENDS = ["jaeger", "external", "none"] as const;
export type TracingBackend = (typeof TRACING_BACKENDS)[number];

/** DestinationRule load balancing: Envoy's simple policies, or a consistent hash on a header. */
export const LOAD_BALANCERS = ["ROUND_ROBIN", "LEAST_REQUEST", "CONSISTENT_HASH"] as const;
export type LoadBalancerPolicy = (typeof LOAD_BALANCERS)[number];

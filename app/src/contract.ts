/**
 * The service's contract with its deployment: ports, paths, environment variables and metric names.
 * The Pulumi components import these, so a port or path lives in exactly one place.
 */
export const DEFAULT_PORTS = { http: 8080, metrics: 9090 } as const;

export const PATHS = { ping: "/ping", healthz: "/healthz", readyz: "/readyz", metrics: "/metrics" } as const;

export const METRIC_NAMES = {
  pongs: "pingpong_pongs_total",
  pings: "pingpong_pings_total",
  pingDuration: "pingpong_ping_duration_seconds",
  ready: "pingpong_ready",
  info: "pingpong_info",
} as const;

/** Environment variables the service reads (see config.ts for defaults and validation). */
export const ENV = {
  host: "HOST",
  port: "PORT",
  metricsPort: "METRICS_PORT",
  target: "TARGET",
  tickMs: "TICK_MS",
  pingTimeoutMs: "PING_TIMEOUT_MS",
  shutdownTimeoutMs: "SHUTDOWN_TIMEOUT_MS",
  drainDelayMs: "DRAIN_DELAY_MS",
  logLevel: "LOG_LEVEL",
  serviceName: "SERVICE_NAME",
  namespace: "POD_NAMESPACE",
  podName: "POD_NAME",
  version: "SERVICE_VERSION",
  tlsCertFile: "TLS_CERT_FILE",
  tlsKeyFile: "TLS_KEY_FILE",
  tlsClientCaFile: "TLS_CLIENT_CA_FILE",
  targetCertFile: "TARGET_CERT_FILE",
  targetKeyFile: "TARGET_KEY_FILE",
  targetCaFile: "TARGET_CA_FILE",
  traceSamplingPercent: "TRACE_SAMPLING_PERCENT",
} as const;

/** Where the image puts the entry points (see app/Dockerfile). */
export const IMAGE_PATHS = { main: "/app/dist/main.js", probe: "/app/dist/probe.js" } as const;

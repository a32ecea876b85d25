/**
 * Facts about the Istio installation that other objects must agree with: where the control plane
 * runs, how its pods are labelled and which ports the sidecar uses.
 */
export const ISTIO = {
  namespace: "istio-system",
  istiodLabels: { app: "istiod" },
  /** xDS and certificate signing, which every sidecar dials. */
  xdsPort: 15012,
  /** The sidecar agent's port: rewritten health probes and merged Prometheus metrics. */
  agentPort: 15020,
  /** Envoy's own Prometheus endpoint. */
  envoyStatsPort: 15090,
  /**
   * The injected proxy container and the one port it declares (15090, `http-envoy-prom`): the only
   * sidecar port Prometheus can discover, since it sees only declared ports.
   */
  proxy: { container: "istio-proxy", declaredPortName: "http-envoy-prom" },
  injectionLabel: "istio-injection",
} as const;

/** Cluster DNS, which every pod needs for Service names. */
export const CLUSTER_DNS = {
  namespace: "kube-system",
  podLabels: { "k8s-app": "kube-dns" },
  port: 53,
} as const;

/**
 * Proxy settings every pingpong pod relies on: the app (and the probe) make requests from their
 * first second, so they start only once the sidecar is ready.
 */
export const PROXY_CONFIG = { holdApplicationUntilProxyStarts: true } as const;

/**
 * The per-pod form of PROXY_CONFIG. istiod's meshConfig.defaultConfig already applies it to every
 * injected pod; the annotation keeps the start order with the pod itself, so it holds in a mesh
 * whose defaults differ and a reader of the pod spec sees what it relies on.
 */
export function proxyConfigAnnotation(): Record<string, string> {
  return { "proxy.istio.io/config": JSON.stringify(PROXY_CONFIG) };
}

/**
 * The tracing provider's name: istiod's meshConfig.extensionProviders declares it (with the
 * collector's address) and the Telemetry resource selects it by this name.
 */
export const TRACING_PROVIDER = "pingpong-otel";

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

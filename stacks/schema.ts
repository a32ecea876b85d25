/**
 * Every configuration key of the `pingpong` namespace: its type and what it changes. Pulumi.yaml
 * declares the same keys (a test keeps the two identical); defaults per environment live in
 * defaults.ts.
 */
export type KeyType = "string" | "integer" | "boolean";

export interface KeySpec {
  type: KeyType;
  description: string;
  secret?: boolean;
}

export const CONFIG_NAMESPACE = "pingpong";

export const SCHEMA = {
  environment: {
    type: "string",
    description:
      "Environment whose defaults apply: dev, staging or prod. Defaults to the stack name when it is one of them.",
  },
  kubeconfig: {
    type: "string",
    secret: true,
    description:
      "Path to a kubeconfig file (or its contents). Default: the KUBECONFIG environment variable or ~/.kube/config.",
  },
  kubeContext: { type: "string", description: "kubeconfig context of the target cluster." },
  registry: {
    type: "string",
    description:
      "Registry (host[:port][/path]) the app image is pushed to and pulled from, e.g. localhost:5001.",
  },
  imageRepository: { type: "string", description: "Repository name of the app image inside the registry." },
  imagePlatform: {
    type: "string",
    description: "Platform the image is built for, e.g. linux/amd64 or linux/arm64 (must match the nodes).",
  },
  registryUsername: {
    type: "string",
    description: "User for pushing to the registry; with registryPassword.",
  },
  registryPassword: {
    type: "string",
    secret: true,
    description: "Password or token for pushing to the registry (set with --secret).",
  },
  namespaceA: { type: "string", description: "Namespace of the first pingpong instance (sidecar-injected)." },
  namespaceB: {
    type: "string",
    description: "Namespace of the second pingpong instance (sidecar-injected).",
  },
  namespaceC: { type: "string", description: "Namespace of the test pod outside the mesh (never injected)." },
  monitoringNamespace: {
    type: "string",
    description: "Namespace of the Prometheus allowed to scrape pingpong through the NetworkPolicies.",
  },
  replicas: { type: "integer", description: "Replicas per instance when autoscaling is off." },
  autoscaling: { type: "boolean", description: "Run a HorizontalPodAutoscaler per instance." },
  hpaMinReplicas: { type: "integer", description: "Autoscaler minimum replicas." },
  hpaMaxReplicas: { type: "integer", description: "Autoscaler maximum replicas." },
  hpaCpuUtilization: {
    type: "integer",
    description: "Autoscaler target average CPU utilisation, percent of the request.",
  },
  pdbMinAvailable: {
    type: "integer",
    description: "PodDisruptionBudget minAvailable; must stay below the minimum replica count. 0: no budget.",
  },
  cpuRequest: {
    type: "string",
    description: "CPU request of the app container (Kubernetes quantity, e.g. 100m).",
  },
  cpuLimit: { type: "string", description: "CPU limit of the app container." },
  memoryRequest: { type: "string", description: "Memory request of the app container (e.g. 64Mi)." },
  memoryLimit: { type: "string", description: "Memory limit of the app container." },
  tickMs: { type: "integer", description: "Interval between two pings, in milliseconds." },
  pingTimeoutMs: { type: "integer", description: "Timeout of one ping, in milliseconds." },
  shutdownTimeoutSeconds: {
    type: "integer",
    description: "App shutdown deadline after SIGTERM; the pod's grace period is derived from it.",
  },
  drainDelaySeconds: {
    type: "integer",
    description: "Seconds the app keeps serving, unready, after SIGTERM so endpoints are withdrawn first.",
  },
  logLevel: { type: "string", description: "App log level: fatal, error, warn, info, debug or trace." },
  networkPolicy: { type: "boolean", description: "Restrict pod traffic with NetworkPolicies." },
  spreadPolicy: {
    type: "string",
    description: "Spreading of replicas over nodes: ScheduleAnyway (best effort) or DoNotSchedule (strict).",
  },
  operatorGroup: {
    type: "string",
    description:
      "Group (as the cluster's authenticator names it) granted read-only access to the pingpong namespaces.",
  },
  istioVersion: {
    type: "string",
    description: "Version of Istio's Helm charts (base, istiod, cni, gateway), e.g. 1.31.1.",
  },
  trustDomain: {
    type: "string",
    description: "Istio trust domain: the first part of every SPIFFE ID and principal.",
  },
  istiodReplicas: {
    type: "integer",
    description:
      "istiod replicas: the autoscaler minimum, or the fixed count when equal to istiodMaxReplicas.",
  },
  istiodMaxReplicas: {
    type: "integer",
    description: "istiod autoscaler maximum; equal to istiodReplicas: no autoscaler.",
  },
  pluginCa: {
    type: "boolean",
    description:
      "Give istiod an intermediate CA signed by the stack's root (cacerts), so workload certificates chain to it.",
  },
  meshWideMtls: {
    type: "boolean",
    description: "Also enforce STRICT mTLS mesh-wide (PeerAuthentication in istio-system).",
  },
  accessLogs: { type: "boolean", description: "Envoy access logs (JSON on stdout) for every proxy." },
  gatewayNamespace: {
    type: "string",
    description: "Namespace of the Istio ingress gateway (and of its TLS Secret).",
  },
  gatewayServiceType: {
    type: "string",
    description: "Service type of the ingress gateway: LoadBalancer, NodePort or ClusterIP.",
  },
  gatewayMinReplicas: { type: "integer", description: "Ingress gateway replicas (autoscaler minimum)." },
  gatewayMaxReplicas: { type: "integer", description: "Ingress gateway autoscaler maximum." },
  tlsTermination: {
    type: "string",
    description:
      "Where HTTPS from outside ends: istio (ingress gateway), ingress (an Ingress controller) or app (the pods).",
  },
  ingressHosts: {
    type: "string",
    description: "Comma-separated host names served over HTTPS (no wildcards); the certificate covers them.",
  },
  ingressClassName: {
    type: "string",
    description: "IngressClass of the Ingress when tlsTermination is ingress.",
  },
  ingressControllerNamespace: {
    type: "string",
    description:
      "Namespace of the (sidecar-injected) Ingress controller allowed to call pingpong when tlsTermination is ingress.",
  },
  ingressControllerServiceAccount: {
    type: "string",
    description: "ServiceAccount of that Ingress controller.",
  },
  certKeyAlgorithm: {
    type: "string",
    description: "Key algorithm of the CA and certificates: ECDSA-P256, ECDSA-P384, RSA-2048 or RSA-3072.",
  },
  certValidityHours: { type: "integer", description: "Lifetime of the server certificate, in hours." },
  certEarlyRenewalHours: {
    type: "integer",
    description: "A `pulumi up` this many hours before a certificate expires replaces it.",
  },
  caValidityHours: { type: "integer", description: "Lifetime of the root and intermediate CAs, in hours." },
  verification: {
    type: "boolean",
    description:
      "Run the mTLS verification Jobs on every `pulumi up` that changes the mesh, the image or the certificates.",
  },
  toolboxImage: {
    type: "string",
    description: "Image of the long-running test pod in namespaceC (needs sleep and curl).",
  },
  canaryInstances: {
    type: "string",
    description: "Instances (a, b; comma-separated) that run a second version v2 beside v1. Empty: none.",
  },
  canaryImage: {
    type: "string",
    description: "Image of v2. Default: the stack's own build (v2 then differs only by its version).",
  },
  canaryReplicas: { type: "integer", description: "Replicas of v2 per canary instance." },
  trafficPercentV1: {
    type: "integer",
    description: "Percent of requests routed to v1; with trafficPercentV2, sums to 100.",
  },
  trafficPercentV2: {
    type: "integer",
    description: "Percent of requests routed to v2 (0/100 or 100/0: blue-green).",
  },
  canaryHeader: {
    type: "string",
    description: "Requests with this header set to v2 always reach v2 (testers).",
  },
  mirrorPercent: {
    type: "integer",
    description: "Percent of v1 traffic mirrored to v2, responses discarded. 0: off.",
  },
  routeTimeoutMs: {
    type: "integer",
    description: "Timeout of a call to pingpong through the mesh, retries included.",
  },
  retryAttempts: { type: "integer", description: "Retries of a failed call." },
  retryPerTryTimeoutMs: { type: "integer", description: "Timeout of each attempt." },
  retryOn: {
    type: "string",
    description: "Envoy retry conditions, e.g. connect-failure,refused-stream,unavailable,cancelled,5xx.",
  },
  outlierConsecutive5xx: {
    type: "integer",
    description: "Circuit breaking: consecutive 5xx that eject an endpoint.",
  },
  outlierIntervalSeconds: {
    type: "integer",
    description: "Circuit breaking: interval between ejection sweeps.",
  },
  outlierBaseEjectionSeconds: { type: "integer", description: "Circuit breaking: minimum ejection time." },
  outlierMaxEjectionPercent: {
    type: "integer",
    description: "Circuit breaking: most endpoints ejected at once, percent.",
  },
  poolMaxConnections: {
    type: "integer",
    description: "Connection pool: TCP connections per endpoint and caller.",
  },
  poolMaxPendingRequests: {
    type: "integer",
    description: "Connection pool: requests queued waiting for a connection.",
  },
  poolMaxRequestsPerConnection: {
    type: "integer",
    description: "Connection pool: requests per connection before it is recycled (0: unlimited).",
  },
  faultDelayPercent: {
    type: "integer",
    description: "Drills: percent of requests delayed by faultDelayMs. 0: off.",
  },
  faultDelayMs: { type: "integer", description: "Drills: injected delay." },
  faultAbortPercent: {
    type: "integer",
    description: "Drills: percent of requests aborted with faultAbortStatus. 0: off.",
  },
  faultAbortStatus: { type: "integer", description: "Drills: HTTP status of aborted requests." },
  monitoring: {
    type: "string",
    description:
      "install: kube-prometheus-stack in monitoringNamespace; podmonitors: PodMonitors for an existing Prometheus Operator; none.",
  },
  prometheusStackVersion: {
    type: "string",
    description: "Version of the kube-prometheus-stack chart when monitoring is install.",
  },
  monitorLabels: {
    type: "string",
    description:
      "Labels (k=v, comma-separated) on the PodMonitors, for a Prometheus that selects monitors by label (kube-prometheus-stack at its defaults: release=<its release name>).",
  },
  grafanaDashboardNamespace: {
    type: "string",
    description:
      "Namespace of the Grafana dashboard ConfigMap; it must exist unless it is the monitoringNamespace that monitoring=install creates. Default: monitoringNamespace. Empty: no dashboard.",
  },
  traceSamplingPercent: {
    type: "integer",
    description: "Percent of requests traced. Must be 0: no tracing provider is configured yet.",
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof SCHEMA;

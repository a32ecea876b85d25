/**
 * The custom resource specs the program writes, typed for exactly the fields it sets, so the
 * compiler rejects a misspelt one. The strict CRD schemas validate the rendered specs in the
 * tests (test/program/crd-schemas.test.ts); these types only cover what the builders produce.
 */

/** Pods selected by their labels (Istio's WorkloadSelector, a Kubernetes label selector's matchLabels). */
export interface MatchLabels {
  matchLabels: Record<string, string>;
}

/** A percentage of requests, 0 to 100. */
export interface Percent {
  value: number;
}

// networking.istio.io/v1 -------------------------------------------------------------------------

export interface GatewayServer {
  port: { number: number; name: string; protocol: "HTTP" | "HTTPS" };
  hosts: string[];
  tls?: {
    mode?: "SIMPLE";
    credentialName?: string;
    minProtocolVersion?: "TLSV1_2" | "TLSV1_3";
    httpsRedirect?: boolean;
  };
}

export interface GatewaySpec {
  /** Labels of the gateway pods the servers bind to. */
  selector: Record<string, string>;
  servers: GatewayServer[];
}

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

/** Resilience of a route: the fields a VirtualService route and its policy share. */
export interface HttpRoutePolicy {
  timeout?: string;
  retries?: { attempts: number; perTryTimeout?: string; retryOn?: string };
  fault?: {
    delay?: { percentage: Percent; fixedDelay: string };
    abort?: { percentage: Percent; httpStatus: number };
  };
}

/** One HTTP route; every field is optional in Istio's API (a route may redirect instead). */
export interface HttpRoute extends HttpRoutePolicy {
  name?: string;
  match?: Array<{ headers?: Record<string, { exact: string }> }>;
  route?: Array<{ destination: Destination; weight?: number }>;
  mirror?: Destination;
  mirrorPercentage?: Percent;
}

export interface VirtualServiceSpec {
  hosts: string[];
  /** `<namespace>/<name>` of the Gateways the routes apply to; the mesh's sidecars when absent. */
  gateways?: string[];
  http: HttpRoute[];
}

export interface DestinationRuleSpec {
  host: string;
  subsets?: Array<{ name: string; labels: Record<string, string> }>;
  trafficPolicy?: {
    connectionPool?: {
      tcp?: { maxConnections: number };
      http?: { http1MaxPendingRequests?: number; maxRequestsPerConnection?: number };
    };
    outlierDetection?: {
      consecutive5xxErrors: number;
      interval: string;
      baseEjectionTime: string;
      maxEjectionPercent: number;
    };
  };
}

// security.istio.io/v1 ---------------------------------------------------------------------------

export type MtlsMode = "STRICT" | "PERMISSIVE" | "DISABLE" | "UNSET";

export interface PeerAuthenticationSpec {
  mtls: { mode: MtlsMode };
}

export interface AuthorizationOperation {
  ports?: string[];
  methods?: string[];
  paths?: string[];
}

export interface AuthorizationRule {
  from?: Array<{ source: { principals?: string[]; namespaces?: string[] } }>;
  to?: Array<{ operation: AuthorizationOperation }>;
}

/** Without rules an ALLOW policy matches nothing: the empty spec denies everything else. */
export interface AuthorizationPolicySpec {
  selector?: MatchLabels;
  action?: "ALLOW" | "DENY";
  rules?: AuthorizationRule[];
}

// telemetry.istio.io/v1 --------------------------------------------------------------------------

export interface TelemetrySpec {
  accessLogging: Array<{ providers: Array<{ name: string }>; disabled: boolean }>;
}

// monitoring.coreos.com/v1 (Prometheus Operator) --------------------------------------------------

export interface RelabelConfig {
  action: "replace" | "keep" | "drop";
  sourceLabels?: string[];
  regex?: string;
  replacement?: string;
  targetLabel?: string;
}

export interface PodMonitorSpec {
  selector: MatchLabels;
  podMetricsEndpoints: Array<{
    /** The name of a port a container declares: Prometheus discovers no other. */
    port: string;
    path: string;
    interval: string;
    relabelings?: RelabelConfig[];
  }>;
}

// networking.istio.io/v1alpha3 -------------------------------------------------------------------

/** The proxies a patch applies to (istio/api networking/v1alpha3/envoy_filter.proto, PatchContext). */
export type EnvoyPatchContext = "SIDECAR_INBOUND" | "GATEWAY";

/** An HTTP filter patch at a named filter of the HTTP connection manager's chain. */
export interface EnvoyHttpFilterPatch {
  applyTo: "HTTP_FILTER";
  match: {
    context: EnvoyPatchContext;
    listener: { filterChain: { filter: { name: string; subFilter?: { name: string } } } };
  };
  /** Any object to the CRD (`x-kubernetes-preserve-unknown-fields`): Envoy checks it, not the API server. */
  patch: { operation: "INSERT_BEFORE"; value: object };
}

export interface EnvoyFilterSpec {
  /** Pods in the EnvoyFilter's own namespace (every namespace from the root namespace). */
  workloadSelector: { labels: Record<string, string> };
  /** Order among EnvoyFilters patching the same proxy: lower first, 0 by default. */
  priority: number;
  configPatches: EnvoyHttpFilterPatch[];
}

// Egress through a gateway (components/egress.ts) ----------------------------------------------

/** A Gateway server that terminates Istio mutual TLS: what a sidecar sends to the egress gateway. */
export interface TlsGatewayServer {
  port: { number: number; name: string; protocol: "TLS" };
  hosts: string[];
  tls: { mode: "ISTIO_MUTUAL"; minProtocolVersion: "TLSV1_2" | "TLSV1_3" };
}

export interface TlsGatewaySpec {
  /** Labels of the gateway pods the servers bind to. */
  selector: Record<string, string>;
  servers: TlsGatewayServer[];
}

export interface ServiceEntrySpec {
  hosts: string[];
  ports: Array<{ number: number; name: string; protocol: "TLS" | "HTTPS" | "HTTP" | "TCP" }>;
  resolution: "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";
  location: "MESH_EXTERNAL" | "MESH_INTERNAL";
  exportTo?: string[];
}

/** A route of TLS traffic, matched on the SNI the client sends (never terminated). */
export interface TlsRoute {
  match: Array<{ gateways?: string[]; port?: number; sniHosts: string[] }>;
  route: Array<{ destination: Destination; weight?: number }>;
}

/** A route of opaque TCP traffic (what a gateway forwards after terminating TLS itself). */
export interface TcpRoute {
  match?: Array<{ gateways?: string[]; port?: number }>;
  route: Array<{ destination: Destination; weight?: number }>;
}

/** A VirtualService of TLS and TCP routes only. */
export interface L4VirtualServiceSpec {
  hosts: string[];
  gateways: string[];
  exportTo?: string[];
  tls?: TlsRoute[];
  tcp?: TcpRoute[];
}

/** How a client proxy opens TLS towards a destination. */
export interface ClientTlsSettings {
  mode: "ISTIO_MUTUAL";
  sni?: string;
}

export interface PortTrafficPolicy {
  port: { number: number };
  tls: ClientTlsSettings;
}

/** A subset selected by name only (all endpoints), differing from the others in its traffic policy. */
export interface PolicySubset {
  name: string;
  trafficPolicy: { portLevelSettings: PortTrafficPolicy[] };
}

export interface SubsetPolicyDestinationRuleSpec {
  host: string;
  exportTo?: string[];
  subsets: PolicySubset[];
}

/** A condition on an attribute, e.g. `connection.sni` (Istio's Authorization Policy Conditions). */
export interface AuthorizationCondition {
  key: string;
  values: string[];
}

export interface ConditionalAuthorizationRule extends AuthorizationRule {
  when?: AuthorizationCondition[];
}

export interface ConditionalAuthorizationPolicySpec extends Omit<AuthorizationPolicySpec, "rules"> {
  rules?: ConditionalAuthorizationRule[];
}

// Progressive delivery: argoproj.io/v1alpha1 (Argo Rollouts) and the DestinationRule it drives ---

/** DestinationRule load balancing: the CRD's oneOf allows `simple` or `consistentHash`, not both. */
export type LoadBalancerSettings =
  { simple: "ROUND_ROBIN" | "LEAST_REQUEST" } | { consistentHash: { httpHeaderName: string } };

/** A DestinationRule that balances load and whose subsets may select by name only. */
export interface BalancedDestinationRuleSpec extends Omit<DestinationRuleSpec, "subsets" | "trafficPolicy"> {
  /** Without labels a subset holds every endpoint of the host, until the Rollout controller adds its hash. */
  subsets?: Array<{ name: string; labels?: Record<string, string> }>;
  trafficPolicy?: NonNullable<DestinationRuleSpec["trafficPolicy"]> & { loadBalancer?: LoadBalancerSettings };
}

/** A Rollout's `strategy.canary.trafficRouting.istio` with subset-level splitting. */
export interface RolloutIstioRouting {
  virtualService: { name: string; routes: string[] };
  destinationRule: { name: string; canarySubsetName: string; stableSubsetName: string };
}

/** A measurement provider of an AnalysisTemplate metric; `Job` is a batch/v1 JobSpec. */
export type AnalysisProvider<Job> =
  | { prometheus: { address: string; query: string; timeout?: number } }
  | { job: { metadata?: { labels?: Record<string, string> }; spec: Job } };

export interface AnalysisMetric<Job> {
  name: string;
  provider: AnalysisProvider<Job>;
  interval?: string;
  count?: number;
  successCondition?: string;
  failureCondition?: string;
  failureLimit?: number;
}

export interface AnalysisTemplateSpec<Job> {
  /** Arguments the Rollout's analysis step passes; `{{args.<name>}}` in the metrics. */
  args: Array<{ name: string }>;
  metrics: Array<AnalysisMetric<Job>>;
}

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

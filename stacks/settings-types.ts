import type { ExternalIstiod } from "../components/istio-webhooks";
import type { PingpongServiceArgs } from "../components/pingpong-service";
import type { ProvidedPki } from "../components/provided-certificates";
import type { Resilience } from "../components/traffic";
import type {
  GatewayServiceType,
  KeyAlgorithm,
  MonitoringMode,
  OutboundTrafficPolicy,
  TlsTermination,
} from "../components/types";
import type { WorkloadSettings } from "../components/workload";
import type { Environment } from "./key";
import type { Instance } from "./keys-traffic";
import type { RequestSettings } from "./settings-sizing";

// The settings' type alone, which every part of stacks/ reads: it imports nothing of stacks/ that
// reads it back, so imports run one way (settings.ts parses; the plan's modules only read).

/** Everything the program needs, typed and validated. Components receive parts of it as args. */
export interface Settings {
  environment: Environment;
  stack: string;
  cluster: { kubeconfig?: string; context?: string };
  image: {
    /** A prebuilt image pinned by digest that every workload runs; absent: the stack builds its own. */
    reference?: string;
    /** Where the stack's own build is pushed; absent only when `reference` is set (the rules see to it). */
    registry?: string;
    repository: string;
    platform?: string;
    /** Present only when the registry needs credentials; the password stays a secret. */
    credentials?: { username: string; password: string };
  };
  /** A directory holding every chart as `<chartSource>/<chart>/<version>/`; absent: the charts' repositories. */
  chartSource?: string;
  /** a and b run pingpong in the mesh, c is outside it, monitoring is where Prometheus runs, gateway the ingress gateway. */
  namespaces: { a: string; b: string; c: string; monitoring: string; gateway: string };
  /**
   * The app's own settings and how many pods run it, as the component takes them. The trace sampling
   * is not the workload's: the plan derives it from `observability.tracing`. pdbMinAvailable is absent
   * when no PodDisruptionBudget runs (a single replica cannot be protected without blocking evictions).
   */
  workload: Omit<WorkloadSettings, "traceSamplingPercent"> &
    Pick<PingpongServiceArgs, "replicas" | "autoscaling" | "pdbMinAvailable">;
  networkPolicy: boolean;
  rbac: { operatorGroup: string };
  mesh: {
    istioVersion: string;
    trustDomain: string;
    /** Equal bounds: a fixed replica count, no autoscaler. */
    istiodReplicas: { min: number; max: number };
    pluginCa: boolean;
    meshWideMtls: boolean;
    accessLogs: boolean;
    /** An istiod outside the cluster that Istio's webhooks call; absent: the in-cluster istiod. */
    externalIstiod?: ExternalIstiod;
    gateway: {
      serviceType: GatewayServiceType;
      minReplicas: number;
      maxReplicas: number;
    };
  };
  tls: {
    termination: TlsTermination;
    hosts: string[];
    ingressClassName: string;
    /** The Ingress controller's identity, when tlsTermination is ingress. */
    ingressController: { namespace: string; serviceAccount: string };
    keyAlgorithm: KeyAlgorithm;
    validityHours: number;
    earlyRenewalHours: number;
    caValidityHours: number;
    /** The user's own PKI in place of generated certificates; absent: the stack generates them. */
    provided?: ProvidedPki;
  };
  verification: { enabled: boolean; toolboxImage: string };
  egress: {
    outboundTrafficPolicy: OutboundTrafficPolicy;
    /** Absent: no egress gateway. */
    gateway?: { namespace: string; hosts: string[] };
    /** Whether the cluster reaches the internet (verification then proves a listed host is reached). */
    internetAccess: boolean;
  };
  /** The local rate limit of each pingpong pod and ingress gateway pod; absent: none. */
  rateLimit?: { requestsPerSecond: number; burst: number };
  /** Automated canary analysis of one instance with Argo Rollouts; absent: off. */
  delivery?: { instance: Instance; chartVersion: string; successPercent: number; latencyMs: number };
  traffic: {
    /** A second version beside v1, on the instances listed; absent when none runs one. */
    canary?: {
      instances: Instance[];
      /** Absent: the stack's own build. */
      image?: string;
      replicas: number;
      weights: { primary: number; canary: number };
      header: string;
      mirrorPercent: number;
    };
    resilience: Resilience;
    /** DestinationRule load balancing (one of simple or consistentHash, as the API allows). */
    loadBalancer:
      { simple: "ROUND_ROBIN" | "LEAST_REQUEST" } | { consistentHash: { httpHeaderName: string } };
  };
  observability: {
    monitoring: MonitoringMode;
    prometheusStackVersion: string;
    /** Labels on the PodMonitors, so that a Prometheus selecting by label picks them up. */
    monitorLabels: Record<string, string>;
    /** Where the Grafana dashboard ConfigMap goes; absent: no dashboard. */
    dashboardNamespace?: string;
    istioDashboards: boolean;
    /** Where spans go; sampling is the pinger's decision, which the sidecars follow. */
    tracing:
      | { backend: "jaeger"; namespace: string; chartVersion: string; samplingPercent: number }
      | { backend: "external"; collector: { host: string; port: number }; samplingPercent: number }
      | { backend: "none" };
    /** Kiali, read-only; absent: none. `signingKey` absent: a random one, generated by the stack. */
    kiali?: { chartVersion: string; signingKey?: string };
  };
  /** What the pods of Istio and of the add-ons ask of their nodes (the app's: workload.resources). */
  requests: RequestSettings;
}

import type { CertificateSource } from "../components/certificates";
import type { ImageSource } from "../components/image";
import type { IstioArgs } from "../components/istio";
import type { MeshSecurityArgs } from "../components/mesh-security";
import type { ObservabilityArgs } from "../components/observability";
import type { PingpongServiceArgs } from "../components/pingpong-service";
import type { TrafficArgs } from "../components/traffic";
import type { CheckSpec } from "../components/verification";
import { INSTANCES, type Instance } from "./keys-traffic";
import type { Settings } from "./settings-types";

// The plan's shapes, which its parts (plan-addons, plan-network, plan-components,
// plan-certificates) fill: kept apart from plan.ts, which calls those parts, so imports run one way.

/** The two pingpong instances, as the settings name them (canaryInstances lists these keys). */
export type InstanceKey = Instance;
export const INSTANCE_KEYS: readonly InstanceKey[] = INSTANCES;

/** A workload identity by name: what an AuthorizationPolicy principal and a SPIFFE ID are built from. */
export interface NamedIdentity {
  namespace: string;
  serviceAccount: string;
}

/** Who may call an instance: its peer instance (by key, so the real ServiceAccount is used) or the edge. */
export type Caller =
  | { kind: "instance"; instance: InstanceKey }
  | { kind: "edge"; identity: NamedIdentity }
  /** The canary analysis's acceptance probe, in the instance's own namespace. */
  | { kind: "acceptance"; identity: NamedIdentity };

/** Pods allowed by a NetworkPolicy rule: all pods of `namespace`, or those matching `podLabels`. */
export interface PodsRef {
  namespace: string;
  podLabels?: Record<string, string>;
}

/** A destination of a pod on a TCP port: pods, addresses outside the cluster, or (neither) any address. */
export interface AllowedEgress {
  to?: PodsRef[];
  cidrs?: string[];
  port: number;
}

/** Where HTTPS from outside ends, and what follows from it. */
export interface EdgePlan {
  mode: Settings["tls"]["termination"];
  /** Scheme of in-cluster calls between the instances. */
  scheme: "http" | "https";
  /** The workload terminating HTTPS that then calls pingpong-a; none when the app terminates it. */
  caller?: NamedIdentity;
  /** Whether the sidecars see HTTP (and authorization can name methods and paths) or opaque TLS. */
  httpRules: boolean;
  /** Whether the mesh can tell the callee who called (it sets X-Forwarded-Client-Cert on HTTP only). */
  callerVisible: boolean;
  /** Names the server certificate must carry. */
  certificateHosts: string[];
  /** URLs of /ping from outside. */
  ingressUrls: string[];
}

export interface CanaryPlan {
  version: string;
  weights: { primary: number; canary: number };
  header: string;
  mirrorPercent: number;
  /** Absent: the stack's own build. */
  image?: string;
  replicas: number;
}

export interface InstancePlan {
  key: InstanceKey;
  peer: InstanceKey;
  namespace: string;
  /** The Service host name and the peer's /ping URL, the instance's TARGET. */
  host: string;
  target: string;
  callers: Caller[];
  canary?: CanaryPlan;
  /** The Traffic component's plain-data arguments: version split and resilience. */
  traffic: Pick<TrafficArgs, "primaryVersion" | "canary" | "resilience" | "loadBalancer" | "analysis">;
  /** NetworkPolicy rules; absent when settings turn NetworkPolicies off. */
  network?: {
    callers: PodsRef[];
    scrapers: PodsRef[];
    pingTargets: PodsRef[];
    egress: AllowedEgress[];
  };
}

/** A verification check: who probes which instance, and what must happen. */
export type CheckPlan = CheckSpec<InstanceKey>;

/** The parts of components' arguments that are plain data; index.ts adds the Outputs that wire them. */
export interface ComponentPlan {
  /** Build and push app/, or run a prebuilt image pinned by digest. */
  image: ImageSource;
  /** Generate the CA and certificates, or take the user's own PKI. */
  certificates: CertificateSource;
  istio: Omit<IstioArgs, "pluginCa">;
  observability: Omit<
    ObservabilityArgs,
    "namespaces" | "istioRootNamespace" | "controlPlane" | "jaegerQueryUrl"
  >;
  /** What every pingpong instance shares. */
  workload: Pick<
    PingpongServiceArgs,
    "version" | "replicas" | "autoscaling" | "pdbMinAvailable" | "workload"
  >;
  /** MeshSecurity's plain-data arguments, and whether a mesh-wide STRICT policy is added. */
  security: Pick<MeshSecurityArgs, "trustDomain" | "httpRules" | "scraperNamespaces"> & { meshWide: boolean };
}

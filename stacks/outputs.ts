import type { StackCertificates } from "../components/certificates";
import type { AppImage } from "../components/image";
import type { Istio } from "../components/istio";
import type { Kiali } from "../components/kiali";
import type { MeshSecurity } from "../components/mesh-security";
import type { Observability } from "../components/observability";
import type { PingpongService } from "../components/pingpong-service";
import type { Jaeger } from "../components/tracing";
import type { Verification } from "../components/verification";
import type * as pulumi from "@pulumi/pulumi";
import type { InstanceKey, Plan } from "./plan";
import type { Settings } from "./settings";

/** What the stack outputs are made of: the settings, the plan and the components that hold the values. */
export interface OutputSources {
  s: Settings;
  p: Plan;
  namespaces: Record<InstanceKey | "c", pulumi.Output<string>>;
  svc: Record<InstanceKey, PingpongService>;
  image: AppImage;
  istio: Istio;
  certs: StackCertificates;
  security: MeshSecurity;
  verification?: Verification;
  observability: Observability;
  jaeger?: Jaeger;
  kiali?: Kiali;
}

/**
 * The stack outputs. `summary` is the contract for dashboards and other stacks (docs/architecture.md,
 * "Stack outputs"; stacks/summary.ts parses it); the others are single values for scripts.
 */
export function stackOutputs(o: OutputSources) {
  const { s, p, namespaces, svc } = o;
  const c = s.traffic.canary;
  const canary = c
    ? { instances: c.instances, weights: { v1: c.weights.primary, v2: c.weights.canary } }
    : null;
  const pingUrls = { a: svc.a.url, b: svc.b.url };
  const dashboardUid = o.observability.dashboardUid ?? null;
  const summary = {
    environment: s.environment,
    endpoints: { ingress: p.edge.ingressUrls, internal: pingUrls },
    namespaces,
    image: { ref: o.image.ref, digest: o.image.digest },
    istioVersion: o.istio.version,
    certificate: { expiry: o.certs.serverExpiry },
    mtls: o.security.mtlsModes,
    canary: canary && canary.weights,
    dashboardUid,
  };
  return {
    canary,
    environment: s.environment,
    namespaces,
    serviceHosts: { a: svc.a.host, b: svc.b.host },
    pingUrls,
    imageRef: o.image.ref,
    istioVersion: o.istio.version,
    tlsTermination: p.edge.mode,
    ingress: { urls: p.edge.ingressUrls, gatewayNamespace: o.istio.gatewayNamespace },
    caCertificatePem: o.certs.caCertPem,
    certificateExpiry: o.certs.serverExpiry,
    mtlsModes: o.security.mtlsModes,
    verificationResults: o.verification?.results ?? {},
    dashboardUid,
    /** The Jaeger UI (in-cluster URL, and how to reach it from a workstation); null when not installed. */
    jaeger: o.jaeger ? { url: o.jaeger.queryUrl, portForward: o.jaeger.portForward } : null,
    /** Kiali, read-only; null when not installed. */
    kiali: o.kiali ? { url: o.kiali.url, portForward: o.kiali.portForward } : null,
    summary,
  };
}

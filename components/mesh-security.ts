import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "../app/src/contract";
import type {
  AuthorizationOperation,
  AuthorizationPolicySpec,
  MtlsMode,
  PeerAuthenticationSpec,
} from "./crds";
import { standardLabels } from "./labels";
import { PORTS, serviceSelector } from "./workload";

/** A workload identity: the ServiceAccount a pod runs as, in its namespace. */
export interface Identity {
  namespace: pulumi.Input<string>;
  serviceAccount: pulumi.Input<string>;
}

/** The Istio principal of an identity, as AuthorizationPolicy `principals` spell it. */
export function principal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The SPIFFE ID of an identity, as X-Forwarded-Client-Cert and certificates carry it. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${principal(trustDomain, namespace, serviceAccount)}`;
}

export const MTLS_MODE: MtlsMode = "STRICT";

export function peerAuthenticationSpec(): PeerAuthenticationSpec {
  return { mtls: { mode: MTLS_MODE } };
}

/**
 * The rule letting `principals` call pingpong. With HTTP-aware rules the call is limited to
 * GET/HEAD /ping; when the app terminates TLS itself the sidecar only sees TCP, where HTTP fields
 * would make the rule match nothing, so the rule stays at the port.
 */
export function allowCallersSpec(principals: string[], httpRules: boolean): AuthorizationPolicySpec {
  const http: AuthorizationOperation = httpRules ? { methods: ["GET", "HEAD"], paths: [PATHS.ping] } : {};
  const operation: AuthorizationOperation = { ports: [String(PORTS.http.port)], ...http };
  return {
    selector: { matchLabels: serviceSelector() },
    action: "ALLOW",
    rules: [{ from: [{ source: { principals } }], to: [{ operation }] }],
  };
}

/** Prometheus inside the mesh scrapes the metrics port directly; outside it, the merged sidecar port needs no rule. */
export function allowScrapersSpec(namespaces: string[]): AuthorizationPolicySpec {
  return {
    selector: { matchLabels: serviceSelector() },
    action: "ALLOW",
    rules: [
      {
        from: [{ source: { namespaces } }],
        to: [{ operation: { ports: [String(PORTS.metrics.port)], methods: ["GET"] } }],
      },
    ],
  };
}

export interface ProtectedNamespace {
  namespace: pulumi.Input<string>;
  /** Identities allowed to call pingpong in this namespace. */
  callers: Identity[];
}

export interface MeshSecurityArgs {
  trustDomain: string;
  /** The namespaces under STRICT mTLS and default-deny, with who may call in. */
  namespaces: Record<string, ProtectedNamespace>;
  /** Namespaces whose workloads may scrape the metrics port. */
  scraperNamespaces: pulumi.Input<string>[];
  /** Limit calls to GET/HEAD /ping (false when the app terminates TLS and the mesh sees TCP). */
  httpRules: boolean;
  /** Also a mesh-wide STRICT PeerAuthentication in the root namespace. */
  meshWide?: { rootNamespace: pulumi.Input<string> };
  /** Istio's control plane: every custom resource waits for it (its CRDs and webhooks). */
  controlPlane: pulumi.Resource[];
}

/**
 * STRICT mutual TLS and default-deny authorization: per namespace a PeerAuthentication `default`,
 * an allow-nothing AuthorizationPolicy, and ALLOW policies for exactly the callers and scrapers given.
 */
export class MeshSecurity extends pulumi.ComponentResource {
  /** mTLS mode per namespace key, plus `mesh` when a mesh-wide policy exists. */
  public readonly mtlsModes: Record<string, string>;
  /** Every policy's spec: changes when any policy changes (the verification re-runs on it). */
  public readonly policyFingerprint: pulumi.Output<unknown[]>;

  constructor(name: string, args: MeshSecurityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:mesh:MeshSecurity", name, {}, opts);
    const childOpts = { parent: this, dependsOn: args.controlPlane };
    const labels = standardLabels("pingpong", "mesh-security");
    const specs: pulumi.Input<unknown>[] = [];
    const cr = (
      resourceName: string,
      kind: string,
      metadata: { name: string; namespace: pulumi.Input<string> },
      spec: pulumi.Input<PeerAuthenticationSpec | AuthorizationPolicySpec>,
    ) => {
      specs.push(pulumi.all([kind, metadata.name, metadata.namespace, spec]));
      return new k8s.apiextensions.CustomResource(
        resourceName,
        { apiVersion: "security.istio.io/v1", kind, metadata: { ...metadata, labels }, spec },
        childOpts,
      );
    };

    const modes: Record<string, string> = {};
    for (const [key, target] of Object.entries(args.namespaces)) {
      const ns = target.namespace;
      cr(
        `${name}-${key}-peerauthentication`,
        "PeerAuthentication",
        { name: "default", namespace: ns },
        peerAuthenticationSpec(),
      );
      // An ALLOW policy without rules matches nothing: every request not allowed below is denied.
      cr(`${name}-${key}-allow-nothing`, "AuthorizationPolicy", { name: "allow-nothing", namespace: ns }, {});
      const principals = pulumi
        .all(target.callers.map((c) => pulumi.all([c.namespace, c.serviceAccount])))
        .apply((ids) => ids.map(([n, sa]) => principal(args.trustDomain, n, sa)));
      cr(
        `${name}-${key}-allow-callers`,
        "AuthorizationPolicy",
        { name: "allow-pingpong-callers", namespace: ns },
        principals.apply((p) => allowCallersSpec(p, args.httpRules)),
      );
      cr(
        `${name}-${key}-allow-scrapers`,
        "AuthorizationPolicy",
        { name: "allow-metrics-scrapers", namespace: ns },
        pulumi.all(args.scraperNamespaces).apply(allowScrapersSpec),
      );
      modes[key] = MTLS_MODE;
    }
    if (args.meshWide) {
      cr(
        `${name}-mesh-peerauthentication`,
        "PeerAuthentication",
        { name: "default", namespace: args.meshWide.rootNamespace },
        peerAuthenticationSpec(),
      );
      modes.mesh = MTLS_MODE;
    }
    this.mtlsModes = modes;
    this.policyFingerprint = pulumi.all(specs);
    this.registerOutputs({ mtlsModes: modes });
  }
}

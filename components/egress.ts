import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type {
  ConditionalAuthorizationPolicySpec,
  L4VirtualServiceSpec,
  ServiceEntrySpec,
  SubsetPolicyDestinationRuleSpec,
  TlsGatewaySpec,
} from "./crds";
import { CHARTS, chartLocation } from "./charts";
import { hostClash, hostKey, isEgressHostName } from "./egress-hosts";
import { EGRESS_RELEASE, gatewayPodLabels, gatewayValues } from "./istio";
import { standardLabels } from "./labels";
import { principal, type Identity } from "./mesh-security";
import { podSecurityLabels } from "./pod-security";
import type { Requests } from "./types";

export { EGRESS_RELEASE };
/** The name of the Istio Gateway the egress gateway pods serve: the release's, as in Istio's egress task. */
export const EGRESS_GATEWAY_NAME = EGRESS_RELEASE;
/** HTTPS to the external hosts, and the gateway Service's port carrying it (the chart's `https` port). */
export const EGRESS_PORT = 443;
/** Where every pingpong sidecar (and the gateway) must see the routes: all namespaces. */
const EXPORT_ALL = ["*"];

export interface EgressArgs {
  /** Version of Istio's `gateway` chart: the same as the control plane's. */
  istioVersion: string;
  /** A directory of unpacked charts, `<chartSource>/<chart>/<version>/`; absent: Istio's repository. */
  chartSource?: string;
  /** Namespace the component creates for the egress gateway and its routing objects. */
  namespace: string;
  /** External hosts reached with HTTPS on port 443 (exact DNS names), each only through the gateway. */
  hosts: string[];
  /** Identities allowed out through the gateway to any of `hosts`; no one else is. */
  allowed: Identity[];
  /** The trust domain istiod issues identities in; the gateway's policy names principals in it. */
  trustDomain: string;
  /** Gateway replicas: autoscaled between min and max, a fixed count when they are equal. */
  replicas: { min: number; max: number };
  /** What each gateway pod asks of its node; absent: the chart's own. */
  requests?: Requests;
  /** Istio's control plane: the gateway release and every custom resource wait for it. */
  controlPlane: pulumi.Resource[];
}

/** The cluster DNS name of the gateway chart's Service (named after the release, templates/service.yaml). */
export function egressServiceHost(namespace: string): string {
  return `${EGRESS_RELEASE}.${namespace}.svc.cluster.local`;
}

/** Refuses hosts Istio would reject or silently merge: not exact DNS names, duplicates, clashing keys. */
export function checkHosts(hosts: string[]): void {
  const bad = hosts.find((h) => !isEgressHostName(h));
  if (bad !== undefined) throw new Error(`egress host ${JSON.stringify(bad)}: expected a lowercase DNS name`);
  const clash = hostClash(hosts);
  if (clash !== undefined) throw new Error(`egress hosts: ${clash}`);
}

/**
 * Values of the `gateway` chart for an egress gateway: a ClusterIP Service (the chart README's
 * "Egress Gateway" example) and replicas as the ingress gateway's; the pod security context that
 * passes the restricted profile comes with every gateway's values (istio.ts GATEWAY_POD_SECURITY).
 */
export function egressGatewayValues(
  replicas: EgressArgs["replicas"],
  istioVersion: string,
  requests?: Requests,
): Record<string, unknown> {
  const gateway = {
    version: istioVersion,
    gatewayServiceType: "ClusterIP" as const,
    gatewayReplicas: replicas,
  };
  return gatewayValues(gateway, requests);
}

/**
 * The external host in the registry. istio.io egress-gateway task: `DNS` resolution is required, or
 * the gateway, seeing the gateway Service's own IP as the original destination, sends to itself.
 */
export function serviceEntrySpec(host: string): ServiceEntrySpec {
  return {
    hosts: [host],
    ports: [{ number: EGRESS_PORT, name: "tls", protocol: "TLS" }],
    resolution: "DNS",
    location: "MESH_EXTERNAL",
    exportTo: EXPORT_ALL,
  };
}

/**
 * One server per host, terminating the Istio mutual TLS sidecars open to the gateway (istio.io
 * "Egress using Wildcard Hosts", egress gateway with SNI proxy: TLS on 443 with ISTIO_MUTUAL). A
 * terminating server forwards with the `tcp` routes of the first VirtualService whose hosts meet its
 * own (istio/istio 1.31 pilot/pkg/networking/core/gateway.go buildGatewayNetworkFiltersFromTCPRoutes):
 * one server holding every host would send all of them to one destination. Servers on one port are
 * told apart by the SNI the sidecar sets, which is the host; their port names must differ (Gateway
 * validation). The destination follows from that SNI, the one the policy checks, never from the SNI
 * of the app's TLS inside.
 */
export function egressGatewaySpec(hosts: string[], selector: Record<string, string>): TlsGatewaySpec {
  return {
    selector,
    servers: hosts.map((host) => ({
      port: { number: EGRESS_PORT, name: `tls-${hostKey(host)}`, protocol: "TLS" },
      hosts: [host],
      // Istio's default minimum too, said outright: the production bar's istio-gateway-tls rule.
      tls: { mode: "ISTIO_MUTUAL", minProtocolVersion: "TLSV1_2" },
    })),
  };
}

/**
 * A subset of the gateway Service per host: sidecars open Istio mutual TLS to the gateway with the
 * host as SNI (istio.io egress-gateway-tls-origination task, "egressgateway-for-cnn"). It lives in
 * the gateway Service's namespace, which is on every client's destination rule lookup path (istio.io
 * traffic management best practices, "cross-namespace configuration").
 */
export function egressSubsetsSpec(gatewayHost: string, hosts: string[]): SubsetPolicyDestinationRuleSpec {
  return {
    host: gatewayHost,
    exportTo: EXPORT_ALL,
    subsets: hosts.map((host) => ({
      name: hostKey(host),
      trafficPolicy: {
        portLevelSettings: [{ port: { number: EGRESS_PORT }, tls: { mode: "ISTIO_MUTUAL", sni: host } }],
      },
    })),
  };
}

/**
 * Sidecars send TLS for `host` (matched on the SNI the app sends) to the gateway's subset for it;
 * the gateway, having terminated the mutual TLS, forwards the app's own TLS to the host as TCP: a
 * `tls` route for the mesh and a `tcp` route at the gateway, as istio.io "Egress using Wildcard
 * Hosts" does through its SNI proxy (the egress-gateway task's `tls` gateway route is for PASSTHROUGH
 * servers only, gateway.go above).
 */
export function egressRoutesSpec(host: string, gateway: string, gatewayHost: string): L4VirtualServiceSpec {
  const port = { number: EGRESS_PORT };
  const mesh = { gateways: ["mesh"], port: EGRESS_PORT, sniHosts: [host] };
  return {
    hosts: [host],
    gateways: ["mesh", gateway],
    exportTo: EXPORT_ALL,
    tls: [{ match: [mesh], route: [{ destination: { host: gatewayHost, subset: hostKey(host), port } }] }],
    tcp: [{ match: [{ gateways: [gateway], port: EGRESS_PORT }], route: [{ destination: { host, port } }] }],
  };
}

/**
 * At the gateway: exactly `principals`, and only towards `hosts`. The gateway sees TCP, so the host
 * is the SNI of the mutual TLS the sidecar opened (`connection.sni`, "HTTP and TCP" in istio.io's
 * Authorization Policy Conditions); `to.operation.hosts` is HTTP only. Without hosts or principals
 * the policy has no rules, and an ALLOW policy without rules matches nothing: an empty principals
 * list would instead mean any principal.
 */
export function egressPolicySpec(
  principals: string[],
  hosts: string[],
  selector: Record<string, string>,
): ConditionalAuthorizationPolicySpec {
  const allowNothing = { selector: { matchLabels: selector }, action: "ALLOW" as const };
  if (principals.length === 0 || hosts.length === 0) return allowNothing;
  return {
    ...allowNothing,
    rules: [{ from: [{ source: { principals } }], when: [{ key: "connection.sni", values: hosts }] }],
  };
}

/**
 * An egress gateway that the sidecars reach over Istio mutual TLS, so that it knows who is calling
 * and lets only the allowed identities out, to the listed hosts only. With no hosts it still runs,
 * behind a policy that allows nothing, and nothing is routed to it.
 */
export class Egress extends pulumi.ComponentResource {
  /** The gateway Service's cluster DNS name. */
  public readonly gatewayHost: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  /** The labels of the gateway pods. */
  public readonly podLabels: Record<string, string>;
  public readonly port: number;
  public readonly hosts: string[];

  constructor(name: string, args: EgressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:mesh:Egress", name, {}, opts);
    const { min, max } = args.replicas;
    if (min < 1 || min > max)
      throw new Error(`egress replicas: min ${min} and max ${max}: expected 1 <= min <= max`);
    checkHosts(args.hosts);
    const podLabels = gatewayPodLabels(EGRESS_RELEASE);
    const gatewayHost = egressServiceHost(args.namespace);
    const labels = standardLabels("pingpong", "egress");

    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: args.namespace,
          labels: { ...standardLabels("istio", "egress-gateway"), ...podSecurityLabels("restricted") },
        },
      },
      { parent: this },
    );
    // The chart's pods ask for injection themselves (label sidecar.istio.io/inject and the gateway
    // injection template in its podAnnotations), so the namespace needs no injection label.
    const release = new k8s.helm.v3.Release(
      `${name}-gateway`,
      {
        name: EGRESS_RELEASE,
        ...chartLocation(CHARTS.istioGateway, args.istioVersion, args.chartSource),
        namespace: ns.metadata.name,
        values: egressGatewayValues(args.replicas, args.istioVersion, args.requests),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
      },
      { parent: this, dependsOn: args.controlPlane },
    );

    const cr = (
      role: string,
      kind: string,
      metadataName: string,
      spec: pulumi.Input<object>,
      after: pulumi.Resource[] = [],
    ) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${role}`,
        {
          apiVersion: kind === "AuthorizationPolicy" ? "security.istio.io/v1" : "networking.istio.io/v1",
          kind,
          metadata: { name: metadataName, namespace: ns.metadata.name, labels },
          spec,
        },
        { parent: this, dependsOn: [...args.controlPlane, ...after] },
      );

    const principals = pulumi
      .all(args.allowed.map((id) => pulumi.all([id.namespace, id.serviceAccount])))
      .apply((ids) => ids.map(([n, sa]) => principal(args.trustDomain, n, sa)));
    const policySpec = principals.apply((p) => egressPolicySpec(p, args.hosts, podLabels));
    const policy = cr("authorizationpolicy", "AuthorizationPolicy", "egress-allowed-callers", policySpec);

    if (args.hosts.length > 0) {
      const gateway = cr("gateway", "Gateway", EGRESS_GATEWAY_NAME, egressGatewaySpec(args.hosts, podLabels));
      const subsets = egressSubsetsSpec(gatewayHost, args.hosts);
      const destinationRule = cr("destinationrule", "DestinationRule", "egress-gateway-subsets", subsets);
      const gatewayRef = `${args.namespace}/${EGRESS_GATEWAY_NAME}`;
      const ready = [release, policy, gateway, destinationRule];
      for (const host of args.hosts) {
        const key = hostKey(host);
        const entry = cr(`${key}-serviceentry`, "ServiceEntry", `egress-${key}`, serviceEntrySpec(host));
        // Routes last: sidecars send to the gateway only once it runs, with its policy, its servers
        // and the subsets the routes name (make-before-break, istio.io traffic management best practices).
        const routes = egressRoutesSpec(host, gatewayRef, gatewayHost);
        cr(`${key}-virtualservice`, "VirtualService", `egress-${key}`, routes, [...ready, entry]);
      }
    }

    this.namespace = ns.metadata.name;
    this.gatewayHost = ns.metadata.name.apply(egressServiceHost);
    this.podLabels = podLabels;
    this.port = EGRESS_PORT;
    this.hosts = [...args.hosts];
    const { namespace, gatewayHost: host, port, hosts } = this;
    this.registerOutputs({ namespace, gatewayHost: host, podLabels, port, hosts });
  }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "./labels";
import { CLUSTER_DNS, ISTIO } from "./mesh";

type Input<T> = pulumi.Input<T>;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/**
 * Egress isolation: Istio cannot make a pod's traffic go through the egress gateway (istio.io
 * "Egress Gateways", additional security considerations), only NetworkPolicies on every pod can. So
 * each namespace denies all egress by default and each kind of pod gets back exactly what it needs.
 */

/** Pods a rule names: every pod of `namespace`, or those matching `podLabels`. */
export interface AllowedPeer {
  namespace: Input<string>;
  podLabels?: Record<string, string>;
}

/**
 * One destination on a TCP port: pods (`to`), addresses outside the cluster (`cidrs`), or, with
 * neither, any address at all (what a host name outside the cluster needs: a policy cannot name it).
 */
export interface EgressAllowance {
  to?: AllowedPeer[];
  cidrs?: string[];
  port: number;
}

/** A namespace by the label Kubernetes gives every namespace. */
export const byNamespace = (ns: Input<string>) => ({ matchLabels: { "kubernetes.io/metadata.name": ns } });

export function peer(p: AllowedPeer): NetworkPolicyPeer {
  return {
    namespaceSelector: byNamespace(p.namespace),
    ...(p.podLabels ? { podSelector: { matchLabels: p.podLabels } } : {}),
  };
}

export const tcp = (port: number | string) => ({ protocol: "TCP", port });

/** Cluster DNS, which every pod needs for Service names. */
export function dnsEgress(): EgressRule {
  return {
    to: [peer({ namespace: CLUSTER_DNS.namespace, podLabels: CLUSTER_DNS.podLabels })],
    ports: [
      { protocol: "UDP", port: CLUSTER_DNS.port },
      { protocol: "TCP", port: CLUSTER_DNS.port },
    ],
  };
}

/**
 * istiod, which a sidecar dials for its configuration (the mesh config's `discoveryAddress`) and its
 * certificate (the injector's `CA_ADDR`): both on one port. 15017 is the webhooks' port, which the
 * API server dials, never a sidecar.
 */
export function istiodEgress(): EgressRule {
  return {
    to: [peer({ namespace: ISTIO.namespace, podLabels: ISTIO.istiodLabels })],
    ports: [tcp(ISTIO.xdsPort)],
  };
}

export function allowanceRule(a: EgressAllowance): EgressRule {
  const to = [...(a.to ?? []).map(peer), ...(a.cidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }))];
  return { ...(to.length > 0 ? { to } : {}), ports: [tcp(a.port)] };
}

/** What one kind of pod may send to: DNS always, istiod when it runs a sidecar, and `egress`. */
export interface PodEgress {
  /** The policy's name (metadata.name), unique in its namespace. */
  name: string;
  /** The pods it selects, by labels their component gives them. */
  podLabels: Record<string, string>;
  /** Whether the pods run a sidecar; only then do they need istiod. */
  sidecar: boolean;
  egress: EgressAllowance[];
}

/** The metadata.name of each namespace's default policy. */
export const DEFAULT_DENY_EGRESS = "default-deny-egress";

/** Every pod of its namespace, and no egress rule: what no other policy allows is dropped. */
export function defaultDenyEgressSpec(): NetworkPolicySpec {
  return { podSelector: {}, policyTypes: ["Egress"] };
}

/** An egress-only policy: it leaves the pods' ingress as it is. */
export function podEgressSpec(p: PodEgress): NetworkPolicySpec {
  return {
    podSelector: { matchLabels: p.podLabels },
    policyTypes: ["Egress"],
    egress: [dnsEgress(), ...(p.sidecar ? [istiodEgress()] : []), ...p.egress.map(allowanceRule)],
  };
}

export interface NetworkIsolationArgs {
  /** The namespace; pass the Namespace's output so it exists first. */
  namespace: Input<string>;
  /** The pods of the namespace besides those whose component brings its own policy (pingpong's). */
  pods: PodEgress[];
}

/** A namespace's default-deny egress policy and one egress policy per kind of pod that runs there. */
export class NetworkIsolation extends pulumi.ComponentResource {
  /** Every policy it creates: what must exist before a pod under them starts. */
  public readonly policies: k8s.networking.v1.NetworkPolicy[];

  constructor(name: string, args: NetworkIsolationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:network:NetworkIsolation", name, {}, opts);
    const names = args.pods.map((p) => p.name);
    const repeated = names.find((n, i) => names.indexOf(n) !== i || n === DEFAULT_DENY_EGRESS);
    if (repeated !== undefined) throw new Error(`${name}: two NetworkPolicies named ${repeated}`);
    const labels = standardLabels("pingpong", "network-isolation");
    const policy = (metadataName: string, spec: NetworkPolicySpec) =>
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${metadataName}`,
        { metadata: { name: metadataName, namespace: args.namespace, labels }, spec },
        { parent: this },
      );
    this.policies = [
      policy(DEFAULT_DENY_EGRESS, defaultDenyEgressSpec()),
      ...args.pods.map((p) => policy(p.name, podEgressSpec(p))),
    ];
    this.registerOutputs({ policies: this.policies.map((p) => p.metadata.name) });
  }
}

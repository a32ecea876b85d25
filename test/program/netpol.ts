import { isIPv4 } from "node:net";
import type { INamespace } from "kubernetes-models/v1";
import type {
  INetworkPolicy,
  INetworkPolicyPeer,
  INetworkPolicyPort,
  INetworkPolicySpec,
} from "kubernetes-models/networking.k8s.io/v1";
import {
  inNamespace,
  ofType,
  selects,
  type Labels,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { T, containerOf, namedPorts } from "./lookup";
import { as, must } from "./models";
import { podLabelSets, workloadIn } from "./workloads";

/** NetworkPolicies evaluated as the cluster would, for the graph's tests. */

/** A pod somewhere in the cluster, as a NetworkPolicy sees it. */
export interface Pod {
  namespace: string;
  labels: Labels;
  /** Named container ports, to resolve named NetworkPolicy ports. */
  ports?: Record<string, number>;
}

/** An address outside the cluster: only ipBlock peers, or a rule naming no peer, admit it. */
export interface Address {
  ip: string;
}

export type Peer = Pod | Address;

const isAddress = (p: Peer): p is Address => "ip" in p;

/** Whether the IPv4 address `ip` is in `cidr`. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits = "32"] = cidr.split("/");
  if (!isIPv4(ip) || !isIPv4(base)) return false;
  const n = (a: string) => a.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

/**
 * NetworkPolicy semantics for one direction: whether `rules` let traffic between the policy's pods
 * and `other` on `port`/`protocol`. `namespaceLabels` are the labels namespaces have on the cluster.
 */
export function admits(
  rules: Array<{ peers?: INetworkPolicyPeer[]; ports?: INetworkPolicyPort[] }>,
  policyNamespace: string,
  other: Peer,
  port: number,
  protocol: "TCP" | "UDP",
  portNames: Record<string, number>,
  namespaceLabels: (ns: string) => Labels,
): boolean {
  const peerMatches = (p: INetworkPolicyPeer): boolean => {
    if (p.ipBlock) {
      const { cidr, except = [] } = p.ipBlock;
      return isAddress(other) && inCidr(other.ip, cidr) && !except.some((e) => inCidr(other.ip, e));
    }
    if (isAddress(other)) return false;
    const nsOk = p.namespaceSelector
      ? selects(p.namespaceSelector, namespaceLabels(other.namespace))
      : other.namespace === policyNamespace;
    const podOk = p.podSelector ? selects(p.podSelector, other.labels) : true;
    return nsOk && podOk;
  };
  const portMatches = (p: INetworkPolicyPort): boolean => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    const from = typeof p.port === "number" ? p.port : portNames[p.port];
    if (from === undefined) return false;
    return port >= from && port <= (p.endPort ?? from);
  };
  // An empty or missing peer list admits every peer; an empty or missing port list every port.
  return rules.some((r) => {
    const peerOk = r.peers === undefined || r.peers.length === 0 || r.peers.some(peerMatches);
    const portOk = r.ports === undefined || r.ports.length === 0 || r.ports.some(portMatches);
    return peerOk && portOk;
  });
}

/** The labels a namespace has on the cluster: its declared ones and the name label Kubernetes adds. */
export function namespaceLabelsIn(run: ProgramRun): (ns: string) => Labels {
  return (ns) => {
    const declared = ofType(run, T.namespace).find((r) => as<INamespace>(r).metadata?.name === ns);
    return {
      ...(declared ? as<INamespace>(declared).metadata?.labels : {}),
      "kubernetes.io/metadata.name": ns,
    };
  };
}

type Direction = "Ingress" | "Egress";
const specOf = (r: Recorded) => must(as<INetworkPolicy>(r).spec, "NetworkPolicy spec");
/** A policy's types as the API server defaults them: Egress only when it has egress rules. */
const typesOf = (spec: INetworkPolicySpec): string[] =>
  spec.policyTypes ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);

/** The NetworkPolicies of the pod's namespace that select it for `direction`. */
export function policiesSelecting(run: ProgramRun, pod: Pod, direction: Direction): INetworkPolicySpec[] {
  return inNamespace(run, T.networkPolicy, pod.namespace)
    .map(specOf)
    .filter((spec) => selects(spec.podSelector, pod.labels) && typesOf(spec).includes(direction));
}

/** Whether some policy selects the pod for `direction`: then only what one of them allows passes. */
export const isolated = (run: ProgramRun, pod: Pod, direction: Direction): boolean =>
  policiesSelecting(run, pod, direction).length > 0;

/** Whether `from` may send to `to` on `port`/`protocol`: the union of every policy that selects it. */
export function egressAllowed(
  run: ProgramRun,
  from: Pod,
  to: Peer,
  port: number,
  protocol: "TCP" | "UDP" = "TCP",
): boolean {
  const policies = policiesSelecting(run, from, "Egress");
  if (policies.length === 0) return true;
  const rules = policies.flatMap((spec) => (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })));
  const names = isAddress(to) ? {} : (to.ports ?? {});
  return admits(rules, from.namespace, to, port, protocol, names, namespaceLabelsIn(run));
}

/** Whether `to` may receive from `from` on `port` (TCP; named ports resolve against `to.ports`). */
export function ingressAllowed(run: ProgramRun, to: Pod, from: Pod, port: number): boolean {
  const policies = policiesSelecting(run, to, "Ingress");
  if (policies.length === 0) return true;
  const rules = policies.flatMap((spec) =>
    (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
  );
  return admits(rules, to.namespace, from, port, "TCP", to.ports ?? {}, namespaceLabelsIn(run));
}

/** Both ends: `from` may send and `to` may receive. */
export const connects = (run: ProgramRun, from: Pod, to: Pod, port: number): boolean =>
  egressAllowed(run, from, to, port) && ingressAllowed(run, to, from, port);

/** The pingpong pods of an instance's namespace, in every role a Rollout's controller gives them. */
export function appPods(run: ProgramRun, namespace: string): Pod[] {
  const workload = workloadIn(run, namespace);
  const ports = namedPorts(containerOf(workload));
  return podLabelSets(workload).map((labels) => ({ namespace, labels, ports }));
}

/**
 * The one policy that governs an instance's own pods both ways: who may call them and where they
 * send (the namespace's other policies are egress only).
 */
export function instancePolicy(run: ProgramRun, namespace: string): INetworkPolicySpec {
  const pods = appPods(run, namespace);
  const found = inNamespace(run, T.networkPolicy, namespace)
    .map(specOf)
    .filter(
      (spec) => typesOf(spec).includes("Ingress") && pods.every((p) => selects(spec.podSelector, p.labels)),
    );
  if (found.length !== 1)
    throw new Error(`expected one ingress NetworkPolicy in ${namespace}, found ${found.length}`);
  return found[0];
}

/** The sources an instance's policy admits, whatever the port. */
export const instanceIngressPeers = (run: ProgramRun, namespace: string): INetworkPolicyPeer[] =>
  (instancePolicy(run, namespace).ingress ?? []).flatMap((r) => r.from ?? []);

/**
 * The namespace of a cluster Service's DNS name (`<service>.<namespace>.svc` and the cluster domain,
 * as Kubernetes' DNS specification spells it); fails for any other host.
 */
export function serviceNamespaceOf(host: string): string {
  const m = /^[^.]+\.([^.]+)\.svc(\.cluster\.local)?$/.exec(host);
  if (!m) throw new Error(`${host} is not a cluster Service's name`);
  return m[1];
}

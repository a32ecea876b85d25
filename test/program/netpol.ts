import type { INamespace } from "kubernetes-models/v1";
import type {
  INetworkPolicy,
  INetworkPolicyPeer,
  INetworkPolicyPort,
} from "kubernetes-models/networking.k8s.io/v1";
import { ofType, oneIn, selects, type Labels, type ProgramRun } from "../support/program";
import { T } from "./lookup";
import { as, must } from "./models";

/** NetworkPolicies evaluated as the cluster would, for the graph's tests. */

/** A pod somewhere in the cluster, as a NetworkPolicy sees it. */
export interface Pod {
  namespace: string;
  labels: Labels;
  /** Named container ports, to resolve named NetworkPolicy ports. */
  ports?: Record<string, number>;
}

/**
 * NetworkPolicy semantics for one direction: whether `rules` let traffic between the policy's pods
 * and `other` on `port`/`protocol`. `namespaceLabels` are the labels namespaces have on the cluster.
 */
export function admits(
  rules: Array<{ peers?: INetworkPolicyPeer[]; ports?: INetworkPolicyPort[] }>,
  policyNamespace: string,
  other: Pod,
  port: number,
  protocol: "TCP" | "UDP",
  portNames: Record<string, number>,
  namespaceLabels: (ns: string) => Labels,
): boolean {
  const peerMatches = (p: INetworkPolicyPeer): boolean => {
    if (p.ipBlock) return false;
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

/**
 * Whether the one NetworkPolicy of `namespace` lets a pod labelled `from` there reach `to` on
 * `port`/`protocol` (named ports resolve against `to.ports`).
 */
export function egressAllowed(
  run: ProgramRun,
  namespace: string,
  to: Pod,
  port: number,
  protocol: "TCP" | "UDP" = "TCP",
): boolean {
  const spec = must(as<INetworkPolicy>(oneIn(run, T.networkPolicy, namespace)).spec, "NetworkPolicy spec");
  const egress = (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
  return admits(egress, namespace, to, port, protocol, to.ports ?? {}, namespaceLabelsIn(run));
}

/** Whether the one NetworkPolicy of `namespace` selects pods labelled `labels`. */
export function policySelects(run: ProgramRun, namespace: string, labels: Labels): boolean {
  const spec = must(as<INetworkPolicy>(oneIn(run, T.networkPolicy, namespace)).spec, "NetworkPolicy spec");
  return selects(spec.podSelector, labels);
}

/** Whether the one NetworkPolicy of `namespace` lets `from` reach its pods on `port` (TCP). */
export function ingressAllowed(run: ProgramRun, namespace: string, from: Pod, port: number): boolean {
  const spec = must(as<INetworkPolicy>(oneIn(run, T.networkPolicy, namespace)).spec, "NetworkPolicy spec");
  const ingress = (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
  return admits(ingress, namespace, from, port, "TCP", {}, namespaceLabelsIn(run));
}

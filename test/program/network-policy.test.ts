import type { INamespace } from "kubernetes-models/v1";
import type {
  INetworkPolicy,
  INetworkPolicyPeer,
  INetworkPolicyPort,
} from "kubernetes-models/networking.k8s.io/v1";
import { PORTS } from "../../components/workload";
import type { Settings } from "../../stacks/settings";
import { ofType, oneIn, selects, type Labels, type ProgramRun } from "../support/program";
import { T } from "./lookup";
import {
  ENVS,
  SIDES,
  as,
  containerOf,
  deploymentOf,
  must,
  namedPorts,
  renderStacks,
  templateLabels,
  type Env,
} from "./models";

/**
 * Each instance's NetworkPolicy in dev and prod, evaluated as the cluster would: which pods may
 * call it, and which it may reach. What the program adds to let the edge in: edge.test.ts.
 */

let runs: Record<Env, ProgramRun>;
let settings: Record<Env, Settings>;
beforeAll(async () => ({ runs, settings } = await renderStacks()), 60_000);

/** A pod somewhere in the cluster, as a NetworkPolicy sees it. */
interface Pod {
  namespace: string;
  labels: Labels;
  /** Named container ports, to resolve named NetworkPolicy ports. */
  ports?: Record<string, number>;
}

/**
 * NetworkPolicy semantics for one direction: whether `rules` let traffic between the policy's pods
 * and `other` on `port`/`protocol`. `namespaceLabels` are the labels namespaces have on the cluster.
 */
function admits(
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

describe.each(ENVS)("%s", (env) => {
  const run = () => runs[env];
  const namespaceLabels = (ns: string): Labels => {
    const declared = ofType(run(), T.namespace).find((r) => as<INamespace>(r).metadata?.name === ns);
    return {
      ...(declared ? as<INamespace>(declared).metadata?.labels : {}),
      "kubernetes.io/metadata.name": ns,
    };
  };

  describe.each(SIDES)("instance $key", ({ key, peer: peerKey }) => {
    test("NetworkPolicy: selected pods only take the peer, pingpong-c and the monitoring namespace, and reach DNS, istiod and the peer", () => {
      const { namespaces } = settings[env];
      const [namespace, peer] = [namespaces[key], namespaces[peerKey]];
      const policy = as<INetworkPolicy>(oneIn(run(), T.networkPolicy, namespace)).spec;
      const spec = must(policy, "NetworkPolicy spec");
      const self = deploymentOf(run(), namespace);
      const peerDeployment = deploymentOf(run(), peer);
      const selfPorts = namedPorts(containerOf(self));
      const peerPorts = namedPorts(containerOf(peerDeployment));
      expect(selects(spec.podSelector, templateLabels(self))).toBe(true);
      expect([...(spec.policyTypes ?? [])].sort()).toEqual(["Egress", "Ingress"]);

      const ingress = (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
      const egress = (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
      const into = (from: Pod, port: number, protocol: "TCP" | "UDP" = "TCP") =>
        admits(ingress, namespace, from, port, protocol, selfPorts, namespaceLabels);
      const outTo = (to: Pod, port: number, protocol: "TCP" | "UDP" = "TCP") =>
        admits(egress, namespace, to, port, protocol, to.ports ?? {}, namespaceLabels);

      const peerPod: Pod = { namespace: peer, labels: templateLabels(peerDeployment), ports: peerPorts };
      const testPod: Pod = { namespace: namespaces.c, labels: { run: "probe" } };
      const prometheus: Pod = {
        namespace: namespaces.monitoring,
        labels: { "app.kubernetes.io/name": "prometheus" },
      };
      const stranger: Pod = { namespace: "default", labels: templateLabels(peerDeployment) };
      const peerNeighbour: Pod = { namespace: peer, labels: { app: "something-else" } };

      expect(into(peerPod, selfPorts[PORTS.http.name])).toBe(true);
      expect(into(testPod, selfPorts[PORTS.http.name])).toBe(true);
      expect(into(stranger, selfPorts[PORTS.http.name])).toBe(false);
      expect(into(peerNeighbour, selfPorts[PORTS.http.name])).toBe(false);
      for (const port of [selfPorts[PORTS.metrics.name], 15020, 15090]) {
        expect({ port, prometheus: into(prometheus, port), test: into(testPod, port) }).toEqual({
          port,
          prometheus: true,
          test: false,
        });
      }
      expect(into(prometheus, selfPorts[PORTS.http.name])).toBe(false);

      const dns: Pod = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
      expect(outTo(dns, 53, "UDP")).toBe(true);
      expect(outTo(dns, 53, "TCP")).toBe(true);
      expect(outTo({ namespace: "istio-system", labels: { app: "istiod" } }, 15012)).toBe(true);
      expect(outTo(peerPod, peerPorts[PORTS.http.name])).toBe(true);
      expect(outTo(peerPod, peerPorts[PORTS.metrics.name])).toBe(false);
      expect(outTo(stranger, 443)).toBe(false);
      expect(outTo({ namespace: "kube-system", labels: { component: "kube-apiserver" } }, 53, "UDP")).toBe(
        false,
      );
    });
  });
});

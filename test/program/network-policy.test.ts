import { PORTS } from "../../components/workload";
import type { Settings } from "../../stacks/settings";
import { selects, type ProgramRun } from "../support/program";
import {
  ENVS,
  SIDES,
  containerOf,
  namedPorts,
  renderStacks,
  templateLabels,
  workloadOf,
  type Env,
} from "./models";
import { admits, instancePolicy, namespaceLabelsIn, type Pod } from "./netpol";
import { podLabelSets, workloadIn } from "./workloads";

/**
 * Each instance's NetworkPolicy in dev and prod, evaluated as the cluster would: which pods may
 * call it, and which it may reach. What the program adds to let the edge in: edge.test.ts.
 */

let runs: Record<Env, ProgramRun>;
let settings: Record<Env, Settings>;
beforeAll(async () => ({ runs, settings } = await renderStacks()), 60_000);

describe.each(ENVS)("%s", (env) => {
  const run = () => runs[env];
  const namespaceLabels = (ns: string) => namespaceLabelsIn(run())(ns);

  describe.each(SIDES)("instance $key", ({ key, peer: peerKey }) => {
    test("NetworkPolicy: selected pods only take the peer, pingpong-c and the monitoring namespace, and reach DNS, istiod and the peer", () => {
      const { namespaces } = settings[env];
      const [namespace, peer] = [namespaces[key], namespaces[peerKey]];
      const spec = instancePolicy(run(), namespace);
      const self = workloadOf(run(), namespace);
      const peerDeployment = workloadOf(run(), peer);
      const selfPorts = namedPorts(containerOf(self));
      const peerPorts = namedPorts(containerOf(peerDeployment));
      // Every pod of the instance, in whatever role a Rollout's controller gives it.
      for (const labels of podLabelSets(workloadIn(run(), namespace)))
        expect(selects(spec.podSelector, labels)).toBe(true);
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

import { DEFAULT_DENY_EGRESS, NetworkIsolation, type PodEgress } from "../../components/network-isolation";
import { invalidObjects } from "../support/k8s-validate";
import { byName, inNamespace, runComponent, type ProgramRun } from "../support/program";
import { T } from "../support/tokens";
import { egressAllowed, isolated, type Pod } from "../program/netpol";

/** The NetworkIsolation component alone: one namespace's default-deny egress and its pods' ways out. */

const NS = "team-a";
const PODS: PodEgress[] = [
  {
    name: "prober",
    podLabels: { role: "prober" },
    sidecar: true,
    egress: [{ to: [{ namespace: "team-b", podLabels: { app: "api" } }], port: 8080 }],
  },
  {
    name: "outsider",
    podLabels: { role: "outsider" },
    sidecar: false,
    egress: [{ cidrs: ["192.0.2.1/32"], port: 80 }],
  },
];
const render = (pods: PodEgress[] = PODS): Promise<ProgramRun> =>
  runComponent(() => {
    new NetworkIsolation("isolation", { namespace: NS, pods });
    return {};
  });

// Cluster DNS and istiod as their deployments label their pods (CoreDNS's `k8s-app: kube-dns`,
// istiod chart templates/deployment.yaml).
const DNS: Pod = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
const ISTIOD: Pod = { namespace: "istio-system", labels: { app: "istiod", istio: "pilot" } };
const API: Pod = { namespace: "team-b", labels: { app: "api" } };
const pod = (labels: Record<string, string>): Pod => ({ namespace: NS, labels });

let run: ProgramRun;
beforeAll(async () => (run = await render()));

test("a default-deny policy selects every pod of the namespace for egress, and no other direction", () => {
  expect(byName(run, T.networkPolicy, NS, DEFAULT_DENY_EGRESS).inputs.spec).toEqual({
    podSelector: {},
    policyTypes: ["Egress"],
  });
  const stranger = pod({ run: "debug" });
  expect(isolated(run, stranger, "Egress")).toBe(true);
  expect(isolated(run, stranger, "Ingress")).toBe(false);
  for (const [to, port] of [
    [DNS, 53],
    [ISTIOD, 15012],
    [API, 8080],
  ] as const)
    expect(egressAllowed(run, stranger, to, port)).toBe(false);
});

test("a pod with a sidecar reaches DNS, istiod and its destinations, on their ports only", () => {
  const prober = pod({ role: "prober" });
  expect(egressAllowed(run, prober, DNS, 53, "UDP")).toBe(true);
  expect(egressAllowed(run, prober, DNS, 53, "TCP")).toBe(true);
  expect(egressAllowed(run, prober, ISTIOD, 15012)).toBe(true);
  expect(egressAllowed(run, prober, ISTIOD, 15017)).toBe(false);
  expect(egressAllowed(run, prober, API, 8080)).toBe(true);
  expect(egressAllowed(run, prober, API, 9090)).toBe(false);
  expect(egressAllowed(run, prober, { namespace: "team-c", labels: { app: "api" } }, 8080)).toBe(false);
  expect(egressAllowed(run, prober, { ip: "192.0.2.1" }, 80)).toBe(false);
  // Egress only: who may call it is left to other policies.
  expect(isolated(run, prober, "Ingress")).toBe(false);
});

test("a pod without a sidecar has no business with istiod; an address is reached by its CIDR alone", () => {
  const outsider = pod({ role: "outsider" });
  expect(egressAllowed(run, outsider, DNS, 53, "UDP")).toBe(true);
  expect(egressAllowed(run, outsider, ISTIOD, 15012)).toBe(false);
  expect(egressAllowed(run, outsider, { ip: "192.0.2.1" }, 80)).toBe(true);
  expect(egressAllowed(run, outsider, { ip: "192.0.2.2" }, 80)).toBe(false);
  expect(egressAllowed(run, outsider, { ip: "192.0.2.1" }, 443)).toBe(false);
  expect(egressAllowed(run, outsider, API, 8080)).toBe(false);
});

test("one policy per kind of pod beside the default, each valid against the upstream schema", () => {
  expect(inNamespace(run, T.networkPolicy, NS)).toHaveLength(1 + PODS.length);
  expect(invalidObjects(run.resources)).toEqual([]);
});

test("two policies of one name are refused: the second would silently replace the first", async () => {
  await expect(render([PODS[0], { ...PODS[1], name: PODS[0].name }])).rejects.toThrow(
    /two NetworkPolicies named prober/,
  );
  await expect(render([{ ...PODS[0], name: DEFAULT_DENY_EGRESS }])).rejects.toThrow(/two NetworkPolicies/);
});

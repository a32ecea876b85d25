import type { Settings } from "../../stacks/settings";
import { chartPodLabels } from "../support/chart-services";
import { byName, inNamespace, nameOf, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference } from "../support/reference";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, release, type Json } from "./lookup";
import { allServices, serviceAt } from "./links";
import { appPods, egressAllowed } from "./netpol";
import { workloadsIn } from "./workloads";

/**
 * The egress gateway as the whole program wires it: the hosts the settings list, the identities of
 * the pingpong pods at its policy, and the pingpong pods' NetworkPolicies letting their sidecars reach
 * it. How the component routes each host: test/components/egress.test.ts.
 */

const VARIANTS = { dev: SHARED_VARIANTS.dev, prod: SHARED_VARIANTS.prod };
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const pingpongNamespaces = (s: Settings) => [s.namespaces.a, s.namespaces.b];
function egressOf(s: Settings): { namespace: string; hosts: string[] } {
  if (!s.egress.gateway) throw new Error("the stack should run an egress gateway");
  return s.egress.gateway;
}
/** The ServiceAccounts the pods of a namespace's workloads run as, as principals in `trustDomain`. */
function principalsOf(run: ProgramRun, namespace: string, trustDomain: string): string[] {
  const names = new Set<string>(
    workloadsIn(run, namespace).map((w) => w.inputs.spec.template.spec.serviceAccountName),
  );
  // Accounts the program declares: a principal of a missing one would admit nobody.
  const accounts = [...names].map((sa) => byName(run, T.serviceAccount, namespace, sa));
  return accounts.map((sa) => `${trustDomain}/ns/${namespace}/sa/${nameOf(sa)}`);
}
/** The routes that send the mesh's traffic for a host to the gateway: the `mesh` tls routes. */
const meshRoutes = (vs: Recorded): Json[] =>
  ((vs.inputs.spec.tls ?? []) as Json[]).filter((r) =>
    (r.match as Json[]).some((m) => m.gateways?.includes("mesh")),
  );

describe.each(["dev", "prod"] as const)("the egress gateway in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test("the hosts the mesh knows outside it are exactly the settings' egress hosts", () => {
    const { namespace, hosts } = egressOf(s());
    expect(hosts.length > 0).toBe(v === "dev");
    const entries = inNamespace(run(), T.serviceEntry, namespace).flatMap(
      (e) => e.inputs.spec.hosts as string[],
    );
    expect(entries.sort()).toEqual([...hosts].sort());
    const routed = inNamespace(run(), T.virtualService, namespace).flatMap(
      (vs) => vs.inputs.spec.hosts as string[],
    );
    expect(routed.sort()).toEqual([...hosts].sort());
  });

  test("its policy lets out exactly the pingpong pods' identities, to the listed hosts; with none, nobody", () => {
    const { namespace, hosts } = egressOf(s());
    const [policy] = inNamespace(run(), T.authorizationPolicy, namespace);
    expect(inNamespace(run(), T.authorizationPolicy, namespace)).toHaveLength(1);
    expect(policy.inputs.spec.action).toBe("ALLOW");
    const rules = (policy.inputs.spec.rules ?? []) as Json[];
    if (hosts.length === 0) {
      // An ALLOW policy without rules matches nothing.
      expect(rules).toEqual([]);
      return;
    }
    const principals = rules.flatMap((r) =>
      (r.from as Json[]).flatMap((f) => f.source.principals as string[]),
    );
    const td = s().mesh.trustDomain;
    expect(principals.sort()).toEqual(
      pingpongNamespaces(s())
        .flatMap((n) => principalsOf(run(), n, td))
        .sort(),
    );
    const sni = rules.flatMap((r) => (r.when as Json[]).flatMap((w) => w.values as string[]));
    expect([...new Set(sni)].sort()).toEqual([...hosts].sort());
  });
});

describeWithReference("the pingpong pods' way out through the egress gateway", () => {
  test.each(["dev", "prod"] as const)(
    "%s: each NetworkPolicy lets its pods reach the gateway's pods on the port the routes lead to, only with hosts",
    (v) => {
      const run = runs[v];
      const { namespace, hosts } = egressOf(settings[v]);
      const gateway = release(run, "gateway", namespace);
      const pods = { namespace, labels: chartPodLabels(gateway.inputs) };
      // The Gateway serves on the pods the release runs.
      for (const g of inNamespace(run, T.gateway, namespace))
        expect(g.inputs.spec.selector).toEqual(pods.labels);
      const destinations = inNamespace(run, T.virtualService, namespace).flatMap((vs) =>
        meshRoutes(vs).flatMap((r) => (r.route as Json[]).map((x) => x.destination)),
      );
      expect(destinations.length).toBe(hosts.length);
      const podPorts = destinations.map((d) => {
        // The gateway release's own Service, forwarding the route's port to a pod port.
        const service = serviceAt(run, d.host, d.port.number);
        expect(service?.createdBy).toBe(gateway.name);
        const forwarded = service!.ports.find((p) => p.port === d.port.number)!;
        return forwarded.targetPort ?? forwarded.port;
      });
      for (const from of pingpongNamespaces(settings[v]).flatMap((n) => appPods(run, n))) {
        const n = from.namespace;
        for (const port of podPorts)
          expect({ n, port, allowed: egressAllowed(run, from, pods, port) }).toEqual({
            n,
            port,
            allowed: true,
          });
        if (hosts.length === 0) {
          // Nothing routes there: the sidecars have no business with the gateway's pods on any port.
          const served = allServices(run).filter((x) => x.createdBy === gateway.name);
          expect(served).toHaveLength(1);
          for (const p of served[0].ports)
            expect(egressAllowed(run, from, pods, p.targetPort ?? p.port)).toBe(false);
        }
      }
    },
  );
});

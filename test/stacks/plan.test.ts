import { APP_TLS } from "../support/variants";
import { GATEWAY_RELEASE } from "../../components/istio";
import { serviceHost } from "../../components/workload";
import { INSTANCE_KEYS, plan, type Plan } from "../../stacks/plan";
import { parseSettings, type Settings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";

/** The plan is pure: these tests call it directly, with settings parsed from the real stack files. */
function planFor(stack: string, config: Record<string, string | number | boolean> = {}): [Plan, Settings] {
  const settings = parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
  return [plan(settings), settings];
}
const MODES = ["istio", "ingress", "app"] as const;

describe.each(["dev", "staging", "prod"])("the plan of %s", (stack) => {
  const [p, s] = planFor(stack);

  test("each instance pings its peer's Service, and is called by its peer", () => {
    for (const key of INSTANCE_KEYS) {
      const i = p.instances[key];
      const peer = p.instances[i.peer];
      expect(i.peer).not.toBe(key);
      expect(peer.peer).toBe(key);
      expect(new URL(i.target).hostname).toBe(peer.host);
      expect(new URL(i.target).protocol).toBe(`${p.edge.scheme}:`);
      expect(i.host).toBe(serviceHost(i.namespace));
      expect(i.callers).toContainEqual({ kind: "instance", instance: i.peer });
    }
  });

  test("namespaces: the two instances are injected, the outside namespace is not", () => {
    expect(p.namespaces.a).toEqual({ name: s.namespaces.a, sidecarInjection: true });
    expect(p.namespaces.b).toEqual({ name: s.namespaces.b, sidecarInjection: true });
    expect(p.namespaces.c).toEqual({ name: s.namespaces.c, sidecarInjection: false });
    for (const key of INSTANCE_KEYS) expect(p.instances[key].namespace).toBe(p.namespaces[key].name);
  });

  test("the network lets the outside namespace reach the port, so that the mesh is what refuses it", () => {
    for (const key of INSTANCE_KEYS) {
      const network = p.instances[key].network!;
      expect(network.callers.map((c) => c.namespace)).toContain(p.namespaces.c.name);
      expect(network.scrapers).toEqual([{ namespace: s.namespaces.monitoring }]);
      expect(network.pingTargets.map((t) => t.namespace)).toEqual([
        p.instances[p.instances[key].peer].namespace,
      ]);
    }
  });

  test("checks: a to b succeeds naming a; the outside namespace is reset by both", () => {
    // The mesh's own checks come first; the add-ons' (plan-addons.test.ts) follow, all from pingpong-a.
    const [ab, ...fromC] = p.checks.slice(0, 3);
    expect([ab, ...fromC].map((c) => [c.name, c.expect])).toEqual([
      ["a-to-b", "success"],
      ["c-to-a", "failure"],
      ["c-to-b", "failure"],
    ]);
    for (const c of p.checks.slice(3)) expect(c.from).toEqual({ instance: "a" });
    expect(ab).toMatchObject({ from: { instance: "a" }, to: "b", expectCallerOf: "a" });
    for (const c of fromC)
      expect(c).toMatchObject({ from: { outside: p.namespaces.c.name }, expectError: "ECONNRESET" });
  });

  test("the component plan carries the settings it is made of", () => {
    expect(p.istio.trustDomain).toBe(s.mesh.trustDomain);
    expect(p.istio.istiodReplicas).toEqual(s.mesh.istiodReplicas);
    expect(p.certificates.dnsNames).toEqual(p.edge.certificateHosts);
    expect(p.observability.monitorLabels).toEqual(s.observability.monitorLabels);
    expect(p.image).toMatchObject({ mode: "build", build: { tag: stack, registry: s.image.registry } });
  });
});

describe.each(MODES)("tlsTermination=%s", (mode) => {
  const [p, s] = planFor("dev", mode === "app" ? APP_TLS : { tlsTermination: mode });

  test("only pingpong-a is exposed: the edge calls a, never b", () => {
    const edgeCallers = (key: "a" | "b") => p.instances[key].callers.filter((c) => c.kind === "edge");
    expect(edgeCallers("b")).toEqual([]);
    if (p.edge.caller) expect(edgeCallers("a")).toEqual([{ kind: "edge", identity: p.edge.caller }]);
    else expect(edgeCallers("a")).toEqual([]);
  });

  test("who terminates HTTPS decides the scheme, the caller, HTTP rules and the certificate's names", () => {
    const serviceHosts = INSTANCE_KEYS.map((k) => p.instances[k].host);
    if (mode === "app") {
      expect(p.edge).toMatchObject({
        scheme: "https",
        httpRules: false,
        callerVisible: false,
        ingressUrls: [],
      });
      expect(p.edge.caller).toBeUndefined();
      expect(p.edge.certificateHosts).toEqual([...s.tls.hosts, ...serviceHosts]);
      expect(p.checks[0]).toMatchObject({ tls: true, expectCallerOf: undefined });
    } else {
      expect(p.edge).toMatchObject({ scheme: "http", httpRules: true, callerVisible: true });
      expect(p.edge.certificateHosts).toEqual(s.tls.hosts);
      expect(p.edge.ingressUrls.map((u) => new URL(u).hostname)).toEqual(s.tls.hosts);
      expect(p.edge.caller).toEqual(
        mode === "istio"
          ? { namespace: s.namespaces.gateway, serviceAccount: GATEWAY_RELEASE }
          : s.tls.ingressController,
      );
    }
  });
});

describe("switches", () => {
  test("no NetworkPolicies: no network rules", () => {
    const [p] = planFor("dev", { networkPolicy: false });
    for (const key of INSTANCE_KEYS) expect(p.instances[key].network).toBeUndefined();
  });

  test("no verification: no checks", () => {
    expect(planFor("dev", { verification: false })[0].checks).toEqual([]);
  });

  test("a canary only on the instances listed, with the settings' weights", () => {
    const [p, s] = planFor("dev", {
      canaryInstances: "b",
      canaryAnalysis: false,
      trafficPercentV1: 90,
      trafficPercentV2: 10,
    });
    expect(p.instances.a.canary).toBeUndefined();
    expect(p.instances.b.canary).toMatchObject({
      weights: { primary: 90, canary: 10 },
      header: s.traffic.canary!.header,
    });
  });
});

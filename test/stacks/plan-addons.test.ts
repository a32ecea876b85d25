import { EGRESS_RELEASE, gatewayPodLabels } from "../../components/istio";
import { plan, type CheckPlan, type Plan } from "../../stacks/plan";
import { UNLISTED_URL } from "../../stacks/plan-addons";
import { parseSettings, type Settings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";

/** What the plan makes of the add-ons' settings: checks, network rules, component arguments. Pure. */

type Config = Record<string, string | number | boolean>;
function planFor(stack: string, config: Config = {}): [Plan, Settings] {
  const s = parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
  return [plan(s), s];
}
const check = (p: Plan, name: string): CheckPlan | undefined => p.checks.find((c) => c.name === name);

describe("egress checks", () => {
  test("where the registry is the limit, pingpong-a proves an unlisted host is refused, by 502 or a reset", () => {
    const [p] = planFor("prod");
    const c = check(p, "a-to-unlisted")!;
    expect(c).toMatchObject({ from: { instance: "a" }, expect: "failure", to: { url: UNLISTED_URL } });
    expect(c.expectError?.split("|").sort()).toEqual(["ECONNRESET", "HTTP 502"]);
    // TEST-NET-1 (RFC 5737, 192.0.2.0/24): an address without DNS that no network routes.
    expect(new URL(UNLISTED_URL).hostname.startsWith("192.0.2.")).toBe(true);
  });

  test("where unknown hosts pass, nothing is refused, so there is no such check", () => {
    const [p, s] = planFor("dev");
    expect(s.egress.outboundTrafficPolicy).toBe("ALLOW_ANY");
    expect(check(p, "a-to-unlisted")).toBeUndefined();
  });

  test("each listed host is reached from pingpong-a only when the stack says the cluster has internet", () => {
    const [withInternet, s] = planFor("dev", {
      egressHosts: "example.com,example.org",
      internetAccess: true,
    });
    const reached = withInternet.checks.filter((c) => c.expect === "reached");
    expect(reached.map((c) => new URL((c.to as { url: string }).url).hostname)).toEqual(
      s.egress.gateway?.hosts,
    );
    const [offline] = planFor("dev", { egressHosts: "example.com", internetAccess: false });
    expect(offline.checks.filter((c) => c.expect === "reached")).toEqual([]);
  });
});

describe("the burst check", () => {
  test.each(["dev", "prod"])(
    "%s: more requests than every pod of b can admit, within the caller's pools",
    (stack) => {
      const [p, s] = planFor(stack);
      const burst = check(p, "a-to-b-burst")!;
      expect(burst).toMatchObject({ from: { instance: "a" }, to: "b", expect: "rate-limited" });
      const w = s.workload;
      const pods = w.autoscaling ? w.autoscaling.maxReplicas : w.replicas;
      const admitted = pods * (s.rateLimit!.burst + s.rateLimit!.requestsPerSecond);
      expect(burst.burst!.requests).toBeGreaterThan(admitted);
      const pool = s.traffic.resilience.connectionPool;
      expect(burst.burst!.concurrency).toBeLessThanOrEqual(
        Math.min(pool.maxConnections, pool.maxPendingRequests),
      );
    },
  );

  test("no limit, no burst", () => {
    const [p] = planFor("dev", { rateLimitRequestsPerSecond: 0 });
    expect(check(p, "a-to-b-burst")).toBeUndefined();
    expect(p.addons.rateLimit).toBeUndefined();
  });

  test("the ingress gateway is limited only when it is the edge", () => {
    const limited = (config: Config) => planFor("dev", config)[0].addons.rateLimit?.targets.map((t) => t.on);
    expect(limited({})).toEqual(["a", "b", "gateway"]);
    expect(limited({ tlsTermination: "ingress" })).toEqual(["a", "b"]);
  });
});

describe("where the pods' sidecars may send", () => {
  test("to the egress gateway's pods, labelled as the gateway chart labels its release", () => {
    const [p, s] = planFor("dev");
    const rule = p.instances.a.network!.egress.find(
      (r) => r.to?.[0].namespace === s.egress.gateway!.namespace,
    );
    expect(rule?.to?.[0].podLabels).toEqual(gatewayPodLabels(EGRESS_RELEASE));
  });

  test("no egress gateway rule without listed hosts", () => {
    const [p, s] = planFor("dev", { egressHosts: "" });
    const namespaces = p.instances.a.network!.egress.flatMap((r) => r.to ?? []).map((t) => t.namespace);
    expect(namespaces).not.toContain(s.egress.gateway!.namespace);
  });

  test("to the Jaeger the stack installs, or to the external collector's port in its Service's namespace", () => {
    const [dev, ds] = planFor("dev");
    const jaeger = ds.observability.tracing as { namespace: string };
    expect(dev.instances.b.network!.egress.some((r) => r.to?.[0].namespace === jaeger.namespace)).toBe(true);
    const [prod, ps] = planFor("prod");
    const collector = (ps.observability.tracing as { collector: { host: string; port: number } }).collector;
    // otel-collector.observability.svc.cluster.local: a cluster Service, in observability.
    expect(prod.instances.b.network!.egress).toContainEqual({
      to: [{ namespace: collector.host.split(".")[1] }],
      port: collector.port,
    });
    // Outside the cluster a NetworkPolicy cannot name the host: its port, to any address.
    const [outside] = planFor("prod", { tracingCollector: "otel.example.com:4317" });
    expect(outside.instances.b.network!.egress).toContainEqual({ port: 4317 });
    // istiod names the external collector itself; the installed Jaeger's Service comes from its component.
    expect(prod.istio.tracing).toEqual(collector);
    expect(dev.istio.tracing).toBeUndefined();
  });
});

test("Kiali and the Istio dashboards are dev's; prod turns on nothing that needs a UI", () => {
  const [dev] = planFor("dev");
  const [prod] = planFor("prod");
  expect(dev.addons.kiali).toBeDefined();
  expect(dev.addons.istioDashboards).toBe(true);
  expect(prod.addons.kiali).toBeUndefined();
  expect(prod.addons.istioDashboards).toBe(false);
  expect(prod.addons.tracing?.jaeger).toBeUndefined();
});

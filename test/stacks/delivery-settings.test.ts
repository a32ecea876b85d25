import { plan } from "../../stacks/plan";
import { parseSettings, type Settings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { settingsError } from "../support/variants";

/** Settings of the add-ons (tracing, Kiali, egress, rate limits, load balancing, delivery) and their rules. */

type Config = Record<string, string | number | boolean>;
const settingsOf = (config: Config, stack = "dev"): Settings =>
  parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
const problems = (config: Config, stack = "dev"): string[] =>
  settingsError({ ...stackConfig(stack), ...config }, stack).problems;
/** The one problem of a config, which must name `key` and its value. */
function oneProblem(config: Config, key: string, stack = "dev"): string {
  const found = problems(config, stack);
  expect(found).toHaveLength(1);
  expect(found[0].startsWith(`pingpong:${key}=`)).toBe(true);
  return found[0];
}

describe("tracing", () => {
  test("dev installs Jaeger; staging and prod send to the collector their stack files name", () => {
    expect(settingsOf({}).observability.tracing.backend).toBe("jaeger");
    for (const stack of ["staging", "prod"]) {
      const t = settingsOf({}, stack).observability.tracing;
      const [host, port] = String(stackConfig(stack)["pingpong:tracingCollector"]).split(":");
      expect(t).toMatchObject({ backend: "external", collector: { host, port: Number(port) } });
    }
  });

  test("an external backend needs a collector, and a collector needs the external backend", () => {
    expect(oneProblem({ tracing: "external" }, "tracingCollector")).toContain("<unset>");
    expect(oneProblem({ tracingCollector: "otel.example.org:4317" }, "tracingCollector")).toContain("jaeger");
    expect(oneProblem({ tracing: "external", tracingCollector: "otel:4317" }, "tracingCollector")).toContain(
      "host:port",
    );
    expect(
      oneProblem({ tracing: "external", tracingCollector: "otel.example.org:99999" }, "tracingCollector"),
    );
  });

  test.each([
    ["otel:4317", 'the host "otel" is not a lowercase DNS name with a dot'],
    ["Otel.Example.org:4317", 'the host "Otel.Example.org" is not a lowercase DNS name with a dot'],
    [":4317", 'the host "" is not a lowercase DNS name with a dot'],
    ["otel.example.org", "the port is missing"],
    ["otel.example.org:", "the port is missing"],
    ["otel.example.org:99999", "the port 99999 is not from 1 to 65535"],
    ["otel.example.org:0", "the port 0 is not from 1 to 65535"],
    ["otel.example.org:otlp", 'the port "otlp" is not a number from 1 to 65535'],
    ["http://otel.example.org:4317", "no scheme (http://): host:port only"],
  ])("collector %j: the problem says what is wrong (%s)", (collector, what) => {
    expect(problems({ tracing: "external", tracingCollector: collector })).toEqual([
      `pingpong:tracingCollector=${JSON.stringify(collector)}: expected host:port, e.g. otel-collector.observability.svc.cluster.local:4317; ${what}`,
    ]);
  });

  test("a collector at an address with a dotted host and a port from 1 to 65535 is accepted", () => {
    for (const [collector, host, port] of [
      ["otel.example.org:1", "otel.example.org", 1],
      ["10.0.0.5:65535", "10.0.0.5", 65535],
    ] as const) {
      expect(settingsOf({ tracing: "external", tracingCollector: collector }).observability.tracing).toEqual({
        backend: "external",
        collector: { host, port },
        samplingPercent: 100,
      });
    }
  });

  test("sampling without a backend would go nowhere", () => {
    expect(oneProblem({ tracing: "none", traceSamplingPercent: 5 }, "traceSamplingPercent")).toContain(
      "none",
    );
    expect(settingsOf({ tracing: "none", traceSamplingPercent: 0 }).observability.tracing).toEqual({
      backend: "none",
    });
  });
});

describe("what needs the sidecars to see HTTP is refused when the app terminates TLS", () => {
  test.each([
    ["tracing", { traceSamplingPercent: 0, rateLimitRequestsPerSecond: 0, canaryAnalysis: false }],
    ["rateLimitRequestsPerSecond", { tracing: "none", traceSamplingPercent: 0, canaryAnalysis: false }],
    ["canaryAnalysis", { tracing: "none", traceSamplingPercent: 0, rateLimitRequestsPerSecond: 0 }],
  ] as const)("%s", (key, rest) => {
    expect(oneProblem({ tlsTermination: "app", ...rest }, key)).toContain("tlsTermination");
  });
});

describe("add-ons that read the installed Prometheus and Grafana", () => {
  test.each(["kiali", "istioDashboards", "canaryAnalysis"])("%s needs monitoring=install", (key) => {
    const off = { kiali: false, istioDashboards: false, canaryAnalysis: false };
    expect(oneProblem({ ...off, monitoring: "none", [key]: true }, key)).toContain("monitoring");
  });
});

describe("egress", () => {
  test("dev passes unknown hosts on, staging and prod refuse them; every stack runs the egress gateway", () => {
    expect(settingsOf({}).egress.outboundTrafficPolicy).toBe("ALLOW_ANY");
    for (const stack of ["staging", "prod"]) {
      expect(settingsOf({}, stack).egress.outboundTrafficPolicy).toBe("REGISTRY_ONLY");
    }
    expect(settingsOf({ egressHosts: "api.example.org, example.net" }).egress.gateway?.hosts).toEqual([
      "api.example.org",
      "example.net",
    ]);
  });

  test("hosts need the gateway, and must be host names", () => {
    expect(oneProblem({ egressGateway: false }, "egressHosts")).toContain("egressGateway");
    expect(oneProblem({ egressHosts: "*.example.org" }, "egressHosts")).toContain('"*.example.org"');
  });

  test("each host once, and no two hosts whose objects would share a name: refused with the settings", () => {
    expect(oneProblem({ egressHosts: "example.com,api.example.org,example.com" }, "egressHosts")).toContain(
      '"example.com" is listed twice',
    );
    // a-b.example.com and a.b.example.com both name their subset, port and objects a-b-example-com.
    expect(oneProblem({ egressHosts: "a-b.example.com,a.b.example.com" }, "egressHosts")).toContain(
      '"a-b.example.com" and "a.b.example.com" would share the name a-b-example-com',
    );
  });
});

describe("rate limits", () => {
  test("the bucket holds at least a second's refill", () => {
    expect(oneProblem({ rateLimitRequestsPerSecond: 50, rateLimitBurst: 10 }, "rateLimitBurst")).toContain(
      "50",
    );
  });

  test("a burst set while the rate is 0 (no limit) is refused: nothing reads it", () => {
    expect(problems({ rateLimitRequestsPerSecond: 0, rateLimitBurst: 50 })).toEqual([
      "pingpong:rateLimitBurst=50: expected unset while pingpong:rateLimitRequestsPerSecond is 0: no rate limit reads it",
    ]);
    // The environment's default burst is not the stack's choice.
    expect(settingsOf({ rateLimitRequestsPerSecond: 0 }).rateLimit).toBeUndefined();
  });

  test("the pingers alone stay under the limit, counting every pod that may ping one pod", () => {
    // 3 autoscaled pods at most plus 2 canary pods, each pinging every 100 ms: 50 a second.
    const busy = {
      autoscaling: true,
      hpaMaxReplicas: 3,
      canaryInstances: "a",
      canaryReplicas: 2,
      tickMs: 100,
      pingTimeoutMs: 100,
    };
    expect(
      oneProblem(
        { ...busy, rateLimitRequestsPerSecond: 50, rateLimitBurst: 100 },
        "rateLimitRequestsPerSecond",
      ),
    ).toContain("50");
    expect(settingsOf({ ...busy, rateLimitRequestsPerSecond: 51, rateLimitBurst: 100 }).rateLimit).toEqual({
      requestsPerSecond: 51,
      burst: 100,
    });
    expect(settingsOf({ ...busy, rateLimitRequestsPerSecond: 0 }).rateLimit).toBeUndefined();
  });
});

describe("load balancing", () => {
  test("a simple policy, or a consistent hash on the header given, and nothing half-set", () => {
    expect(settingsOf({ loadBalancer: "ROUND_ROBIN" }).traffic.loadBalancer).toEqual({
      simple: "ROUND_ROBIN",
    });
    expect(
      settingsOf({ loadBalancer: "CONSISTENT_HASH", loadBalancerHashHeader: "x-user" }).traffic.loadBalancer,
    ).toEqual({ consistentHash: { httpHeaderName: "x-user" } });
    expect(oneProblem({ loadBalancer: "CONSISTENT_HASH" }, "loadBalancerHashHeader")).toContain("<unset>");
    expect(oneProblem({ loadBalancerHashHeader: "x-user" }, "loadBalancerHashHeader")).toContain(
      "CONSISTENT_HASH",
    );
  });

  test("every instance's traffic gets the policy", () => {
    const p = plan(settingsOf({ loadBalancer: "ROUND_ROBIN" }));
    for (const i of Object.values(p.instances))
      expect(i.traffic.loadBalancer).toEqual({ simple: "ROUND_ROBIN" });
  });
});

describe("canary analysis", () => {
  test("on in dev only, for pingpong-b", () => {
    expect(settingsOf({}).delivery?.instance).toBe("b");
    for (const stack of ["staging", "prod"]) expect(settingsOf({}, stack).delivery).toBeUndefined();
  });

  test("a fixed-weight canary of the same instance would fight the controller over its routes", () => {
    expect(oneProblem({ canaryInstances: "b" }, "canaryInstances")).toContain("canaryAnalysis");
    expect(settingsOf({ canaryInstances: "a" }).traffic.canary?.instances).toEqual(["a"]);
  });
});

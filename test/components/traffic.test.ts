import * as pulumi from "@pulumi/pulumi";
import { Traffic, type LoadBalancer, type TrafficArgs } from "../../components/traffic";
import { PORTS, selectorLabels } from "../../components/workload";
import { plan, type InstanceKey } from "../../stacks/plan";
import { parseSettings } from "../../stacks/settings";
import {
  engineConfig,
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { specErrors } from "../program/crd-schema";
import { describeWithReference } from "../support/reference";
import { stackConfig } from "../support/stack-files";
import { T } from "../support/tokens";

/**
 * The Traffic component alone, with the arguments the program gives it for a stack and config: the
 * instance's plan (version split and resilience), its namespace and host. How it meets the Service,
 * the Deployments and the ingress: test/program/traffic.test.ts and canary.test.ts.
 */

type Json = Recorded["inputs"];
type Config = Record<string, string | number>;
type Args = Omit<TrafficArgs, "controlPlane">;

/** What index.ts passes to the Traffic of instance `key`, for a stack and config. */
function argsFor(stack: string, config: Config, key: InstanceKey = "b"): Args {
  // Canary analysis (on by default in dev) excludes the fixed canaries these tests ask for.
  const s = parseSettings(engineConfig({ ...stackConfig(stack), canaryAnalysis: false, ...config }), stack);
  const instance = plan(s).instances[key];
  // The program passes the Service's namespace and host: the plan's, once the Service exists.
  return { ...instance.traffic, namespace: instance.namespace, host: instance.host };
}

interface Rendered {
  run: ProgramRun;
  rule: Json;
  vs: Json;
  /** The records of both custom resources. */
  both: Recorded[];
}

/** Stands in for Istio's releases: the custom resources must wait for them. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

async function render(args: Args): Promise<Rendered> {
  const run = await runComponent(() => {
    const controlPlane = [new ControlPlane("istiod")];
    new Traffic("traffic", { ...args, controlPlane });
    return {};
  });
  const only = (type: string) => {
    const found = ofType(run, type);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const [rule, vs] = [only(T.destinationRule), only(T.virtualService)];
  return { run, rule: rule.inputs.spec, vs: vs.inputs.spec, both: [rule, vs] };
}

const duration = (ms: number) => `${ms / 1000}s`;
const destination = (args: Args, subset: string) => ({
  host: args.host,
  subset,
  port: { number: PORTS.http.port },
});
const routeByName = (vs: Json, name: string): Json => {
  const found = (vs.http as Json[]).filter((r) => r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

describe.each(["dev", "prod"])("without a canary, with the %s resilience", (stack) => {
  const args = argsFor(stack, {});
  let r: Rendered;
  beforeAll(async () => (r = await render(args)));

  test("a DestinationRule and a mesh VirtualService pingpong in the namespace, after the control plane", () => {
    for (const cr of r.both) {
      expect({ name: nameOf(cr), namespace: namespaceOf(cr) }).toEqual({
        name: "pingpong",
        namespace: args.namespace,
      });
      expect(cr.dependsOn).toContain("istiod");
    }
    expect(r.rule.host).toBe(args.host);
    expect(r.vs.hosts).toEqual([args.host]);
    // A mesh route: bound to no gateway, so it applies to the sidecars.
    expect(r.vs.gateways).toBeUndefined();
    // No other manager writes them: no forced apply.
    for (const cr of r.both) expect(cr.inputs.metadata.annotations).toBeUndefined();
  });

  test("the only subset is the primary version, selecting its pods", () => {
    expect(args.canary).toBeUndefined();
    expect(r.rule.subsets).toEqual([
      { name: args.primaryVersion, labels: selectorLabels(args.primaryVersion) },
    ]);
  });

  test("one route: all the weight to the primary subset on the http port, nothing mirrored, no fault", () => {
    expect(r.vs.http).toHaveLength(1);
    const [route] = r.vs.http;
    expect(route.match).toBeUndefined();
    expect(route.route).toEqual([{ destination: destination(args, args.primaryVersion), weight: 100 }]);
    expect(route).not.toHaveProperty("mirror");
    expect(route).not.toHaveProperty("fault");
  });

  test("timeout and retries of the route are the resilience settings, as Istio durations", () => {
    const { timeoutMs, retries } = args.resilience;
    expect(retries.perTryTimeoutMs).toBeLessThanOrEqual(timeoutMs);
    expect(r.vs.http[0].timeout).toBe(duration(timeoutMs));
    expect(r.vs.http[0].retries).toEqual({
      attempts: retries.attempts,
      perTryTimeout: duration(retries.perTryTimeoutMs),
      retryOn: retries.retryOn,
    });
  });

  test("outlier detection and the connection pool are the resilience settings", () => {
    const { outlier, connectionPool } = args.resilience;
    expect(r.rule.trafficPolicy).toEqual({
      ...(args.loadBalancer ? { loadBalancer: args.loadBalancer } : {}),
      outlierDetection: {
        consecutive5xxErrors: outlier.consecutive5xxErrors,
        interval: `${outlier.intervalSeconds}s`,
        baseEjectionTime: `${outlier.baseEjectionSeconds}s`,
        maxEjectionPercent: outlier.maxEjectionPercent,
      },
      connectionPool: {
        tcp: { maxConnections: connectionPool.maxConnections },
        http: {
          http1MaxPendingRequests: connectionPool.maxPendingRequests,
          maxRequestsPerConnection: connectionPool.maxRequestsPerConnection,
        },
      },
    });
  });
});

describe("a canary of pingpong-b, 80/20 with 10% mirrored", () => {
  const config = { canaryInstances: "b", trafficPercentV1: 80, trafficPercentV2: 20, mirrorPercent: 10 };
  const args = argsFor("dev", config);
  const canary = args.canary!;
  let r: Rendered;
  beforeAll(async () => (r = await render(args)));

  test("the plan gives pingpong-b the canary with the configured weights, and pingpong-a none", () => {
    expect(canary).toMatchObject({ weights: { primary: 80, canary: 20 }, mirrorPercent: 10 });
    expect(canary.version).not.toBe(args.primaryVersion);
    expect(argsFor("dev", config, "a").canary).toBeUndefined();
  });

  test("a subset per version, each selecting its own version's pods", () => {
    expect(r.rule.subsets).toEqual(
      [args.primaryVersion, canary.version].map((v) => ({ name: v, labels: selectorLabels(v) })),
    );
  });

  test("testers first: the canary header with the canary's version goes to the canary only", () => {
    const testers = r.vs.http[0];
    expect(testers).toBe(routeByName(r.vs, "canary-testers"));
    expect(testers.match).toEqual([{ headers: { [canary.header]: { exact: canary.version } } }]);
    expect(testers.route).toEqual([{ destination: destination(args, canary.version) }]);
    expect(testers).not.toHaveProperty("mirror");
  });

  test("then the weighted split, summing to 100, mirroring to the canary", () => {
    expect(r.vs.http).toHaveLength(2);
    const split = routeByName(r.vs, "default");
    expect(split.match).toBeUndefined();
    expect(split.route).toEqual([
      { destination: destination(args, args.primaryVersion), weight: canary.weights.primary },
      { destination: destination(args, canary.version), weight: canary.weights.canary },
    ]);
    expect(split.route.reduce((sum: number, x: { weight: number }) => sum + x.weight, 0)).toBe(100);
    expect(split.mirror).toEqual(destination(args, canary.version));
    expect(split.mirrorPercentage).toEqual({ value: canary.mirrorPercent });
  });

  test("both routes have the same timeout and retries", () => {
    const [testers, split] = r.vs.http;
    expect(testers.timeout).toBe(duration(args.resilience.timeoutMs));
    expect({ timeout: testers.timeout, retries: testers.retries }).toEqual({
      timeout: split.timeout,
      retries: split.retries,
    });
  });

  test("the instance without the canary keeps everything on its primary version", async () => {
    const other = argsFor("dev", config, "a");
    const { vs, rule } = await render(other);
    expect(rule.subsets.map((x: Json) => x.name)).toEqual([other.primaryVersion]);
    expect(vs.http).toHaveLength(1);
    expect(vs.http[0].route).toEqual([
      { destination: destination(other, other.primaryVersion), weight: 100 },
    ]);
  });
});

describe("other canaries", () => {
  test("without mirrorPercent, the split mirrors nothing", async () => {
    const { vs } = await render(
      argsFor("dev", { canaryInstances: "b", trafficPercentV1: 80, trafficPercentV2: 20 }),
    );
    const split = routeByName(vs, "default");
    expect(split.route.map((x: { weight: number }) => x.weight)).toEqual([80, 20]);
    expect(split).not.toHaveProperty("mirror");
    expect(split).not.toHaveProperty("mirrorPercentage");
  });

  test("blue-green 0/100 routes everything to the canary, testers too", async () => {
    const args = argsFor("dev", { canaryInstances: "b", trafficPercentV1: 0, trafficPercentV2: 100 });
    const { vs, rule } = await render(args);
    const canary = args.canary!.version;
    expect(routeByName(vs, "canary-testers").route.map((x: Json) => x.destination.subset)).toEqual([canary]);
    const weights = Object.fromEntries(
      (routeByName(vs, "default").route as Json[]).map((x) => [x.destination.subset, x.weight]),
    );
    expect(weights).toEqual({ [args.primaryVersion]: 0, [canary]: 100 });
    // The primary subset stays, ready to switch back.
    expect(rule.subsets.map((x: Json) => x.name)).toEqual([args.primaryVersion, canary]);
  });
});

describe("fault injection", () => {
  test("delay and abort on every route, at the configured percentages and values", async () => {
    const faults = { faultDelayPercent: 5, faultDelayMs: 1500, faultAbortPercent: 1, faultAbortStatus: 502 };
    const args = argsFor("prod", {
      ...faults,
      canaryInstances: "b",
      trafficPercentV1: 90,
      trafficPercentV2: 10,
    });
    const { vs } = await render(args);
    expect(vs.http).toHaveLength(2);
    for (const route of vs.http) {
      expect(route.fault).toEqual({
        delay: { percentage: { value: 5 }, fixedDelay: "1.5s" },
        abort: { percentage: { value: 1 }, httpStatus: 502 },
      });
    }
  });

  test("only the delay when only the delay is set, for the configured delay", async () => {
    const args = argsFor("dev", { faultDelayPercent: 50 });
    const { vs } = await render(args);
    for (const route of vs.http) {
      expect(route.fault).toEqual({
        delay: { percentage: { value: 50 }, fixedDelay: duration(args.resilience.faults.delayMs) },
      });
    }
  });
});

describe("load balancing", () => {
  const base = argsFor("dev", {});
  const hash = { httpHeaderName: "x-user" };
  const simple = (["ROUND_ROBIN", "LEAST_REQUEST"] as const).map((p): LoadBalancer => ({ simple: p }));
  const policies: LoadBalancer[] = [...simple, { consistentHash: hash }];
  const ruleWith = async (loadBalancer?: LoadBalancer) => (await render({ ...base, loadBalancer })).rule;

  test.each(policies)("%j is the DestinationRule's loadBalancer, beside outlier detection", async (lb) => {
    const { trafficPolicy } = await ruleWith(lb);
    expect(trafficPolicy.loadBalancer).toEqual(lb);
    expect(trafficPolicy.outlierDetection.interval).toBe(`${base.resilience.outlier.intervalSeconds}s`);
  });

  test("without a policy the rule names none (Istio picks its default); the plan passes the configured one", async () => {
    expect((await ruleWith(undefined)).trafficPolicy).not.toHaveProperty("loadBalancer");
    const hashed = argsFor("dev", { loadBalancer: "CONSISTENT_HASH", loadBalancerHashHeader: "x-session" });
    expect(hashed.loadBalancer).toEqual({ consistentHash: { httpHeaderName: "x-session" } });
  });

  describeWithReference("against the DestinationRule schema", () => {
    test.each(policies)("%j is valid", async (lb) => {
      expect(specErrors("networking.istio.io/v1", "DestinationRule", await ruleWith(lb))).toEqual([]);
    });

    test("the schema refuses simple and consistentHash together, so the check can fail", () => {
      const both = {
        host: "h",
        trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN", consistentHash: hash } },
      };
      expect(specErrors("networking.istio.io/v1", "DestinationRule", both)).not.toEqual([]);
    });
  });
});

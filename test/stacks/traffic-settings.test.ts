import { CANARY_VERSION, PRIMARY_VERSION } from "../../components/workload";
import { INSTANCE_KEYS, plan, type InstancePlan, type Plan } from "../../stacks/plan";
import { parseSettings, type Settings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { settingsError } from "../support/variants";
import { stackConfig } from "../support/stack-files";

/** Canary and resilience settings, and what the plan makes of them: pure, no program is run. */

type Config = Record<string, string | number>;
const CANARY_HEADER = "x-pingpong-version";
const CANARY_IMAGE = "ghcr.io/acme/pingpong:v2-rc1";

/** Fixed-weight canaries of pingpong-b: dev's canary analysis, which would own its routes, is off. */
const FIXED_WEIGHTS = { canaryAnalysis: false };
const settingsOf = (config: Config, stack = "dev"): Settings =>
  parseSettings(engineConfig({ ...stackConfig(stack), ...FIXED_WEIGHTS, ...config }), stack);
const planOf = (config: Config, stack = "dev"): Plan => plan(settingsOf(config, stack));

const problems = (config: Config, stack = "dev"): string[] =>
  settingsError({ ...stackConfig(stack), ...FIXED_WEIGHTS, ...config }, stack).problems;

describe("canary settings: one problem naming the key and the rule", () => {
  test("weights that do not sum to 100 name both keys and the sum", () => {
    const [p, ...rest] = problems({ canaryInstances: "b", trafficPercentV1: 80, trafficPercentV2: 30 });
    expect(rest).toEqual([]);
    expect(p).toBe(
      "pingpong:trafficPercentV2=30: expected pingpong:trafficPercentV1 + pingpong:trafficPercentV2 = 100 (now 80 + 30 = 110)",
    );
    expect(problems({ canaryInstances: "b", trafficPercentV1: 50, trafficPercentV2: 20 })).toEqual([
      "pingpong:trafficPercentV2=20: expected pingpong:trafficPercentV1 + pingpong:trafficPercentV2 = 100 (now 50 + 20 = 70)",
    ]);
  });

  test("a v2 weight without canaryInstances: no Deployment runs v2", () => {
    expect(problems({ trafficPercentV1: 80, trafficPercentV2: 20 })).toEqual([
      "pingpong:trafficPercentV2=20: expected 0 while pingpong:canaryInstances is empty: no Deployment runs v2",
    ]);
  });

  test("mirroring without canaryInstances: no Deployment runs v2", () => {
    expect(problems({ mirrorPercent: 10 }, "prod")).toEqual([
      "pingpong:mirrorPercent=10: expected 0 while pingpong:canaryInstances is empty: no Deployment runs v2",
    ]);
  });

  test.each(["c", "a,c", "a,a", "A"])("canaryInstances %j is refused: only a and b", (instances) => {
    expect(problems({ canaryInstances: instances, trafficPercentV1: 80, trafficPercentV2: 20 })).toEqual([
      `pingpong:canaryInstances=${JSON.stringify(instances)}: expected empty or a comma-separated list of a, b`,
    ]);
  });

  test("a per-try timeout above the route timeout", () => {
    expect(problems({ retryPerTryTimeoutMs: 5000 })).toEqual([
      "pingpong:retryPerTryTimeoutMs=5000: expected at most pingpong:routeTimeoutMs (3000)",
    ]);
    expect(problems({ routeTimeoutMs: 500 }, "prod")).toEqual([
      "pingpong:retryPerTryTimeoutMs=800: expected at most pingpong:routeTimeoutMs (500)",
    ]);
  });

  test.each([
    ["connect-failur", ['"connect-failur"']],
    ["5xx,retry-on-everything,503,999", ['"retry-on-everything"', '"999"']],
    ["5xx, reset", ['" reset"']],
    ["5XX", ['"5XX"']],
    ["5xx,,reset", ['""']],
    // Istio takes a number as a status code only when Go's net/http has a text for it.
    ["599", ['"599"']],
  ])("retryOn %j: the conditions Istio does not know are named", (retryOn, unknown) => {
    const [p, ...rest] = problems({ retryOn });
    expect(rest).toEqual([]);
    expect(p).toBe(
      `pingpong:retryOn=${JSON.stringify(retryOn)}: expected comma-separated retry conditions Istio accepts (x-envoy-retry-on: 5xx, gateway-error, reset, reset-before-request, connect-failure, envoy-ratelimited, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, http3-post-connect-failure; x-envoy-retry-grpc-on: cancelled, deadline-exceeded, internal, resource-exhausted, unavailable; or an HTTP status code such as 503); unknown: ${unknown.join(", ")}`,
    );
  });

  test("every retry condition Istio accepts parses, status codes included", () => {
    const retryOn =
      "5xx,gateway-error,reset,reset-before-request,connect-failure,envoy-ratelimited,retriable-4xx," +
      "refused-stream,retriable-status-codes,retriable-headers,http3-post-connect-failure," +
      "cancelled,deadline-exceeded,internal,resource-exhausted,unavailable,503,429,418";
    expect(settingsOf({ retryOn }).traffic.resilience.retries.retryOn).toBe(retryOn);
  });

  test.each([700, 399])("fault abort status %d is refused", (status) => {
    expect(problems({ faultAbortStatus: status })).toEqual([
      `pingpong:faultAbortStatus=${status}: expected an HTTP error status from 400 to 599`,
    ]);
  });

  test("valid canaries parse: a,b with a blue-green switch", () => {
    const s = settingsOf({ canaryInstances: "a, b", trafficPercentV1: 0, trafficPercentV2: 100 });
    expect(s.traffic.canary).toEqual({
      instances: ["a", "b"],
      image: undefined,
      replicas: 1,
      weights: { primary: 0, canary: 100 },
      header: CANARY_HEADER,
      mirrorPercent: 0,
    });
  });
});

describe.each(["dev", "prod"])("resilience defaults of %s", (stack) => {
  const r = settingsOf({}, stack).traffic.resilience;

  test("the stack's defaults are distinct per environment", () => {
    expect(r.timeoutMs).toBe(stack === "dev" ? 3000 : 2000);
    expect(r.outlier.maxEjectionPercent).toBe(stack === "dev" ? 100 : 50);
    expect(r.connectionPool.maxConnections).toBe(stack === "dev" ? 100 : 200);
  });

  test("no fault injection by default", () => {
    expect(r.faults.delayPercent).toBe(0);
    expect(r.faults.abortPercent).toBe(0);
  });
});

describe("the canary's Deployment side, as the plan gives it", () => {
  test("v2 beside v1 on the instances listed only, with its own replicas", () => {
    const p = planOf(
      { canaryInstances: "a,b", trafficPercentV1: 90, trafficPercentV2: 10, canaryReplicas: 2 },
      "prod",
    );
    for (const key of INSTANCE_KEYS) {
      expect(p.instances[key].canary).toMatchObject({ version: CANARY_VERSION, replicas: 2 });
      expect(CANARY_VERSION).not.toBe(PRIMARY_VERSION);
    }
    // v1 keeps what it has without a canary: the autoscaler and the budget are the workload's.
    // The burst check alone grows: the canary's pods have rate-limit buckets of their own.
    const { instances: _withCanary, checks, ...rest } = p;
    const { instances: _without, checks: plainChecks, ...plain } = planOf({}, "prod");
    expect(rest).toEqual(plain);
    const burstless = (c: typeof checks) => c.map(({ burst: _burst, ...check }) => check);
    expect(burstless(checks)).toEqual(burstless(plainChecks));
  });

  test("the canary's image defaults to the stack's own build; canaryImage sets it", () => {
    expect(planOf({ canaryInstances: "b" }).instances.b.canary?.image).toBeUndefined();
    const p = planOf({ canaryInstances: "b", canaryImage: CANARY_IMAGE });
    expect(p.instances.b.canary?.image).toBe(CANARY_IMAGE);
    expect(p.instances.a.canary).toBeUndefined();
    expect(p.image).toEqual(planOf({}).image);
  });

  test("blue-green 0/100 keeps the canary, and v1 exactly as without one, ready to switch back", () => {
    const blueGreen = planOf({ canaryInstances: "b", trafficPercentV1: 0, trafficPercentV2: 100 });
    const plain = planOf({});
    expect(blueGreen.instances.b.canary).toMatchObject({ weights: { primary: 0, canary: 100 } });
    expect(blueGreen.workload).toEqual(plain.workload);
    // Everything but the canary itself: what v1's Deployment, Service and routes are made of.
    const withoutCanary = ({ canary: _c, traffic: { canary: _t, ...traffic }, ...rest }: InstancePlan) => ({
      ...rest,
      traffic,
    });
    expect(withoutCanary(blueGreen.instances.b)).toEqual(withoutCanary(plain.instances.b));
  });
});

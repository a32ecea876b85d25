import { ENV } from "../../app/src/contract";
import { parseSettings, SettingsError, type Settings } from "../../stacks/settings";
import {
  inNamespace,
  nameOf,
  ofType,
  runProgram,
  runVariants,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { stackConfig } from "../support/stack-files";

/** Recorded inputs: JSON from the program, as untyped as the harness records them. */
type Json = Recorded["inputs"];
type Labels = Record<string, string>;

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  destinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
  virtualService: "kubernetes:networking.istio.io/v1:VirtualService",
} as const;
const NS = { a: "pingpong-a", b: "pingpong-b" } as const;
const CANARY_HEADER = "x-pingpong-version";
const CANARY_IMAGE = "ghcr.io/acme/pingpong:v2-rc1";

/** Config as the engine passes it: `pingpong:`-prefixed keys, string values. */
function raw(values: Record<string, string | number | boolean>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k.includes(":") ? k : `pingpong:${k}`] = String(v);
  return out;
}

function problems(values: Record<string, string | number>, stack = "dev"): string[] {
  try {
    parseSettings({ ...stackConfig(stack), ...raw(values) }, stack);
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  throw new Error(`parseSettings(${JSON.stringify(values)}) did not throw`);
}

type Variant =
  | "dev"
  | "prod"
  | "canary"
  | "canary-nomirror"
  | "bluegreen"
  | "canary-a"
  | "canary-image"
  | "prod-faults"
  | "prod-canary";
const VARIANTS: Record<Variant, { stack: "dev" | "prod"; config: Record<string, string | number> }> = {
  dev: { stack: "dev", config: {} },
  prod: { stack: "prod", config: {} },
  canary: {
    stack: "dev",
    config: { canaryInstances: "b", trafficPercentV1: 80, trafficPercentV2: 20, mirrorPercent: 10 },
  },
  "canary-nomirror": {
    stack: "dev",
    config: { canaryInstances: "b", trafficPercentV1: 80, trafficPercentV2: 20 },
  },
  bluegreen: { stack: "dev", config: { canaryInstances: "b", trafficPercentV1: 0, trafficPercentV2: 100 } },
  "canary-a": { stack: "dev", config: { canaryInstances: "a", trafficPercentV1: 70, trafficPercentV2: 30 } },
  "canary-image": { stack: "dev", config: { canaryInstances: "b", canaryImage: CANARY_IMAGE } },
  "prod-faults": {
    stack: "prod",
    config: { faultDelayPercent: 5, faultDelayMs: 1500, faultAbortPercent: 1, faultAbortStatus: 502 },
  },
  "prod-canary": {
    stack: "prod",
    config: { canaryInstances: "a,b", trafficPercentV1: 90, trafficPercentV2: 10, canaryReplicas: 2 },
  },
};
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;

beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const inNs = inNamespace;
function one(run: ProgramRun, type: string, namespace: string, name: string): Recorded {
  const found = inNs(run, type, namespace).filter((r) => nameOf(r) === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${namespace}/${name}, found ${found.length}`);
  return found[0];
}
const deployment = (run: ProgramRun, namespace: string, version: string) =>
  one(run, T.deployment, namespace, `pingpong-${version}`);
const podLabelsOf = (d: Recorded): Labels => d.inputs.spec.template.metadata.labels;
const selectorOf = (d: Recorded): Labels => d.inputs.spec.selector.matchLabels;
const containerOf = (d: Recorded): Json => {
  expect(d.inputs.spec.template.spec.containers).toHaveLength(1);
  return d.inputs.spec.template.spec.containers[0];
};
const envOf = (d: Recorded): Record<string, string | undefined> =>
  Object.fromEntries(
    (containerOf(d).env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]),
  );
/** Whether every label of `selector` is on `labels` (a matchLabels selector selects them). */
const selects = (selector: Labels, labels: Labels) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const fqdn = (namespace: string) => `pingpong.${namespace}.svc.cluster.local`;
const meshVs = (run: ProgramRun, namespace: string) => one(run, T.virtualService, namespace, "pingpong");
const rule = (run: ProgramRun, namespace: string) => one(run, T.destinationRule, namespace, "pingpong");
const ingressVs = (run: ProgramRun) => {
  const found = ofType(run, T.virtualService).filter((r) => r.inputs.spec.gateways !== undefined);
  expect(found).toHaveLength(1);
  return found[0];
};
const durationOf = (ms: number) => `${ms / 1000}s`;
/** The http port number of the pingpong Service in a namespace. */
const httpPort = (run: ProgramRun, namespace: string): number => {
  const [svc] = inNs(run, T.service, namespace);
  return (svc.inputs.spec.ports as Array<{ name: string; port: number }>).find((p) => p.name === "http")
    ?.port as number;
};

describe("canary settings: one problem naming the key and the rule", () => {
  test("weights that do not sum to 100 name both keys and the sum", () => {
    const [p, ...rest] = problems({ canaryInstances: "b", trafficPercentV1: 80, trafficPercentV2: 30 });
    expect(rest).toEqual([]);
    expect(p).toBe(
      "pingpong:trafficPercentV2=30: expected pingpong:trafficPercentV1 + pingpong:trafficPercentV2 = 100 (now 80 + 30 = 110)",
    );
    expect(p).toContain("pingpong:trafficPercentV1");
    expect(p).toContain("110");
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

  test.each([700, 399])("fault abort status %d is refused", (status) => {
    expect(problems({ faultAbortStatus: status })).toEqual([
      `pingpong:faultAbortStatus=${status}: expected an HTTP error status from 400 to 599`,
    ]);
  });

  test("the program refuses a v2 weight without a canary before registering anything", async () => {
    const recorded: Recorded[] = [];
    await expect(
      runProgram(
        "dev",
        { ...stackConfig("dev"), ...raw({ trafficPercentV1: 0, trafficPercentV2: 100 }) },
        recorded,
      ),
    ).rejects.toMatchObject({
      name: "SettingsError",
      message: expect.stringContaining("no Deployment runs v2") as unknown,
    });
    // runProgram waits for every registration the program started, even when it throws.
    expect(recorded).toEqual([]);
  });

  test("valid canaries parse: a,b with a blue-green switch", () => {
    const s = parseSettings(
      {
        ...stackConfig("dev"),
        ...raw({ canaryInstances: "a, b", trafficPercentV1: 0, trafficPercentV2: 100 }),
      },
      "dev",
    );
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

describe("a canary of pingpong-b, 80/20 with 10% mirrored", () => {
  const run = () => runs.canary;

  test("pingpong-v2 runs in pingpong-b only, beside pingpong-v1, with pod labels app=pingpong version=v2", () => {
    expect(inNs(run(), T.deployment, NS.b).map(nameOf).sort()).toEqual(["pingpong-v1", "pingpong-v2"]);
    expect(inNs(run(), T.deployment, NS.a).map(nameOf)).toEqual(["pingpong-v1"]);
    const v2 = deployment(run(), NS.b, "v2");
    expect(podLabelsOf(v2)).toEqual(expect.objectContaining({ app: "pingpong", version: "v2" }));
    expect(envOf(v2)[ENV.version]).toBe("v2");
    expect(envOf(deployment(run(), NS.b, "v1"))[ENV.version]).toBe("v1");
    expect(v2.inputs.spec.replicas).toBe(settings.canary.traffic.canary?.replicas);
    // v2 pings the same peer as v1.
    expect(envOf(v2).TARGET).toBe(envOf(deployment(run(), NS.b, "v1")).TARGET);
  });

  test("every DestinationRule subset has a Deployment whose pods it selects, and every Deployment a subset", () => {
    for (const namespace of [NS.a, NS.b]) {
      const spec = rule(run(), namespace).inputs.spec;
      expect(spec.host).toBe(fqdn(namespace));
      const subsets = spec.subsets as Array<{ name: string; labels: Labels }>;
      const deployments = inNs(run(), T.deployment, namespace);
      expect(subsets.map((x) => x.name).sort()).toEqual(namespace === NS.b ? ["v1", "v2"] : ["v1"]);
      for (const subset of subsets) {
        const d = deployment(run(), namespace, subset.name);
        expect(subset.labels).toEqual({ app: "pingpong", version: subset.name });
        expect({ subset: subset.name, selects: selects(subset.labels, podLabelsOf(d)) }).toEqual({
          subset: subset.name,
          selects: true,
        });
        // A subset's labels select the pods of its own Deployment only.
        const others = deployments.filter((x) => x !== d);
        expect(others.filter((x) => selects(subset.labels, podLabelsOf(x)))).toEqual([]);
      }
      expect(deployments).toHaveLength(subsets.length);
    }
  });

  test("the Deployment selectors of v1 and v2 do not overlap; the Service selects both", () => {
    const v1 = deployment(run(), NS.b, "v1");
    const v2 = deployment(run(), NS.b, "v2");
    expect(selects(selectorOf(v1), podLabelsOf(v1))).toBe(true);
    expect(selects(selectorOf(v2), podLabelsOf(v2))).toBe(true);
    expect(selects(selectorOf(v1), podLabelsOf(v2))).toBe(false);
    expect(selects(selectorOf(v2), podLabelsOf(v1))).toBe(false);
    const [service] = inNs(run(), T.service, NS.b);
    const selector = service.inputs.spec.selector as Labels;
    expect(selects(selector, podLabelsOf(v1))).toBe(true);
    expect(selects(selector, podLabelsOf(v2))).toBe(true);
  });

  test("the mesh VirtualService: the tester header to v2 first, then 80/20 with 10% mirrored to v2", () => {
    const spec = meshVs(run(), NS.b).inputs.spec;
    const r = settings.canary.traffic.resilience;
    const port = httpPort(run(), NS.b);
    const dest = (subset: string) => ({ host: fqdn(NS.b), subset, port: { number: port } });
    expect(spec.hosts).toEqual([fqdn(NS.b)]);
    expect(spec.gateways).toBeUndefined();
    expect(spec.http).toHaveLength(2);
    const [testers, split] = spec.http;
    expect(testers.match).toEqual([{ headers: { [CANARY_HEADER]: { exact: "v2" } } }]);
    expect(testers.route).toEqual([{ destination: dest("v2") }]);
    expect(split.match).toBeUndefined();
    expect(split.route).toEqual([
      { destination: dest("v1"), weight: 80 },
      { destination: dest("v2"), weight: 20 },
    ]);
    expect(split.route.reduce((sum: number, x: { weight: number }) => sum + x.weight, 0)).toBe(100);
    expect(split.mirror).toEqual(dest("v2"));
    expect(split.mirrorPercentage).toEqual({ value: 10 });
    for (const route of spec.http) {
      expect(route.timeout).toBe(durationOf(r.timeoutMs));
      expect(route.retries.attempts).toBe(r.retries.attempts);
    }
  });

  test("pingpong-a keeps everything on v1", () => {
    const spec = meshVs(run(), NS.a).inputs.spec;
    expect(spec.http).toHaveLength(1);
    expect(spec.http[0].route).toEqual([
      {
        destination: { host: fqdn(NS.a), subset: "v1", port: { number: httpPort(run(), NS.a) } },
        weight: 100,
      },
    ]);
    expect(spec.http[0].mirror).toBeUndefined();
  });

  test("outputs canary and summary.canary carry the weights", () => {
    expect(run().outputs.canary).toEqual({ instances: ["b"], weights: { v1: 80, v2: 20 } });
    expect((run().outputs.summary as { canary: unknown }).canary).toEqual({ v1: 80, v2: 20 });
  });
});

describe("canary variants", () => {
  test("without mirrorPercent, the split mirrors nothing", () => {
    const [, split] = meshVs(runs["canary-nomirror"], NS.b).inputs.spec.http;
    expect(split.route.map((x: { weight: number }) => x.weight)).toEqual([80, 20]);
    expect(split).not.toHaveProperty("mirror");
    expect(split).not.toHaveProperty("mirrorPercentage");
  });

  test("blue-green 0/100 routes everything to v2", () => {
    const run = runs.bluegreen;
    const [testers, split] = meshVs(run, NS.b).inputs.spec.http;
    expect(testers.route.map((x: Json) => x.destination.subset)).toEqual(["v2"]);
    const weights = Object.fromEntries(
      (split.route as Array<{ destination: { subset: string }; weight: number }>).map((x) => [
        x.destination.subset,
        x.weight,
      ]),
    );
    expect(weights).toEqual({ v1: 0, v2: 100 });
    expect(run.outputs.canary).toEqual({ instances: ["b"], weights: { v1: 0, v2: 100 } });
    // v1 stays deployed, ready to switch back.
    expect(inNs(run, T.deployment, NS.b).map(nameOf).sort()).toEqual(["pingpong-v1", "pingpong-v2"]);
  });

  test("with pingpong-a a canary, the ingress VirtualService (istio) uses the same split as the mesh", () => {
    const run = runs["canary-a"];
    expect(settings["canary-a"].tls.termination).toBe("istio");
    const ingress = ingressVs(run).inputs.spec;
    const mesh = meshVs(run, NS.a).inputs.spec;
    expect(ingress.hosts).toEqual(settings["canary-a"].tls.hosts);
    expect(ingress.http).toEqual(mesh.http);
    const split = ingress.http.find((h: Json) => h.name === "default");
    expect(
      (split.route as Array<{ destination: { host: string; subset: string }; weight: number }>).map((x) => [
        x.destination.host,
        x.destination.subset,
        x.weight,
      ]),
    ).toEqual([
      [fqdn(NS.a), "v1", 70],
      [fqdn(NS.a), "v2", 30],
    ]);
    expect(ingress.http[0].match).toEqual([{ headers: { [CANARY_HEADER]: { exact: "v2" } } }]);
    // pingpong-b has no canary here.
    expect(inNs(run, T.deployment, NS.b).map(nameOf)).toEqual(["pingpong-v1"]);
    expect(meshVs(run, NS.b).inputs.spec.http).toHaveLength(1);
  });

  test("without a canary in pingpong-a, the ingress routes everything to its v1", () => {
    const http = ingressVs(runs.canary).inputs.spec.http;
    expect(http).toEqual(meshVs(runs.canary, NS.a).inputs.spec.http);
    expect(http).toHaveLength(1);
    expect(http[0].route.map((x: Json) => [x.destination.subset, x.weight])).toEqual([["v1", 100]]);
  });

  test("the canary's image defaults to the stack's own image reference", () => {
    const run = runs.canary;
    const v1 = containerOf(deployment(run, NS.b, "v1")).image;
    const v2 = containerOf(deployment(run, NS.b, "v2")).image;
    expect(v2).toBe(run.outputs.imageRef);
    expect(v2).toBe(v1);
    expect(v2).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  test("canaryImage sets the canary's image, v1 keeps the stack's", () => {
    const run = runs["canary-image"];
    expect(containerOf(deployment(run, NS.b, "v2")).image).toBe(CANARY_IMAGE);
    expect(containerOf(deployment(run, NS.b, "v1")).image).toBe(run.outputs.imageRef);
    expect(containerOf(deployment(run, NS.a, "v1")).image).toBe(run.outputs.imageRef);
  });

  test("prod canaries on a and b: v2 has its own replicas; autoscaler and budget stay on v1", () => {
    const run = runs["prod-canary"];
    for (const namespace of [NS.a, NS.b]) {
      const v1 = deployment(run, namespace, "v1");
      const v2 = deployment(run, namespace, "v2");
      expect(v2.inputs.spec.replicas).toBe(2);
      expect(v1.inputs.spec).not.toHaveProperty("replicas");
      const [hpa] = inNs(run, T.hpa, namespace);
      expect(hpa.inputs.spec.scaleTargetRef.name).toBe(nameOf(v1));
      const [pdb] = inNs(run, T.pdb, namespace);
      const pdbSelector = pdb.inputs.spec.selector.matchLabels as Labels;
      expect(selects(pdbSelector, podLabelsOf(v1))).toBe(true);
      expect(selects(pdbSelector, podLabelsOf(v2))).toBe(false);
    }
    expect(run.outputs.canary).toEqual({ instances: ["a", "b"], weights: { v1: 90, v2: 10 } });
  });

  test("without a canary: no pingpong-v2, outputs canary and summary.canary null", () => {
    for (const v of ["dev", "prod"] as const) {
      expect(ofType(runs[v], T.deployment).filter((d) => nameOf(d) === "pingpong-v2")).toEqual([]);
      expect(runs[v].outputs.canary).toBeNull();
      expect((runs[v].outputs.summary as { canary: unknown }).canary).toBeNull();
      for (const namespace of [NS.a, NS.b])
        expect(rule(runs[v], namespace).inputs.spec.subsets.map((x: Json) => x.name)).toEqual(["v1"]);
    }
  });
});

describe.each(["dev", "prod"] as const)("resilience in %s", (v) => {
  const run = () => runs[v];
  const r = () => settings[v].traffic.resilience;

  test("the stack's defaults are distinct per environment", () => {
    expect(r().timeoutMs).toBe(v === "dev" ? 3000 : 2000);
    expect(r().outlier.maxEjectionPercent).toBe(v === "dev" ? 100 : 50);
    expect(r().connectionPool.maxConnections).toBe(v === "dev" ? 100 : 200);
  });

  test.each([NS.a, NS.b])("%s: route timeout and retries equal the settings", (namespace) => {
    const http = meshVs(run(), namespace).inputs.spec.http;
    expect(http).toHaveLength(1);
    expect(http[0].timeout).toBe(durationOf(r().timeoutMs));
    expect(http[0].retries).toEqual({
      attempts: r().retries.attempts,
      perTryTimeout: durationOf(r().retries.perTryTimeoutMs),
      retryOn: r().retries.retryOn,
    });
  });

  test.each([NS.a, NS.b])("%s: outlier detection and connection pool equal the settings", (namespace) => {
    const policy = rule(run(), namespace).inputs.spec.trafficPolicy;
    expect(policy.outlierDetection).toEqual({
      consecutive5xxErrors: r().outlier.consecutive5xxErrors,
      interval: `${r().outlier.intervalSeconds}s`,
      baseEjectionTime: `${r().outlier.baseEjectionSeconds}s`,
      maxEjectionPercent: r().outlier.maxEjectionPercent,
    });
    expect(policy.connectionPool).toEqual({
      tcp: { maxConnections: r().connectionPool.maxConnections },
      http: {
        http1MaxPendingRequests: r().connectionPool.maxPendingRequests,
        maxRequestsPerConnection: r().connectionPool.maxRequestsPerConnection,
      },
    });
  });

  test("no fault injection by default", () => {
    expect(r().faults.delayPercent).toBe(0);
    expect(r().faults.abortPercent).toBe(0);
    const all = [...ofType(run(), T.virtualService)].flatMap((vs) => vs.inputs.spec.http as Json[]);
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const route of all) expect(route).not.toHaveProperty("fault");
  });
});

describe("fault injection when set (prod)", () => {
  test("every route delays and aborts the configured percentages, the ingress's too", () => {
    const run = runs["prod-faults"];
    const f = settings["prod-faults"].traffic.resilience.faults;
    expect(f).toEqual({ delayPercent: 5, delayMs: 1500, abortPercent: 1, abortStatus: 502 });
    const routes = ofType(run, T.virtualService).flatMap((vs) => vs.inputs.spec.http as Json[]);
    expect(routes).toHaveLength(3);
    for (const route of routes) {
      expect(route.fault).toEqual({
        delay: { percentage: { value: 5 }, fixedDelay: "1.5s" },
        abort: { percentage: { value: 1 }, httpStatus: 502 },
      });
    }
  });

  test("only the delay when only the delay is set", async () => {
    const run = await runProgram("dev", { ...stackConfig("dev"), ...raw({ faultDelayPercent: 50 }) });
    const routes = ofType(run, T.virtualService).flatMap((vs) => vs.inputs.spec.http as Json[]);
    for (const route of routes)
      expect(route.fault).toEqual({ delay: { percentage: { value: 50 }, fixedDelay: "0.5s" } });
  });
});

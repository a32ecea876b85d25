import * as pulumi from "@pulumi/pulumi";
import { CanaryAnalysis } from "../../components/canary-analysis";
import { PingpongService } from "../../components/pingpong-service";
import { ROLLOUT_HASH_LABEL } from "../../components/rollout-spec";
import {
  ARGO_ROLLOUTS_CHART,
  ARGO_ROLLOUTS_CHART_REPO,
  ARGO_ROLLOUTS_NAMESPACE,
  ArgoRollouts,
} from "../../components/rollouts";
import { Traffic } from "../../components/traffic";
import { serviceHost } from "../../components/workload";
import { plan } from "../../stacks/plan";
import { parseSettings } from "../../stacks/settings";
import { chartDefaults, chartFile, unknownValuePaths } from "../support/charts";
import {
  engineConfig,
  nameOf,
  ofType,
  runComponent,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { describeWithReference } from "../support/reference";
import { stackConfig } from "../support/stack-files";
import { T } from "../support/tokens";

/**
 * The Argo Rollouts controller alone; then, on pingpong-b's delivery as the program would wire it
 * (test/components/canary-analysis.test.ts checks how its objects name each other), what the
 * controller writes into those objects against what Pulumi ignores.
 */

const CHART_VERSION = "2.41.0";
const NS = "team-b";
type Json = Recorded["inputs"];

const one = (run: ProgramRun, type: string): Recorded => {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};

describe("the Argo Rollouts controller", () => {
  const render = (controllerReplicas = 2, namespace?: string) =>
    runComponent(() => {
      new ArgoRollouts("argo", { chartVersion: CHART_VERSION, controllerReplicas, namespace });
      return {};
    });
  let run: ProgramRun;
  beforeAll(async () => (run = await render()));
  const values = () => one(run, T.release).inputs.values;

  test("the chart at the given version, in a namespace it creates without sidecar injection", () => {
    const release = one(run, T.release);
    const ns = one(run, T.namespace);
    expect(release.inputs).toMatchObject({
      chart: ARGO_ROLLOUTS_CHART,
      version: CHART_VERSION,
      repositoryOpts: { repo: ARGO_ROLLOUTS_CHART_REPO },
      namespace: ARGO_ROLLOUTS_NAMESPACE,
    });
    expect(nameOf(ns)).toBe(ARGO_ROLLOUTS_NAMESPACE);
    expect(ns.inputs.metadata.labels["istio-injection"]).toBe("disabled");
    expect(release.dependsOn).toContain(ns.name);
  });

  test("its CRDs, the replicas asked for, no dashboard, RBAC for the Istio router only", () => {
    expect(values()).toMatchObject({
      installCRDs: true,
      controller: { replicas: 2 },
      dashboard: { enabled: false },
    });
    const { enabled, providers } = values().providerRBAC;
    expect(enabled).toBe(true);
    expect(Object.entries(providers).filter(([, on]) => on)).toEqual([["istio", true]]);
  });

  test("another namespace when asked; refused: no controller", async () => {
    expect(nameOf(one(await render(1, "delivery"), T.namespace))).toBe("delivery");
    await expect(render(0)).rejects.toThrow(/controllerReplicas 0/);
  });

  describeWithReference("against the argo-rollouts chart", () => {
    test("every value is a key of values.yaml", () => {
      expect(unknownValuePaths(values(), chartDefaults(ARGO_ROLLOUTS_CHART, CHART_VERSION))).toEqual([]);
    });

    test("every provider the chart knows is switched explicitly (its default grants them all)", () => {
      const defaults = chartDefaults(ARGO_ROLLOUTS_CHART, CHART_VERSION).providerRBAC.providers;
      expect(Object.values(defaults).every((on) => on === true)).toBe(true);
      expect(Object.keys(values().providerRBAC.providers).sort()).toEqual(Object.keys(defaults).sort());
    });

    test("the chart runs controller v1.9.0, whose code the ignored fields were read from", () => {
      expect(chartFile(ARGO_ROLLOUTS_CHART, CHART_VERSION, "Chart.yaml")).toMatch(/^appVersion: v1\.9\.0$/m);
    });
  });
});

/** Stands in for Istio's releases. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

/** The `ignoreChanges` each resource registers with, by logical name (the mocks do not pass options on). */
function recordIgnoreChanges(into: Map<string, string[]>): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor(): { registerResource(req: unknown, cb: unknown): unknown };
  };
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: { getName(): string; getIgnorechangesList(): string[] }, cb: unknown) => {
    into.set(req.getName(), req.getIgnorechangesList());
    return register(req, cb);
  };
}

const ignored = new Map<string, string[]>();
const SUBSETS = { stableSubset: "stable", canarySubset: "canary" };
function renderDelivery(): Promise<ProgramRun> {
  const p = plan(parseSettings(engineConfig(stackConfig("prod")), "prod"));
  return runComponent(() => {
    recordIgnoreChanges(ignored);
    const argo = new ArgoRollouts("argo", { chartVersion: CHART_VERSION, controllerReplicas: 2 });
    const traffic = new Traffic("traffic-b", {
      ...p.instances.b.traffic,
      namespace: NS,
      host: serviceHost(NS),
      analysis: SUBSETS,
      controlPlane: [new ControlPlane("istiod")],
    });
    const analysis = new CanaryAnalysis("analysis-b", {
      namespace: NS,
      prometheusUrl: "http://prometheus.metrics:9090",
      canaryUrl: PingpongService.canaryUrlIn(NS),
      image: "registry.example/pingpong:2",
      thresholds: { successPercent: 99, p99Ms: 500 },
      dependsOn: argo.ready,
    });
    new PingpongService("pingpong-b", {
      ...p.workload,
      namespace: NS,
      image: "registry.example/pingpong:2",
      rollout: {
        analysisTemplate: analysis.templateName,
        trafficRouting: traffic.rolloutRouting!,
        dependsOn: argo.ready,
      },
    });
    return {};
  });
}

// "A second `pulumi up` after a promotion or rollback changes nothing" ------------------------------

type Segment = string | number;
/** A Pulumi property path (pulumi.com/docs/iac/concepts/miscellaneous/property-paths): a.b[0]["c.d"][*]. */
function parsePath(path: string): Segment[] {
  const tokens = [...path.matchAll(/\.?([^.[\]"]+)|\[(\d+)\]|\[(\*)\]|\["((?:[^"\\]|\\.)*)"\]/g)];
  if (tokens.map((t) => t[0]).join("") !== path) throw new Error(`not a property path: ${path}`);
  return tokens.map(([, key, index, star, quoted]) =>
    index !== undefined ? Number(index) : (key ?? star ?? JSON.parse(`"${quoted}"`)),
  );
}
/** Pulumi's PropertyPath.Contains: `ignore` is a prefix of `path`, `*` matching any one key or index. */
const covers = (ignore: Segment[], path: Segment[]) =>
  ignore.length <= path.length && ignore.every((s, i) => s === "*" || s === path[i]);

/** Every leaf where `live` differs from `declared` (added subtrees down to their leaves). */
function changedPaths(declared: unknown, live: unknown, at: Segment[] = []): Segment[][] {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isMap(live) && (isMap(declared) || declared === undefined)) {
    const d = declared ?? {};
    const keys = new Set([...Object.keys(d), ...Object.keys(live)]);
    return [...keys].flatMap((k) => changedPaths(d[k], live[k], [...at, k]));
  }
  if (Array.isArray(declared) && Array.isArray(live) && declared.length === live.length)
    return live.flatMap((v, i) => changedPaths(declared[i], v, [...at, i]));
  return JSON.stringify(declared) === JSON.stringify(live) ? [] : [at];
}

/**
 * What the controller leaves in the objects (argo-rollouts v1.9.0): `SetWeight` on the named
 * routes (rollout/trafficrouting/istio/istio.go processRoutes: canary subset `weight`, stable
 * `100 - weight`), `UpdateHash` on the subsets and the managed-by annotation, the revision
 * annotation on the Rollout (rollout/sync.go), and the autoscaler's replicas through `/scale`.
 * Subset-level splitting leaves the Services alone (docs/features/traffic-management/istio.md).
 */
function controllerWrites(
  r: Recorded,
  rolloutSpec: Json,
  s: { weight: number; canary: string; stable: string },
) {
  const live = structuredClone(r.inputs);
  const { virtualService, destinationRule } = rolloutSpec.strategy.canary.trafficRouting.istio;
  if (r.type === T.virtualService)
    for (const route of live.spec.http.filter((h: Json) => virtualService.routes.includes(h.name)))
      for (const d of route.route)
        d.weight = d.destination.subset === destinationRule.canarySubsetName ? s.weight : 100 - s.weight;
  if (r.type === T.destinationRule) {
    live.metadata.annotations = { "argo-rollouts.argoproj.io/managed-by-rollouts": "pingpong" };
    const hash = {
      [destinationRule.canarySubsetName]: s.canary,
      [destinationRule.stableSubsetName]: s.stable,
    };
    live.spec.subsets = live.spec.subsets
      .filter((x: Json) => x.name in hash)
      .map((x: Json) => ({ ...x, labels: { ...x.labels, [ROLLOUT_HASH_LABEL]: hash[x.name] } }));
  }
  if (r.type === T.rollout) {
    live.metadata.annotations = { "rollout.argoproj.io/revision": "2" };
    live.spec.replicas = 4;
  }
  return live;
}

describe("what the controller writes is exactly what Pulumi ignores", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await renderDelivery()));
  const objects = () =>
    [T.virtualService, T.destinationRule, T.rollout, T.service].flatMap((t) => ofType(run, t));
  const states = {
    "canary at 20%": { weight: 20, canary: "new", stable: "old" },
    promoted: { weight: 0, canary: "new", stable: "new" },
    aborted: { weight: 0, canary: "new", stable: "old" },
    "rolled back": { weight: 0, canary: "old", stable: "old" },
  };
  const changes = (r: Recorded, s: (typeof states)[keyof typeof states]) =>
    changedPaths(r.inputs, controllerWrites(r, one(run, T.rollout).inputs.spec, s));

  test("the ignored paths of each object", () => {
    const byType = Object.fromEntries(
      objects().map((r) => [`${r.type} ${nameOf(r)}`, ignored.get(r.name) ?? []]),
    );
    expect(byType).toEqual({
      [`${T.virtualService} pingpong`]: ["spec.http[*].route[*].weight"],
      [`${T.destinationRule} pingpong`]: [
        "spec.subsets",
        'metadata.annotations["argo-rollouts.argoproj.io/managed-by-rollouts"]',
      ],
      [`${T.rollout} pingpong`]: ['metadata.annotations["rollout.argoproj.io/revision"]', "spec.replicas"],
      [`${T.service} pingpong`]: [],
      [`${T.service} pingpong-canary`]: [],
    });
  });

  test.each(Object.entries(states))(
    "%s: every field that differs from Pulumi's inputs is ignored",
    (_, s) => {
      for (const r of objects()) {
        const ignore = (ignored.get(r.name) ?? []).map(parsePath);
        const uncovered = changes(r, s).filter((p) => !ignore.some((i) => covers(i, p)));
        expect({ object: r.name, uncovered }).toEqual({ object: r.name, uncovered: [] });
      }
    },
  );

  test("every ignored path is one the controller writes, in some state", () => {
    for (const r of objects())
      for (const path of ignored.get(r.name) ?? []) {
        const written = Object.values(states).some((s) =>
          changes(r, s).some((p) => covers(parsePath(path), p)),
        );
        expect({ object: r.name, path, written }).toEqual({ object: r.name, path, written: true });
      }
  });

  test("only the VirtualService forces its apply: the controller's update owns all of its atomic spec.http", () => {
    const force = (type: string) =>
      (one(run, type).inputs.metadata.annotations ?? {})["pulumi.com/patchForce"] as string | undefined;
    expect(force(T.virtualService)).toBe("true");
    // The subsets and the replicas are ignored as whole fields, which the provider leaves out.
    expect([force(T.destinationRule), force(T.rollout)]).toEqual([undefined, undefined]);
  });

  test("what Pulumi itself changes stays outside them: the route's retries, the subsets' host, the image", () => {
    const ignoredBy = (type: string) => (ignored.get(one(run, type).name) ?? []).map(parsePath);
    const own = [
      [T.virtualService, "spec.http[0].retries.attempts"],
      [T.destinationRule, "spec.trafficPolicy.outlierDetection.interval"],
      [T.rollout, "spec.template.spec.containers[0].image"],
    ];
    for (const [type, path] of own)
      expect(ignoredBy(type).some((i) => covers(i, parsePath(path)))).toBe(false);
    expect(parsePath('a.b[0]["c.d"][*]')).toEqual(["a", "b", 0, "c.d", "*"]);
    expect(covers(parsePath("spec.http[*].route[*].weight"), ["spec", "http", 0, "route", 1, "weight"])).toBe(
      true,
    );
  });
});

import { ENV } from "../../app/src/contract";
import { CANARY_VERSION, PRIMARY_VERSION } from "../../components/workload";
import { INSTANCES, type Settings } from "../../stacks/settings";
import {
  byName,
  inNamespace,
  nameOf,
  ofType,
  oneIn,
  selects,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { CANARY_VARIANT, SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, containerOf, envOf, fqdn, podLabelsOf, versionOf, type Json } from "./lookup";
import { workloadsIn } from "./workloads";

/**
 * A canary as the whole program builds it: PingpongService's second Deployment, Traffic's routes and
 * the ingress's, wired to the same versions. The one whole-program variant with a canary; every other
 * canary shape is tested on Traffic alone (test/components/traffic.test.ts) and on the plan
 * (test/stacks/traffic-settings.test.ts).
 */

const VARIANTS = { ...SHARED_VARIANTS, canary: CANARY_VARIANT };
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const run = () => runs.canary;
const canary = () => settings.canary.traffic.canary!;
const nsOf = (key: (typeof INSTANCES)[number]) => settings.canary.namespaces[key];
const withCanary = () => INSTANCES.filter((k) => canary().instances.includes(k));
const without = () => INSTANCES.filter((k) => !canary().instances.includes(k));
function deployment(namespace: string, version: string): Recorded {
  const found = inNamespace(run(), T.deployment, namespace).filter((d) => versionOf(d) === version);
  if (found.length !== 1) throw new Error(`expected one Deployment of ${version} in ${namespace}`);
  return found[0];
}
const meshRoutes = (namespace: string): Json[] =>
  byName(run(), T.virtualService, namespace, "pingpong").inputs.spec.http;
const weightsOf = (route: Json) =>
  Object.fromEntries((route.route as Json[]).map((x) => [x.destination.subset, x.weight]));

test("the variant has a canary on some instance, and none on another", () => {
  expect(withCanary().length).toBeGreaterThan(0);
  expect(without().length).toBeGreaterThan(0);
});

test("v2 runs beside v1 in the canary's instances only; each version's pods carry it in label and env", () => {
  for (const key of INSTANCES) {
    const deployments = inNamespace(run(), T.deployment, nsOf(key));
    const versions = withCanary().includes(key) ? [PRIMARY_VERSION, CANARY_VERSION] : [PRIMARY_VERSION];
    expect({ key, versions: deployments.map(versionOf).sort() }).toEqual({ key, versions: versions.sort() });
    for (const d of deployments) expect(envOf(containerOf(d))[ENV.version]).toBe(versionOf(d));
  }
});

test("v2 pings the same peer as v1 and runs the stack's own build", () => {
  expect(canary().image).toBeUndefined();
  for (const key of withCanary()) {
    const [v1, v2] = [PRIMARY_VERSION, CANARY_VERSION].map((v) => containerOf(deployment(nsOf(key), v)));
    expect(envOf(v2).TARGET).toBe(envOf(v1).TARGET);
    expect(v2.image).toBe(run().outputs.imageRef);
    expect(v2.image).toBe(v1.image);
  }
});

test("the Deployment selectors of v1 and v2 do not overlap; the Service selects both", () => {
  for (const key of withCanary()) {
    const v1 = deployment(nsOf(key), PRIMARY_VERSION);
    const v2 = deployment(nsOf(key), CANARY_VERSION);
    const selector = (d: Recorded) => d.inputs.spec.selector;
    expect(selects(selector(v1), podLabelsOf(v1))).toBe(true);
    expect(selects(selector(v2), podLabelsOf(v2))).toBe(true);
    expect(selects(selector(v1), podLabelsOf(v2))).toBe(false);
    expect(selects(selector(v2), podLabelsOf(v1))).toBe(false);
    const service = { matchLabels: oneIn(run(), T.service, nsOf(key)).inputs.spec.selector };
    expect([v1, v2].map((d) => selects(service, podLabelsOf(d)))).toEqual([true, true]);
  }
});

test("the autoscaler scales v1 and the budget covers v1's pods only; v2 runs its own replicas", () => {
  expect(settings.canary.workload.autoscaling).toBeDefined();
  for (const key of withCanary()) {
    const v1 = deployment(nsOf(key), PRIMARY_VERSION);
    const v2 = deployment(nsOf(key), CANARY_VERSION);
    expect(v2.inputs.spec.replicas).toBe(canary().replicas);
    expect(v1.inputs.spec).not.toHaveProperty("replicas");
    expect(oneIn(run(), T.hpa, nsOf(key)).inputs.spec.scaleTargetRef.name).toBe(nameOf(v1));
    const budget = oneIn(run(), T.pdb, nsOf(key)).inputs.spec.selector;
    expect(selects(budget, podLabelsOf(v1))).toBe(true);
    expect(selects(budget, podLabelsOf(v2))).toBe(false);
  }
});

test("the mesh route: the tester header to v2 first, then the settings' split, mirroring to v2", () => {
  for (const key of withCanary()) {
    const [testers, split] = meshRoutes(nsOf(key));
    expect(testers.match).toEqual([{ headers: { [canary().header]: { exact: CANARY_VERSION } } }]);
    expect(testers.route.map((x: Json) => x.destination.subset)).toEqual([CANARY_VERSION]);
    expect(weightsOf(split)).toEqual({
      [PRIMARY_VERSION]: canary().weights.primary,
      [CANARY_VERSION]: canary().weights.canary,
    });
    expect(split.mirror.subset).toBe(CANARY_VERSION);
    expect(split.mirrorPercentage).toEqual({ value: canary().mirrorPercent });
  }
});

test("the ingress routes follow the same split: the routes of pingpong-a's mesh VirtualService", () => {
  expect(settings.canary.tls.termination).toBe("istio");
  expect(withCanary()).toContain("a");
  const [ingress] = ofType(run(), T.virtualService).filter((r) => r.inputs.spec.gateways);
  expect(ingress.inputs.spec.hosts).toEqual(settings.canary.tls.hosts);
  expect(ingress.inputs.spec.http).toEqual(meshRoutes(nsOf("a")));
  const destinations = ingress.inputs.spec.http.flatMap((h: Json) => h.route.map((x: Json) => x.destination));
  const host = fqdn(oneIn(run(), T.service, nsOf("a")));
  expect(new Set(destinations.map((d: Json) => d.host))).toEqual(new Set([host]));
  expect(new Set(destinations.map((d: Json) => d.subset))).toEqual(
    new Set([PRIMARY_VERSION, CANARY_VERSION]),
  );
});

test("the instance without a canary keeps everything on v1", () => {
  for (const key of without()) {
    const http = meshRoutes(nsOf(key));
    expect(http).toHaveLength(1);
    expect(weightsOf(http[0])).toEqual({ [PRIMARY_VERSION]: 100 });
    expect(http[0]).not.toHaveProperty("mirror");
  }
});

test("outputs canary and summary.canary carry the instances and the weights", () => {
  const weights = { v1: canary().weights.primary, v2: canary().weights.canary };
  expect(run().outputs.canary).toEqual({ instances: canary().instances, weights });
  expect((run().outputs.summary as { canary: unknown }).canary).toEqual(weights);
});

test.each(Object.keys(SHARED_VARIANTS) as Variant[])(
  "%s, without a canary: no v2, outputs canary and summary.canary null, one subset per rule",
  (v) => {
    expect(settings[v].traffic.canary).toBeUndefined();
    const pingpong = INSTANCES.map((k) => settings[v].namespaces[k]);
    const workloads = pingpong.flatMap((n) => workloadsIn(runs[v], n));
    expect(workloads.filter((d) => versionOf(d) === CANARY_VERSION)).toEqual([]);
    expect(runs[v].outputs.canary).toBeNull();
    expect((runs[v].outputs.summary as { canary: unknown }).canary).toBeNull();
    for (const n of pingpong) {
      const rule = byName(runs[v], T.destinationRule, n, "pingpong");
      // Under a Rollout the controller's stable and canary subsets (traffic.test.ts) stand for v1.
      if (inNamespace(runs[v], T.rollout, n).length > 0) continue;
      expect(rule.inputs.spec.subsets.map((x: Json) => x.name)).toEqual([PRIMARY_VERSION]);
    }
  },
);

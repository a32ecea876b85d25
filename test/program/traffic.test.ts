import { INSTANCES, type Settings } from "../../stacks/settings";
import {
  byName,
  inNamespace,
  namespaceOf,
  ofType,
  selects,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { CANARY_VARIANT, SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, fqdn, podLabelsOf, servicePorts, versionOf, type Json } from "./lookup";
import { instanceService, workloadsIn } from "./workloads";

/**
 * How each instance's DestinationRule and VirtualServices meet its Service and workloads (its
 * Deployments, or the Argo Rollout that shifts the weights between its subsets), and what the stack's
 * resilience settings become. What Traffic builds from its arguments: test/components/traffic.test.ts;
 * the canary's Deployments and outputs: canary.test.ts; the egress gateway's routes:
 * test/components/egress.test.ts.
 */

const VARIANTS = { ...SHARED_VARIANTS, canary: CANARY_VARIANT };
type Variant = keyof typeof VARIANTS;
const ALL = Object.keys(VARIANTS) as Variant[];
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const rule = (run: ProgramRun, namespace: string) => byName(run, T.destinationRule, namespace, "pingpong");
const meshVs = (run: ProgramRun, namespace: string) => byName(run, T.virtualService, namespace, "pingpong");
/** The ingress's VirtualServices: the ones in a pingpong namespace bound to a gateway. */
const ingressVs = (run: ProgramRun, s: Settings) =>
  INSTANCES.flatMap((k) => inNamespace(run, T.virtualService, s.namespaces[k])).filter(
    (r) => r.inputs.spec.gateways,
  );
const routesOf = (vs: Recorded): Json[] => vs.inputs.spec.http;
/** Every route of a VirtualService, of whatever protocol (the egress gateway's are tls and tcp). */
const anyRoutesOf = (vs: Recorded): Json[] => {
  const { http = [], tls = [], tcp = [] } = vs.inputs.spec;
  return [...http, ...tls, ...tcp];
};
/** The Rollout's traffic routing, where one shifts the weights in `namespace`; undefined elsewhere. */
const rolloutRouting = (run: ProgramRun, namespace: string): Json =>
  inNamespace(run, T.rollout, namespace)[0]?.inputs.spec.strategy.canary.trafficRouting.istio;
const destinationsOf = (route: Json): Json[] => [
  ...route.route.map((r: Json) => r.destination),
  ...(route.mirror ? [route.mirror] : []),
];
const duration = (ms: number) => `${ms / 1000}s`;

describe.each(ALL)("traffic wiring in %s", (v) => {
  const run = () => runs[v];
  const namespaces = () => INSTANCES.map((key) => settings[v].namespaces[key]);

  test("each instance's DestinationRule and mesh VirtualService are for its own Service's host", () => {
    for (const namespace of namespaces()) {
      const host = fqdn(instanceService(run(), namespace));
      expect({ namespace, rule: rule(run(), namespace).inputs.spec.host }).toEqual({ namespace, rule: host });
      expect({ namespace, vs: meshVs(run(), namespace).inputs.spec.hosts }).toEqual({
        namespace,
        vs: [host],
      });
    }
  });

  test("every DestinationRule subset selects the pods of exactly one Deployment, of its version, and every Deployment has one", () => {
    for (const namespace of namespaces().filter((n) => rolloutRouting(run(), n) === undefined)) {
      const subsets = rule(run(), namespace).inputs.spec.subsets as Array<{ name: string; labels: Json }>;
      const deployments = inNamespace(run(), T.deployment, namespace);
      for (const subset of subsets) {
        expect(Object.keys(subset.labels).length).toBeGreaterThan(0);
        const selected = deployments.filter((d) => selects({ matchLabels: subset.labels }, podLabelsOf(d)));
        expect({ subset: subset.name, versions: selected.map(versionOf) }).toEqual({
          subset: subset.name,
          versions: [subset.name],
        });
      }
      expect(subsets.map((s) => s.name).sort()).toEqual(deployments.map(versionOf).sort());
    }
  });

  test("under a Rollout: the rule's subsets are its stable and canary, which the controller labels", () => {
    for (const namespace of namespaces()) {
      const routing = rolloutRouting(run(), namespace);
      if (routing === undefined) continue;
      expect(workloadsIn(run(), namespace).map((w) => w.type)).toEqual([T.rollout]);
      const r = rule(run(), namespace);
      expect(r.inputs.metadata.name).toBe(routing.destinationRule.name);
      const subsets = r.inputs.spec.subsets as Array<{ name: string; labels?: Json }>;
      const { stableSubsetName, canarySubsetName } = routing.destinationRule;
      expect(stableSubsetName).not.toBe(canarySubsetName);
      expect(subsets.map((x) => x.name).sort()).toEqual([stableSubsetName, canarySubsetName].sort());
      // The controller sets each subset's pod-template hash label; labels of Pulumi's would fight it.
      for (const subset of subsets) expect(subset.labels).toBeUndefined();
    }
    expect(namespaces().filter((n) => rolloutRouting(run(), n) !== undefined).length).toBe(
      settings[v].delivery ? 1 : 0,
    );
  });

  test("every route, the ingress's too, goes to a subset of the rule for the Service's host, on a port of the Service", () => {
    const routed = [...namespaces().map((n) => meshVs(run(), n)), ...ingressVs(run(), settings[v])];
    expect(routed.length).toBe(namespaces().length + (settings[v].tls.termination === "istio" ? 1 : 0));
    for (const vs of routed) {
      for (const d of routesOf(vs).flatMap(destinationsOf)) {
        const service = ofType(run(), T.service).find((s) => fqdn(s) === d.host);
        expect({ vs: vs.name, host: d.host, found: service !== undefined }).toEqual({
          vs: vs.name,
          host: d.host,
          found: true,
        });
        const subsets = rule(run(), namespaceOf(service!)).inputs.spec.subsets.map((s: Json) => s.name);
        expect(subsets).toContain(d.subset);
        expect(servicePorts(service!)).toContain(d.port.number);
      }
    }
  });
});

describe.each(["dev", "prod"] as const)("resilience in %s", (v) => {
  const run = () => runs[v];
  const r = () => settings[v].traffic.resilience;

  test.each(INSTANCES)("pingpong-%s: route timeout and retries equal the settings", (key) => {
    const http = routesOf(meshVs(run(), settings[v].namespaces[key]));
    expect(http).toHaveLength(1);
    expect(http[0].timeout).toBe(duration(r().timeoutMs));
    expect(http[0].retries).toEqual({
      attempts: r().retries.attempts,
      perTryTimeout: duration(r().retries.perTryTimeoutMs),
      retryOn: r().retries.retryOn,
    });
  });

  test.each(INSTANCES)("pingpong-%s: outlier detection and connection pool equal the settings", (key) => {
    const policy = rule(run(), settings[v].namespaces[key]).inputs.spec.trafficPolicy;
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
});

describe("fault injection", () => {
  test.each(Object.keys(SHARED_VARIANTS) as Variant[])("%s: none by default, on any route", (v) => {
    const all = ofType(runs[v], T.virtualService).flatMap(anyRoutesOf);
    expect(all.length).toBeGreaterThanOrEqual(INSTANCES.length);
    for (const route of all) expect(route).not.toHaveProperty("fault");
  });

  test("configured: every route delays and aborts the configured percentages, the ingress's too", () => {
    const f = settings.canary.traffic.resilience.faults;
    expect(f.delayPercent).toBeGreaterThan(0);
    expect(f.abortPercent).toBeGreaterThan(0);
    expect(ingressVs(runs.canary, settings.canary)).toHaveLength(1);
    // Delays and aborts are HTTP faults: every HTTP route, and the egress gateway's tls/tcp have none.
    const routes = ofType(runs.canary, T.virtualService).flatMap((vs) => vs.inputs.spec.http ?? []);
    for (const route of routes) {
      expect({ route: route.name, fault: route.fault }).toEqual({
        route: route.name,
        fault: {
          delay: { percentage: { value: f.delayPercent }, fixedDelay: duration(f.delayMs) },
          abort: { percentage: { value: f.abortPercent }, httpStatus: f.abortStatus },
        },
      });
    }
  });
});

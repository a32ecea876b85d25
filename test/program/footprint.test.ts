import { parseCpu, parseMemory } from "../../stacks/formats";
import type { Settings } from "../../stacks/settings";
import { DEFAULTS } from "../../stacks/table";
import { chartDataVersion, chartDefaults } from "../support/charts";
import type { ProgramRun } from "../support/program";
import { describeWithReference } from "../support/reference";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import {
  chartSource,
  footprint,
  kindNodes,
  nodesTolerating,
  total,
  verificationPeak,
  type PodLine,
} from "./footprint";
import { chartRelease } from "./lookup";

/**
 * What the dev stack asks of its kind cluster, as admitted: every pod it runs with every add-on it
 * turns on, injected sidecars and DaemonSets per node included (footprint.ts says how each is
 * counted), against the budget a laptop's kind cluster can give it. prod keeps production sizes.
 */

/** 1 CPU and 1.5 GiB, for everything the dev stack runs. */
const BUDGET = { cpu: 1000, memory: 1536 };

const VARIANTS = { dev: SHARED_VARIANTS.dev, prod: SHARED_VARIANTS.prod };
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

test("the dev cluster: a control plane, tainted, and two workers; DaemonSets that tolerate it run on all three", () => {
  const nodes = kindNodes();
  expect(nodes.length).toBe(3);
  expect(nodesTolerating(nodes, [])).toBe(2);
  expect(nodesTolerating(nodes, [{ effect: "NoSchedule", operator: "Exists" }])).toBe(3);
  expect(nodesTolerating(nodes, [{ key: "cni.istio.io/not-ready", operator: "Exists" }])).toBe(2);
  expect(nodesTolerating(nodes, [{ effect: "NoExecute", operator: "Exists" }])).toBe(2);
});

describeWithReference("the dev stack's footprint as admitted (requests)", () => {
  // kube-prometheus-stack's subcharts (Grafana, kube-state-metrics, the node exporter) are only in the complete chart.
  const version = chartDataVersion("kube-prometheus-stack", String(DEFAULTS.dev.prometheusStackVersion));
  if (version === undefined || chartSource("kube-prometheus-stack", version) === undefined) {
    test.skip("needs kube-prometheus-stack's complete chart (../shared/chart-sources, or npm run upstream:fetch)", () =>
      undefined);
    return;
  }
  let lines: PodLine[];
  beforeAll(() => (lines = footprint(runs.dev, kindNodes()).lines));
  const find = (component: string) => lines.find((l) => l.component === component)!;

  test("every add-on is on, and every pod is counted", () => {
    const o = settings.dev.observability;
    expect([
      o.monitoring,
      o.tracing.backend,
      o.kiali !== undefined,
      settings.dev.delivery !== undefined,
    ]).toEqual(["install", "jaeger", true, true]);
    expect(lines.map((l) => l.component).sort()).toEqual(
      [
        "istiod",
        "istio-cni agent",
        "gateway istio-ingressgateway",
        "gateway istio-egressgateway",
        "Prometheus Operator",
        "Prometheus",
        "Alertmanager",
        "Grafana",
        "kube-state-metrics",
        "node exporter",
        "Jaeger",
        "Kiali",
        "Argo Rollouts",
        "pingpong-a/pingpong-v1",
        "pingpong-b/pingpong",
        "pingpong-c/toolbox",
      ].sort(),
    );
  });

  test("the CNI agent and the node exporter run on every node; the pingpong pods carry a sidecar", () => {
    expect(find("istio-cni agent").copies).toBe(3);
    expect(find("node exporter").copies).toBe(3);
    for (const pod of ["pingpong-a/pingpong-v1", "pingpong-b/pingpong"])
      expect(find(pod).containers.map((c) => c.name)).toEqual(["pingpong", "istio-proxy"]);
    expect(find("pingpong-c/toolbox").containers.map((c) => c.name)).toEqual(["toolbox"]);
  });

  test("every pod asks for CPU and memory, and no container's limit is below its request", () => {
    for (const l of lines) {
      expect({ pod: l.component, asks: l.each.cpu > 0 && l.each.memory > 0 }).toEqual({
        pod: l.component,
        asks: true,
      });
      for (const c of l.containers) {
        const below = (["cpu", "memory"] as const).filter((k) => (c.limits[k] ?? Infinity) < c.requests[k]);
        expect({ pod: l.component, container: c.name, below }).toEqual({
          pod: l.component,
          container: c.name,
          below: [],
        });
      }
    }
  });

  test("the whole dev stack asks at most 1 CPU and 1.5 GiB", () => {
    const sum = total(lines);
    expect(sum.cpu).toBeLessThanOrEqual(BUDGET.cpu);
    expect(sum.memory).toBeLessThanOrEqual(BUDGET.memory);
  });

  test("with the verification Jobs running at deploy time too, it still fits", () => {
    const { proxy } = footprint(runs.dev, kindNodes());
    const peak = verificationPeak(runs.dev, proxy);
    expect(peak.cpu).toBeGreaterThan(0);
    const sum = total(lines);
    expect(sum.cpu + peak.cpu).toBeLessThanOrEqual(BUDGET.cpu);
    expect(sum.memory + peak.memory).toBeLessThanOrEqual(BUDGET.memory);
  });
});

describeWithReference("prod keeps production sizes", () => {
  test("istiod asks at least the chart's default, on at least two replicas", () => {
    const r = chartRelease(runs.prod, "istiod");
    const defaults = chartDefaults("istiod", chartDataVersion("istiod", r.version)!).resources.requests;
    const asked = r.values.resources.requests;
    expect(parseCpu(asked.cpu)!).toBeGreaterThanOrEqual(parseCpu(defaults.cpu)!);
    expect(parseMemory(asked.memory)!).toBeGreaterThanOrEqual(parseMemory(defaults.memory)!);
    expect(r.values.autoscaleMin).toBeGreaterThanOrEqual(2);
  });

  test("every injected sidecar, gateway and CNI agent asks what the charts ask by default", () => {
    const istiod = chartRelease(runs.prod, "istiod");
    const data = (chart: string) => chartDefaults(chart, chartDataVersion(chart, istiod.version)!);
    expect(istiod.values.global.proxy.resources.requests).toEqual(
      data("istiod").global.proxy.resources.requests,
    );
    expect(chartRelease(runs.prod, "cni").values.resources.requests).toEqual(data("cni").resources.requests);
    for (const ns of [settings.prod.namespaces.gateway, settings.prod.egress.gateway!.namespace])
      expect(chartRelease(runs.prod, "gateway", ns).values.resources.requests).toEqual(
        data("gateway").resources.requests,
      );
  });
});

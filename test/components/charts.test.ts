import { join } from "node:path";
import { CHARTS, chartLocation, localChartDir } from "../../components/charts";
import { Egress } from "../../components/egress";
import { Istio } from "../../components/istio";
import { Kiali } from "../../components/kiali";
import { Observability } from "../../components/observability";
import { ArgoRollouts } from "../../components/rollouts";
import { Jaeger } from "../../components/tracing";
import { ofType, runComponent, type ProgramRun, type Recorded } from "../support/program";
import { T } from "../support/tokens";

/**
 * Where each release takes its chart from (components/charts.ts): the chart's repository, or the
 * chart's directory under a local chart source. Every component that installs a chart, alone.
 */

const SOURCE = "/srv/charts";
const RESOURCES = { cpuRequest: "50m", cpuLimit: "500m", memoryRequest: "128Mi", memoryLimit: "512Mi" };
/** Each component's release, by the chart it installs, at the version its args pin. */
const PINNED: Record<string, string> = {
  base: "1.31.1",
  istiod: "1.31.1",
  cni: "1.31.1",
  gateway: "1.31.1",
  "kube-prometheus-stack": "85.1.2",
  "kiali-server": "2.29.0",
  jaeger: "4.11.1",
  "argo-rollouts": "2.41.0",
};

/** Every component that installs a chart, each given `chartSource`. */
const render = (chartSource?: string): Promise<ProgramRun> =>
  runComponent(() => {
    const istio = new Istio("istio", {
      version: PINNED.istiod,
      chartSource,
      gatewayNamespace: "edge",
      gatewayServiceType: "ClusterIP",
      gatewayReplicas: { min: 1, max: 1 },
      istiodReplicas: { min: 1, max: 1 },
      trustDomain: "cluster.local",
      outboundTrafficPolicy: "ALLOW_ANY",
      accessLogs: false,
    });
    const { controlPlane } = istio;
    const egress = { istioVersion: PINNED.gateway, chartSource, namespace: "egress", hosts: [] };
    new Egress("egress", {
      ...egress,
      allowed: [],
      trustDomain: "cluster.local",
      replicas: { min: 1, max: 1 },
      controlPlane,
    });
    new Observability("obs", {
      mode: "install",
      monitoringNamespace: "metrics",
      prometheusStackVersion: PINNED["kube-prometheus-stack"],
      chartSource,
      namespaces: {},
      istioRootNamespace: "istio-system",
      accessLogs: false,
      monitorLabels: {},
      controlPlane,
    });
    const urls = { prometheusUrl: "http://p:9090", grafanaUrl: "http://g" };
    new Kiali("kiali", {
      namespace: "metrics",
      chartVersion: PINNED["kiali-server"],
      chartSource,
      ...urls,
      controlPlane,
    });
    new Jaeger("jaeger", {
      namespace: "traces",
      chartVersion: PINNED.jaeger,
      chartSource,
      resources: RESOURCES,
    });
    new ArgoRollouts("rollouts", {
      chartVersion: PINNED["argo-rollouts"],
      chartSource,
      controllerReplicas: 1,
    });
    return {};
  });

/** The chart a release installs, by the last segments of a local chart's path or by its name. */
const chartOf = (r: Recorded): string => {
  const chart: string = r.inputs.chart;
  return chart.startsWith("/") ? chart.split("/").slice(-2)[0] : chart;
};

test("the pure decision: a repository with the version, or the chart's directory and nothing else", () => {
  expect(chartLocation(CHARTS.istiod, "1.31.1")).toEqual({
    chart: "istiod",
    version: "1.31.1",
    repositoryOpts: { repo: "https://istio-release.storage.googleapis.com/charts" },
  });
  const local = chartLocation(CHARTS.kiali, "2.29.0", SOURCE);
  expect(local).toEqual({ chart: "/srv/charts/kiali-server/2.29.0" });
  expect(Object.keys(local)).toEqual(["chart"]);
  expect(localChartDir(SOURCE, "jaeger", "4.11.1")).toBe(join(SOURCE, "jaeger", "4.11.1"));
});

test("every chart the program knows has its own name and a https repository", () => {
  const charts = Object.values(CHARTS);
  // Istio's four charts, and one per add-on; the egress gateway is Istio's gateway chart again.
  expect(new Set(charts.map((c) => c.chart)).size).toBe(charts.length);
  expect(charts.map((c) => c.chart).sort()).toEqual(Object.keys(PINNED).sort());
  for (const c of charts) expect(new URL(c.repository).protocol).toBe("https:");
});

describe.each([
  ["without a chart source", undefined],
  ["with a chart source", SOURCE],
])("every component %s", (_, source) => {
  let releases: Recorded[];
  beforeAll(async () => (releases = ofType(await render(source), T.release)));

  test("installs each chart from one place, at the version its args pin", () => {
    // Istio's four, the egress gateway, kube-prometheus-stack, Kiali, Jaeger, Argo Rollouts.
    expect(releases.map(chartOf).sort()).toEqual([...Object.keys(PINNED), "gateway"].sort());
    for (const r of releases) {
      const chart = chartOf(r);
      const repo = Object.values(CHARTS).find((c) => c.chart === chart)!.repository;
      const expected =
        source === undefined
          ? { chart, version: PINNED[chart], repositoryOpts: { repo } }
          : { chart: join(source, chart, PINNED[chart]), version: undefined, repositoryOpts: undefined };
      const { chart: actual, version, repositoryOpts } = r.inputs;
      expect({ release: r.name, chart: actual, version, repositoryOpts }).toEqual({
        release: r.name,
        ...expected,
      });
    }
  });
});

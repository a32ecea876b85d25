import { Egress } from "../../components/egress";
import { Istio, type IstioArgs } from "../../components/istio";
import { Kiali } from "../../components/kiali";
import { Observability } from "../../components/observability";
import type { MonitoringRequests } from "../../components/prometheus-stack";
import { LIMITS } from "../../components/sizes";
import type { Requests } from "../../components/types";
import {
  ISTIO_CHARTS,
  chartDataVersion,
  chartDefaults,
  chartVersions,
  deepMerge,
  unknownChartValuePaths,
} from "../support/charts";
import { ofType, runComponent, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference } from "../support/reference";
import { T } from "../support/tokens";

/**
 * What the releases ask of their nodes, alone: each request where the chart reads it, the chart's
 * limits kept beside it, and nothing set where no request is given (the chart's own then).
 */

const ask = (cpu: string, memory: string): Requests => ({ cpu, memory });
const ISTIO = {
  istiod: ask("11m", "101Mi"),
  proxy: ask("12m", "41Mi"),
  gateway: ask("13m", "42Mi"),
  cni: ask("14m", "43Mi"),
};
const MONITORING: Required<MonitoringRequests> = {
  prometheus: ask("21m", "201Mi"),
  alertmanager: ask("22m", "22Mi"),
  grafana: ask("23m", "23Mi"),
  kubeStateMetrics: ask("24m", "24Mi"),
  nodeExporter: ask("25m", "25Mi"),
  operator: ask("26m", "26Mi"),
};
const KIALI = ask("31m", "31Mi");

const ISTIO_ARGS: IstioArgs = {
  version: "1.31.1",
  trustDomain: "cluster.local",
  gatewayNamespace: "edge",
  gatewayServiceType: "ClusterIP",
  gatewayReplicas: { min: 1, max: 1 },
  istiodReplicas: { min: 1, max: 1 },
  accessLogs: false,
  outboundTrafficPolicy: "ALLOW_ANY",
};

/** Istio, the egress gateway, kube-prometheus-stack and Kiali, with requests or without. */
const render = (sized: boolean, prometheusStackVersion = "85.1.2"): Promise<ProgramRun> =>
  runComponent(() => {
    const istio = new Istio("istio", { ...ISTIO_ARGS, requests: sized ? ISTIO : undefined });
    const { controlPlane } = istio;
    new Egress("egress", {
      istioVersion: ISTIO_ARGS.version,
      namespace: "egress",
      hosts: [],
      allowed: [],
      trustDomain: "cluster.local",
      replicas: { min: 1, max: 1 },
      requests: sized ? ISTIO.gateway : undefined,
      controlPlane,
    });
    new Observability("obs", {
      mode: "install",
      monitoringNamespace: "metrics",
      prometheusStackVersion,
      namespaces: {},
      istioRootNamespace: "istio-system",
      accessLogs: false,
      monitorLabels: {},
      requests: sized ? MONITORING : undefined,
      controlPlane,
    });
    const urls = { prometheusUrl: "http://p:9090", grafanaUrl: "http://g" };
    new Kiali("kiali", {
      namespace: "metrics",
      chartVersion: "2.29.0",
      ...urls,
      requests: sized ? KIALI : undefined,
      controlPlane,
    });
    return {};
  });

const releaseNamed = (run: ProgramRun, name: string): Recorded["inputs"] => {
  const found = ofType(run, T.release).filter((r) => r.inputs.name === name);
  if (found.length !== 1) throw new Error(`expected one release ${name}, found ${found.length}`);
  return found[0].inputs;
};
const at = (obj: Recorded["inputs"], path: string) => path.split(".").reduce((o, k) => o?.[k], obj);

/** Where each release's chart reads each request (its values.yaml or subchart's), and what it asks. */
const PLACES: Array<[release: string, path: string, asked: Requests]> = [
  ["istiod", "resources", ISTIO.istiod],
  ["istiod", "global.proxy.resources", ISTIO.proxy],
  ["istio-cni", "resources", ISTIO.cni],
  ["istio-ingressgateway", "resources", ISTIO.gateway],
  ["istio-egressgateway", "resources", ISTIO.gateway],
  ["kube-prometheus-stack", "prometheus.prometheusSpec.resources", MONITORING.prometheus],
  ["kube-prometheus-stack", "alertmanager.alertmanagerSpec.resources", MONITORING.alertmanager],
  ["kube-prometheus-stack", "grafana.resources", MONITORING.grafana],
  ["kube-prometheus-stack", "kube-state-metrics.resources", MONITORING.kubeStateMetrics],
  ["kube-prometheus-stack", "prometheus-node-exporter.resources", MONITORING.nodeExporter],
  ["kube-prometheus-stack", "prometheusOperator.resources", MONITORING.operator],
  ["kiali", "deployment.resources", KIALI],
];

describe("requests as values", () => {
  let sized: ProgramRun;
  let unsized: ProgramRun;
  beforeAll(async () => {
    sized = await render(true);
    unsized = await render(false);
  });

  test.each(PLACES)("%s: %s asks what it is given, requests only", (release, path, asked) => {
    expect(at(releaseNamed(sized, release).values, path)).toEqual({ requests: asked });
  });

  test.each(PLACES)("%s: without requests, %s is left to the chart", (release, path) => {
    expect(at(releaseNamed(unsized, release).values, path)).toBeUndefined();
  });
});

describeWithReference("requests against the charts", () => {
  let sized: ProgramRun;
  beforeAll(async () => (sized = await render(true)));

  test("every value of every release exists in its chart, at every version of the data", async () => {
    const newer = await render(true, "88.5.3");
    for (const run of [sized, newer])
      for (const r of ofType(run, T.release)) {
        const { chart, version, values } = r.inputs;
        const versions = ISTIO_CHARTS.includes(chart)
          ? chartVersions(chart)
          : [chartDataVersion(chart, version)!];
        const opaque = chart === "istiod" ? ["meshConfig"] : [];
        for (const v of versions)
          expect({ chart, v, unknown: unknownChartValuePaths(chart, v, values, opaque) }).toEqual({
            chart,
            v,
            unknown: [],
          });
      }
  });

  test.each([
    ["istiod", "global.proxy.resources", LIMITS.proxy],
    ["istio-ingressgateway", "resources", LIMITS.gateway],
    ["istio-egressgateway", "resources", LIMITS.gateway],
    ["kiali", "deployment.resources", LIMITS.kiali],
  ] as const)(
    "%s: the chart's limits at %s stay, the ones the settings bound requests by",
    (release, path, limits) => {
      const r = releaseNamed(sized, release);
      const merged = deepMerge(chartDefaults(r.chart, chartDataVersion(r.chart, r.version)!), r.values);
      expect(at(merged, path)).toEqual({ requests: expect.any(Object), limits });
    },
  );
});

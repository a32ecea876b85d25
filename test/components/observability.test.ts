import { createRequire } from "node:module";
import { TRACING_PROVIDER } from "../../components/mesh";
import {
  Observability,
  grafanaUrl,
  prometheusUrl,
  type ObservabilityArgs,
} from "../../components/observability";
import { Jaeger } from "../../components/tracing";
import { specErrors } from "../program/crd-schema";
import { chartDefaults, chartFile, chartVersions, unknownChartValuePaths } from "../support/charts";
import { nameOf, namespaceOf, ofType, runComponent, type ProgramRun } from "../support/program";
import { describeWithReference } from "../support/reference";
import { T } from "../support/tokens";

/** The Observability component alone, in each monitoring mode (the program's wiring: observability.test.ts). */

const BASE: Omit<ObservabilityArgs, "mode" | "controlPlane"> = {
  monitoringNamespace: "metrics",
  prometheusStackVersion: "88.5.3",
  namespaces: { a: "ns-a", b: "ns-b" },
  istioRootNamespace: "istio-system",
  accessLogs: true,
  monitorLabels: { prometheus: "platform" },
  dashboardNamespace: "metrics",
};

function render(args: Partial<ObservabilityArgs> & Pick<ObservabilityArgs, "mode">): Promise<ProgramRun> {
  return runComponent(() => {
    const o = new Observability("obs", { ...BASE, controlPlane: [], ...args });
    return { dashboardUid: o.dashboardUid };
  });
}

const only = (run: ProgramRun, type: string) => {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};

describe("monitoring=install", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render({ mode: "install" })));

  test("installs kube-prometheus-stack at the given version into the namespace it creates", () => {
    const release = only(run, T.release);
    const ns = ofType(run, T.namespace).find((n) => nameOf(n) === BASE.monitoringNamespace);
    expect(ns).toBeDefined();
    expect(release.inputs).toMatchObject({
      chart: "kube-prometheus-stack",
      version: BASE.prometheusStackVersion,
    });
    expect(release.dependsOn).toContain(ns?.name);
  });

  test("PodMonitors and the dashboard wait for the release (its CRDs and Grafana)", () => {
    const release = only(run, T.release).name;
    for (const r of [...ofType(run, T.podMonitor), only(run, T.configMap)])
      expect(r.dependsOn).toContain(release);
    expect(namespaceOf(only(run, T.configMap))).toBe(BASE.monitoringNamespace);
    expect(run.reads).toEqual([]);
  });
});

describe("monitoring=podmonitors", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render({ mode: "podmonitors" })));

  test("one labelled PodMonitor per namespace, no release and no namespace of its own", () => {
    expect(ofType(run, T.release)).toEqual([]);
    expect(ofType(run, T.namespace)).toEqual([]);
    const monitors = ofType(run, T.podMonitor);
    expect(monitors.map(namespaceOf).sort()).toEqual(Object.values(BASE.namespaces).sort());
    for (const m of monitors) expect(m.inputs.metadata.labels).toMatchObject(BASE.monitorLabels);
  });

  test("the dashboard goes into an existing namespace, read first so that a missing one fails the preview", () => {
    const [read] = run.reads;
    expect(run.reads).toHaveLength(1);
    expect(read).toMatchObject({ type: T.namespace, id: BASE.dashboardNamespace });
    const cm = only(run, T.configMap);
    expect(namespaceOf(cm)).toBe(BASE.dashboardNamespace);
    expect(cm.dependsOn).toContain(read.name);
  });
});

describe("monitoring=none", () => {
  test("only the mesh-wide Telemetry; no dashboard, so no dashboard uid", async () => {
    const run = await render({ mode: "none" });
    expect(run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type)).toEqual([
      T.telemetry,
    ]);
    expect(run.outputs.dashboardUid).toBeUndefined();
  });
});

test("no dashboard namespace: PodMonitors but no dashboard", async () => {
  const run = await render({ mode: "podmonitors", dashboardNamespace: undefined });
  expect(ofType(run, T.podMonitor)).toHaveLength(2);
  expect(ofType(run, T.configMap)).toEqual([]);
  expect(run.reads).toEqual([]);
  expect(run.outputs.dashboardUid).toBeUndefined();
});

// Tracing, Grafana's Jaeger data source and Istio's dashboards, and the URLs of the installed stack.

const yaml = createRequire(__filename)("js-yaml") as {
  load(text: string): { name: string; dependencies?: Array<{ name: string }> };
};

/**
 * The fullname rule of the kube-prometheus-stack and grafana charts (templates/_helpers.tpl,
 * "kube-prometheus-stack.fullname" at kube-prometheus-stack-85.1.2 with `trunc 26`,
 * "grafana.fullname" at grafana-12.3.3 with `trunc 63`), without overrides.
 */
const fullname = (release: string, chart: string, limit: number) =>
  (release.includes(chart) ? release : `${release}-${chart}`).slice(0, limit).replace(/-$/, "");
/** The grafana chart's `service.port` (grafana-community/helm-charts grafana-12.3.3 values.yaml). */
const GRAFANA_SERVICE_PORT = 80;
/** The ids Istio's release publishes its dashboards to (istio/istio prow/release-commit.sh, 1.31.0-rc.0). */
const ISTIO_PUBLISHED = {
  mesh: 7639,
  performance: 11829,
  service: 7636,
  workload: 7630,
  pilot: 7645,
  extension: 13277,
  ztunnel: 21306,
};
const TELEMETRY = ["telemetry.istio.io/v1", "Telemetry"] as const;

const telemetrySpecOf = async (tracing?: { samplingPercent: number }) =>
  only(await render({ mode: "none", tracing }), T.telemetry).inputs.spec;

describe("tracing in the mesh-wide Telemetry", () => {
  test("selects the provider istiod declares, at the sampling asked for", async () => {
    const spec = await telemetrySpecOf({ samplingPercent: 25 });
    expect(spec.tracing).toEqual([{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: 25 }]);
    expect(spec.accessLogging).toBeDefined();
  });

  test("no tracing section without tracing", async () => {
    expect((await telemetrySpecOf()).tracing).toBeUndefined();
  });

  test("a sampling outside 0..100 is refused", async () => {
    await expect(render({ mode: "none", tracing: { samplingPercent: 101 } })).rejects.toThrow(
      /samplingPercent 101/,
    );
  });
});

describeWithReference("the Telemetry against the strict CRD schema", () => {
  test.each([0, 1, 100])("with tracing sampled at %d%%", async (samplingPercent) => {
    expect(specErrors(...TELEMETRY, await telemetrySpecOf({ samplingPercent }))).toEqual([]);
  });
  test("without tracing", async () => {
    expect(specErrors(...TELEMETRY, await telemetrySpecOf())).toEqual([]);
  });
});

describe("Grafana with Jaeger and Istio's dashboards", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runComponent(() => {
      const jaeger = new Jaeger("tracing", {
        namespace: "traces",
        chartVersion: "4.11.1",
        resources: { cpuRequest: "50m", cpuLimit: "1", memoryRequest: "128Mi", memoryLimit: "512Mi" },
      });
      new Observability("obs", {
        ...BASE,
        mode: "install",
        controlPlane: [],
        jaegerQueryUrl: jaeger.queryUrl,
        istioDashboards: true,
      });
      return { queryUrl: jaeger.queryUrl };
    });
  });
  const grafana = () =>
    ofType(run, T.release).find((r) => r.inputs.chart === "kube-prometheus-stack")!.inputs.values.grafana;

  test("the Jaeger data source queries the Jaeger component's query URL", () => {
    expect(grafana().additionalDataSources).toEqual([
      expect.objectContaining({ type: "jaeger", access: "proxy", url: run.outputs.queryUrl }),
    ]);
  });

  test("each dashboard provider is named as its key under `dashboards`, at the path the chart requires", () => {
    // The download script reads providers from dashboardProviders["dashboardproviders.yaml"] and
    // writes each dashboard to the path of the provider named like its `dashboards` key; values.yaml:
    // "`path` must be /var/lib/grafana/dashboards/<provider_name>" (grafana chart 12.3.3).
    const providers = grafana().dashboardProviders["dashboardproviders.yaml"].providers;
    expect(Object.keys(grafana().dashboardProviders)).toEqual(["dashboardproviders.yaml"]);
    expect(providers.map((p: { name: string }) => p.name).sort()).toEqual(
      Object.keys(grafana().dashboards).sort(),
    );
    for (const p of providers) {
      expect(p.type).toBe("file");
      expect(p.options.path).toBe(`/var/lib/grafana/dashboards/${p.name}`);
    }
  });

  test("the dashboards are Istio's published mesh, service, workload and control plane dashboards, pinned", () => {
    const dashboards = Object.values(grafana().dashboards).flatMap((d) => Object.values(d as object));
    const ids = dashboards.map((d) => d.gnetId);
    const { mesh, service, workload, pilot } = ISTIO_PUBLISHED;
    expect(ids.sort()).toEqual([mesh, service, workload, pilot].sort());
    for (const d of dashboards) expect(Number.isInteger(d.revision) && d.revision > 0).toBe(true);
  });

  describeWithReference("against kube-prometheus-stack", () => {
    test("the dashboards use the Prometheus data source the chart provisions", () => {
      const name = chartDefaults("kube-prometheus-stack", BASE.prometheusStackVersion).grafana.sidecar
        .datasources.name;
      for (const d of Object.values(grafana().dashboards).flatMap((p) => Object.values(p as object)))
        expect(d.datasource).toBe(name);
    });

    test.each(chartVersions("kube-prometheus-stack"))(
      "every value is one kube-prometheus-stack %s takes",
      (version) => {
        const release = ofType(run, T.release).find((r) => r.inputs.chart === "kube-prometheus-stack")!;
        expect(unknownChartValuePaths("kube-prometheus-stack", version, release.inputs.values)).toEqual([]);
      },
    );
  });
});

test("without a Jaeger URL or Istio's dashboards, Grafana gets neither", async () => {
  const run = await render({ mode: "install" });
  const { grafana } = only(run, T.release).inputs.values;
  expect(grafana.additionalDataSources).toBeUndefined();
  expect(grafana.dashboardProviders).toBeUndefined();
  expect(grafana.dashboards).toBeUndefined();
});

describeWithReference("prometheusUrl and grafanaUrl", () => {
  let release: string;
  beforeAll(async () => (release = only(await render({ mode: "install" }), T.release).inputs.name));
  const chart = () => yaml.load(chartFile("kube-prometheus-stack", "85.1.2", "Chart.yaml"));

  test("name the Prometheus Service kube-prometheus-stack creates for the release, at its port", () => {
    const defaults = chartDefaults("kube-prometheus-stack", "85.1.2");
    const service = `${fullname(release, chart().name, 26)}-prometheus`;
    expect(prometheusUrl(BASE.monitoringNamespace)).toBe(
      `http://${service}.${BASE.monitoringNamespace}:${defaults.prometheus.service.port}`,
    );
  });

  test("name the Grafana Service its grafana subchart creates for the release, at its port", () => {
    const subchart = chart().dependencies?.find((d) => d.name === "grafana");
    expect(subchart).toBeDefined();
    // kube-prometheus-stack leaves the subchart's Service port and names alone.
    const values = chartDefaults("kube-prometheus-stack", "85.1.2").grafana;
    expect([values.service.port, values.fullnameOverride, values.nameOverride]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(grafanaUrl(BASE.monitoringNamespace)).toBe(
      `http://${fullname(release, subchart!.name, 63)}.${BASE.monitoringNamespace}:${GRAFANA_SERVICE_PORT}`,
    );
  });
});

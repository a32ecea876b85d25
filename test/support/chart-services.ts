import { createRequire } from "node:module";
import { chartDataVersion, chartDefaults, chartFile, deepMerge } from "./charts";

/**
 * The Services the charts the program installs create for a release, named and numbered as their
 * templates do, from the reference data where it holds the facts and from the templates (cited)
 * where it does not: what an in-cluster URL the program hands to another component must reach.
 */

type Json = Record<string, unknown>;
// Chart values are arbitrary YAML; callers narrow them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Values = Record<string, any>;

const yaml = createRequire(__filename)("js-yaml") as {
  load(text: string): { name: string; dependencies?: Array<{ name: string }> };
};

/** A release as the program declares it (the inputs of a helm.v3.Release). */
export interface ReleaseInputs {
  name: string;
  chart: string;
  version: string;
  namespace: string;
  values?: Json;
}

export interface ChartService {
  name: string;
  namespace: string;
  /** Service ports, with the pod port each forwards to where the chart's values say it. */
  ports: Array<{ port: number; targetPort?: number }>;
}

/**
 * Helm's scaffolded fullname rule, without name or fullname overrides (templates/_helpers.tpl,
 * define "<chart>.fullname", of the jaeger, kube-prometheus-stack and grafana charts): the release
 * name when it contains the chart's name, else `<release>-<chart>`; cut to `limit` characters,
 * then one trailing "-" trimmed.
 */
export function chartFullname(release: string, chart: string, limit = 63): string {
  return (release.includes(chart) ? release : `${release}-${chart}`).slice(0, limit).replace(/-$/, "");
}

/**
 * The jaeger chart's Service ports (jaegertracing/helm-charts tag jaeger-4.11.1,
 * charts/jaeger/templates/jaeger/jaeger-service.yaml; the reference data holds no templates).
 */
const JAEGER_SERVICE_PORTS = [
  5775, 5778, 6831, 6832, 9411, 14250, 14267, 14268, 4317, 4318, 16686, 16685, 8888, 8889,
];
/** The grafana chart's `service.port` (grafana-community/helm-charts grafana-12.3.3 values.yaml, not in the data). */
const GRAFANA_SERVICE_PORT = 80;

const chartName = (chart: string, version: string): string =>
  yaml.load(chartFile(chart, version, "Chart.yaml")).name;

/** The Services `release`'s chart creates, for the charts whose Services the program's URLs name. */
export function chartServices(release: ReleaseInputs): ChartService[] {
  const version = chartDataVersion(release.chart, release.version);
  if (version === undefined) throw new Error(`no reference data for ${release.chart} ${release.version}`);
  const values: Values = deepMerge(chartDefaults(release.chart, version), release.values ?? {});
  const at = (name: string, ports: ChartService["ports"]): ChartService => ({
    name,
    namespace: release.namespace,
    ports,
  });
  switch (release.chart) {
    case "jaeger":
      if (values.nameOverride || values.fullnameOverride) throw new Error("jaeger: overridden names");
      return [
        at(
          chartFullname(release.name, chartName("jaeger", version)),
          JAEGER_SERVICE_PORTS.map((port) => ({ port })),
        ),
      ];
    case "kiali-server":
      // Every object is named deployment.instance_name ("kiali-server.fullname"), served on server.port.
      return [at(values.deployment.instance_name, [{ port: values.server.port }])];
    case "kube-prometheus-stack": {
      if (values.nameOverride || values.fullnameOverride)
        throw new Error("kube-prometheus-stack: overridden names");
      // templates/prometheus/service.yaml: `<fullname, cut at 26>-prometheus` on prometheus.service.port.
      const prometheus = `${chartFullname(release.name, chartName(release.chart, version), 26)}-prometheus`;
      const grafana = yaml
        .load(chartFile(release.chart, version, "Chart.yaml"))
        .dependencies?.find((d) => d.name === "grafana");
      const services = [at(prometheus, [{ port: values.prometheus.service.port }])];
      // The grafana subchart names its Service by its own fullname rule over the parent's release.
      if (grafana && values.grafana?.enabled !== false)
        services.push(
          at(chartFullname(release.name, grafana.name), [
            { port: values.grafana?.service?.port ?? GRAFANA_SERVICE_PORT },
          ]),
        );
      return services;
    }
    case "gateway":
      // "gateway.name": values.name, else the release's name (templates/_helpers.tpl); ports from service.ports.
      return [
        at(
          values.name || release.name,
          (values.service.ports as Array<{ port: number; targetPort?: number }>).map((p) => ({
            port: p.port,
            targetPort: p.targetPort,
          })),
        ),
      ];
    default:
      return [];
  }
}

/**
 * The labels the chart gives the pods of `release` (those a NetworkPolicy or a Gateway selects
 * them by), for the charts whose pods the program's policies name.
 */
export function chartPodLabels(release: ReleaseInputs): Record<string, string> {
  const version = chartDataVersion(release.chart, release.version);
  if (version === undefined) throw new Error(`no reference data for ${release.chart} ${release.version}`);
  const values: Values = deepMerge(chartDefaults(release.chart, version), release.values ?? {});
  switch (release.chart) {
    case "gateway": {
      // templates/deployment.yaml: `app: <gateway.name>` and `istio: <gateway.name without "istio-">`.
      const name: string = values.name || release.name;
      return { app: name, istio: name.replace(/^istio-/, "") };
    }
    case "jaeger":
      // "jaeger.selectorLabels" (name: the chart's, instance: the release) and the all-in-one
      // Deployment's component (templates/jaeger/jaeger-deploy.yaml at jaeger-4.11.1).
      return {
        "app.kubernetes.io/name": chartName("jaeger", version),
        "app.kubernetes.io/instance": release.name,
        "app.kubernetes.io/component": "all-in-one",
      };
    default:
      throw new Error(`no pod labels known for the ${release.chart} chart`);
  }
}

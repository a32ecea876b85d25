import { join } from "node:path";

/**
 * Every Helm chart the program installs, once: its name and the repository that publishes it; and
 * the one function that says where a release takes its chart from. Every helm.v3.Release of the
 * components spreads `chartLocation(...)`, so a local chart directory (the `chartSource` setting,
 * for clusters without internet access) reaches all of them or none.
 */

/** A chart by name, and the Helm repository that publishes it. */
export interface ChartRef {
  chart: string;
  repository: string;
}

const ISTIO_REPOSITORY = "https://istio-release.storage.googleapis.com/charts";
const istio = (chart: string): ChartRef => ({ chart, repository: ISTIO_REPOSITORY });

export const CHARTS = {
  istioBase: istio("base"),
  istiod: istio("istiod"),
  istioCni: istio("cni"),
  /** The ingress gateway and the egress gateway. */
  istioGateway: istio("gateway"),
  prometheusStack: {
    chart: "kube-prometheus-stack",
    repository: "https://prometheus-community.github.io/helm-charts",
  },
  kiali: { chart: "kiali-server", repository: "https://kiali.org/helm-charts" },
  jaeger: { chart: "jaeger", repository: "https://jaegertracing.github.io/helm-charts" },
  argoRollouts: { chart: "argo-rollouts", repository: "https://argoproj.github.io/argo-helm" },
} as const satisfies Record<string, ChartRef>;

/** The fields of a helm.v3.Release that say which chart it installs. */
export interface ChartLocation {
  chart: string;
  version?: string;
  repositoryOpts?: { repo: string };
}

/** The unpacked chart `<source>/<chart>/<version>`: the layout a chartSource directory must have. */
export function localChartDir(source: string, chart: string, version: string): string {
  return join(source, chart, version);
}

/**
 * Where a release takes `ref` at `version` from: the chart's repository, or, with a chart source,
 * the chart's directory under it and no repository. A local chart carries no `version`: Helm (and
 * pulumi-kubernetes's locateChart, provider/pkg/provider/helm_release.go) loads a directory that
 * holds a Chart.yaml as it is, without comparing versions, so the version is the path's.
 */
export function chartLocation(ref: ChartRef, version: string, source?: string): ChartLocation {
  return source === undefined
    ? { chart: ref.chart, version, repositoryOpts: { repo: ref.repository } }
    : { chart: localChartDir(source, ref.chart, version) };
}

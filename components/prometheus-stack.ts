import type * as pulumi from "@pulumi/pulumi";
import { GRAFANA_DASHBOARD_LABEL } from "./dashboard";
import { istioDashboardValues, jaegerDataSource } from "./grafana";
import { requestsValue } from "./sizes";
import type { Requests } from "./types";

/** The values of the kube-prometheus-stack release: what it scrapes, what Grafana shows, what each part asks. */

/**
 * The Prometheus data source kube-prometheus-stack provisions in its Grafana (values.yaml
 * `grafana.sidecar.datasources.name`, left at its default).
 */
export const PROMETHEUS_DATASOURCE = "Prometheus";

/** What the installed Grafana shows besides the labelled dashboards. */
export interface GrafanaOptions {
  /** Jaeger's HTTP query URL: a Jaeger data source when present. */
  jaegerQueryUrl?: pulumi.Input<string>;
  /** Istio's dashboards from grafana.com. */
  istioDashboards?: boolean;
}

/**
 * What each part of kube-prometheus-stack asks of its node; a part left out keeps the chart's own
 * (none, except Alertmanager's 200Mi of memory, which the Prometheus Operator adds when none is set).
 */
export interface MonitoringRequests {
  prometheus?: Requests;
  alertmanager?: Requests;
  grafana?: Requests;
  kubeStateMetrics?: Requests;
  nodeExporter?: Requests;
  operator?: Requests;
}

/** `resources` asking for `requests` when there are some, nothing otherwise. */
const asked = (requests?: Requests) => (requests ? requestsValue(requests) : {});

/**
 * kube-prometheus-stack values: Prometheus picks up every PodMonitor, Grafana every labelled
 * dashboard, and each part asks what `requests` says. Grafana, kube-state-metrics and the node
 * exporter are the chart's subcharts: each takes its container's `resources` at the top of its own
 * values (grafana-community/helm-charts grafana-12.3.3, prometheus-community/helm-charts
 * kube-state-metrics-7.3.0 and prometheus-node-exporter-4.55.0, values.yaml `resources: {}`).
 */
export function prometheusStackValues(
  grafana: GrafanaOptions = {},
  requests: MonitoringRequests = {},
): Record<string, unknown> {
  const [labelKey, labelValue] = Object.entries(GRAFANA_DASHBOARD_LABEL)[0];
  const subcharts = {
    ...(requests.kubeStateMetrics ? { "kube-state-metrics": asked(requests.kubeStateMetrics) } : {}),
    ...(requests.nodeExporter ? { "prometheus-node-exporter": asked(requests.nodeExporter) } : {}),
  };
  return {
    ...(requests.operator ? { prometheusOperator: asked(requests.operator) } : {}),
    prometheus: {
      prometheusSpec: {
        podMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
        ...asked(requests.prometheus),
      },
    },
    ...(requests.alertmanager ? { alertmanager: { alertmanagerSpec: asked(requests.alertmanager) } } : {}),
    grafana: {
      sidecar: { dashboards: { enabled: true, label: labelKey, labelValue, searchNamespace: "ALL" } },
      // Beside the chart's own Prometheus and Alertmanager data sources, in its sidecar's
      // ConfigMap (templates/grafana/configmaps-datasources.yaml); the subchart's own
      // `datasources` would clash with that sidecar.
      ...(grafana.jaegerQueryUrl !== undefined
        ? { additionalDataSources: [jaegerDataSource(grafana.jaegerQueryUrl)] }
        : {}),
      ...(grafana.istioDashboards ? istioDashboardValues(PROMETHEUS_DATASOURCE) : {}),
      ...asked(requests.grafana),
    },
    ...subcharts,
  };
}

import { MONITORING_MODES } from "../components/types";
import { DNS_LABEL, parseLabels } from "./formats";
import { between, int, matches, oneOf, str } from "./key";

/** Rows of the settings table: Prometheus, the PodMonitors, the Grafana dashboard, tracing. */

export const OBSERVABILITY_KEYS = {
  monitoring: oneOf(MONITORING_MODES, {
    description:
      "install: kube-prometheus-stack in monitoringNamespace; podmonitors: PodMonitors for an existing Prometheus Operator; none.",
    default: { dev: "install", staging: "podmonitors", prod: "podmonitors" },
  }),
  prometheusStackVersion: str({
    description: "Version of the kube-prometheus-stack chart when monitoring is install.",
    // prometheus-community/helm-charts tag kube-prometheus-stack-85.1.2.
    default: "85.1.2",
    valid: matches(/^\d+\.\d+\.\d+$/),
    expected: "a chart version such as 85.1.2",
  }),
  monitorLabels: str({
    description:
      "Labels (k=v, comma-separated) on the PodMonitors, for a Prometheus that selects monitors by label (kube-prometheus-stack at its defaults: release=<its release name>).",
    // dev: the installed Prometheus selects every PodMonitor. A kube-prometheus-stack release named
    // kube-prometheus-stack, left at its defaults, selects PodMonitors labelled
    // release=kube-prometheus-stack (and Grafana dashboards in every namespace).
    default: { dev: "", staging: "release=kube-prometheus-stack", prod: "release=kube-prometheus-stack" },
    valid: (v: string) => parseLabels(v) !== undefined,
    expected: "comma-separated key=value Kubernetes labels, e.g. release=kube-prometheus-stack",
  }),
  grafanaDashboardNamespace: str({
    description:
      "Namespace of the Grafana dashboard ConfigMap; it must exist unless it is the monitoringNamespace that monitoring=install creates. Default: monitoringNamespace. Empty: no dashboard.",
    optional: true,
    valid: (v: string) => v === "" || DNS_LABEL.test(v),
    expected: "a DNS label, or empty for no dashboard",
  }),
  traceSamplingPercent: int({
    description: "Percent of requests traced. Must be 0: no tracing provider is configured yet.",
    default: 0,
    range: between(0, 100, "a percentage"),
    // Sampled spans need a tracing provider (meshConfig.extensionProviders); without one istiod
    // only logs "Provider lookup failed" and nothing is traced.
    valid: (v: number) => v === 0,
    expected: "0: no tracing provider is configured, so sampled spans would go nowhere",
  }),
} as const;

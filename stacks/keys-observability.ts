import { MONITORING_MODES, TRACING_BACKENDS } from "../components/types";
import { DNS_LABEL, HOST_NAME, parseLabels } from "./formats";
import { between, bool, int, matches, oneOf, str } from "./key";

const chartVersion = (example: string) => ({
  valid: matches(/^\d+\.\d+\.\d+$/),
  expected: `a chart version such as ${example}`,
});

/** Rows of the settings table: Prometheus, the PodMonitors, Grafana and its dashboards, tracing, Kiali. */

const KIALI_KEY_BYTES = [16, 24, 32];
/**
 * kiali-server 2.29.0 templates/_helpers.tpl "kiali-server.extract-secret": a signing_key matching
 * this mounts the named Secret instead.
 */
const SECRET_REFERENCE = /^secret:.+:.+/;

/** What is wrong with a collector address (`; ...`), or "" when it is host:port. */
export function collectorDefect(v: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (scheme) return `; no scheme (${scheme[1]}://): host:port only`;
  const colon = v.lastIndexOf(":");
  const [host, port] = colon < 0 ? [v, ""] : [v.slice(0, colon), v.slice(colon + 1)];
  // The sidecars dial it by name, and a single label would resolve in the caller's namespace only.
  if (!HOST_NAME.test(host)) {
    return `; the host ${JSON.stringify(host)} is not a lowercase DNS name with a dot`;
  }
  if (port === "") return "; the port is missing";
  if (!/^\d+$/.test(port)) return `; the port ${JSON.stringify(port)} is not a number from 1 to 65535`;
  if (Number(port) < 1 || Number(port) > 65535) return `; the port ${port} is not from 1 to 65535`;
  return "";
}

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
  istioDashboards: bool({
    description:
      "Load Istio's published Grafana dashboards (mesh, service, workload, control plane) from grafana.com into the installed Grafana (monitoring=install).",
    default: { dev: true, staging: false, prod: false },
  }),
  tracing: oneOf(TRACING_BACKENDS, {
    description:
      "Where the sidecars send spans: jaeger (installed in tracingNamespace), external (tracingCollector), none.",
    default: { dev: "jaeger", staging: "external", prod: "external" },
  }),
  tracingCollector: str({
    description: "OTLP/gRPC collector as host:port, when tracing is external.",
    optional: true,
    requiredWhen: { key: "tracing", is: "external" },
    valid: (v: string) => collectorDefect(v) === "",
    expected: "host:port, e.g. otel-collector.observability.svc.cluster.local:4317",
    detail: collectorDefect,
  }),
  traceSamplingPercent: int({
    description: "Percent of pings traced (the pinger's sampling decision, which every sidecar follows).",
    default: { dev: 100, staging: 10, prod: 1 },
    range: between(0, 100, "a percentage"),
  }),
  tracingNamespace: str({
    description: "Namespace the Jaeger backend is installed in, when tracing is jaeger.",
    default: "tracing",
    valid: matches(DNS_LABEL),
    expected: "a DNS label",
  }),
  jaegerChartVersion: str({
    description: "Version of the jaeger chart (jaegertracing/helm-charts) when tracing is jaeger.",
    // jaegertracing/helm-charts charts/jaeger/Chart.yaml version 4.11.1 (commit 6c602b54).
    default: "4.11.1",
    ...chartVersion("4.11.1"),
  }),
  kiali: bool({
    description:
      "Install Kiali (read-only, anonymous) in monitoringNamespace, wired to the stack's Prometheus, Grafana and Jaeger.",
    default: { dev: true, staging: false, prod: false },
  }),
  kialiChartVersion: str({
    description: "Version of the kiali-server chart when kiali is on.",
    // kiali/helm-charts tag v2.29.0.
    default: "2.29.0",
    ...chartVersion("2.29.0"),
  }),
  kialiSigningKey: str({
    description:
      "Key Kiali encrypts its session cookies with (login_token.signing_key; set with --secret). Unset: a random one, kept in state (random provider).",
    secret: true,
    optional: true,
    // Kiali uses it as an AES key: kiali/kiali config/config.go validateSigningKey requires
    // len(signingKey) (bytes, as Go counts a string) to be 16, 24 or 32, and
    // business/authentication/session_persistor.go passes it to aes.NewCipher for AES-GCM.
    valid: (v: string) => KIALI_KEY_BYTES.includes(Buffer.byteLength(v)) && !SECRET_REFERENCE.test(v),
    expected: "16, 24 or 32 bytes (ASCII characters): Kiali's AES key",
    detail: (v: string) =>
      SECRET_REFERENCE.test(v)
        ? " (the chart reads secret:<name>:<key> as a reference to a Secret, not as the key)"
        : "",
    summary: (v: string) => `secret of ${Buffer.byteLength(v)} bytes`,
  }),
} as const;

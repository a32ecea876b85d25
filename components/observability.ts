import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, chartLocation } from "./charts";
import type { PodMonitorSpec, TelemetrySpec } from "./crds";
import { GRAFANA_DASHBOARD_LABEL, dashboardConfigMapData, pingpongDashboard } from "./dashboard";
import { standardLabels } from "./labels";
import { ISTIO, TRACING_PROVIDER } from "./mesh";
import { prometheusStackValues, type MonitoringRequests } from "./prometheus-stack";
import type { MonitoringMode } from "./types";
import { serviceSelector } from "./workload";

export const PROMETHEUS_CHART_REPO = CHARTS.prometheusStack.repository;
/** kube-prometheus-stack's release name: the names of its Services derive from it. */
export const PROMETHEUS_STACK_RELEASE = "kube-prometheus-stack";
export const DASHBOARD_UID = "pingpong-overview";
/**
 * Service ports: Prometheus at `prometheus.service.port` (kube-prometheus-stack 85.1.2 values.yaml),
 * Grafana at the grafana subchart's `service.port` (grafana-community/helm-charts grafana-12.3.3).
 */
export const PROMETHEUS_STACK_PORTS = { prometheus: 9090, grafana: 80 } as const;

/**
 * Helm's scaffolded fullname rule, which the jaeger, kube-prometheus-stack and grafana charts keep
 * (templates/_helpers.tpl, define "<chart>.fullname", without name or fullname overrides): the
 * release name when it contains the chart's name, else `<release>-<chart>`; cut to `limit`
 * characters, then one trailing "-" trimmed. kube-prometheus-stack cuts at 26, leaving room for
 * the suffixes of its components.
 */
export function helmFullname(release: string, chart: string, limit = 63): string {
  const name = release.includes(chart) ? release : `${release}-${chart}`;
  return name.slice(0, limit).replace(/-$/, "");
}

/**
 * In-cluster URL of the Prometheus this program's kube-prometheus-stack runs: its Service is
 * `<fullname>-prometheus` (templates/prometheus/service.yaml at kube-prometheus-stack-85.1.2).
 */
export function prometheusUrl(monitoringNamespace: string): string {
  const service = `${helmFullname(PROMETHEUS_STACK_RELEASE, "kube-prometheus-stack", 26)}-prometheus`;
  return `http://${service}.${monitoringNamespace}:${PROMETHEUS_STACK_PORTS.prometheus}`;
}

/**
 * In-cluster URL of its Grafana: the grafana subchart names its Service by its own fullname rule
 * applied to the parent's release name (grafana chart templates/service.yaml, "grafana.fullname").
 */
export function grafanaUrl(monitoringNamespace: string): string {
  const service = helmFullname(PROMETHEUS_STACK_RELEASE, "grafana");
  return `http://${service}.${monitoringNamespace}:${PROMETHEUS_STACK_PORTS.grafana}`;
}

/**
 * Where the sidecar serves merged metrics: the app's own (from its prometheus.io annotations),
 * Envoy's and the agent's, in plaintext, so a Prometheus outside the mesh scrapes pods under STRICT mTLS.
 */
export const MERGED_METRICS = { port: ISTIO.agentPort, path: "/stats/prometheus" } as const;

export type { MonitoringMode } from "./types";
export {
  PROMETHEUS_DATASOURCE,
  prometheusStackValues,
  type GrafanaOptions,
  type MonitoringRequests,
} from "./prometheus-stack";

/**
 * PodMonitor spec scraping pingpong's merged metrics in one namespace.
 *
 * Prometheus discovers only ports that a container declares, and the agent's port 15020 is served
 * but not declared. So the endpoint selects the one port the injected proxy declares, then
 * rewrites the address to the port the injector wrote into the pod's prometheus.io/port annotation
 * (15020 with Prometheus merge on), as Istio's own samples/addons/extras/prometheus-operator.yaml
 * does. The regex keeps IPv6 addresses (`[fd00::1]:15090`) whole. With native sidecars the proxy is
 * an init container; Prometheus's pod discovery lists init containers' ports too
 * (prometheus/prometheus discovery/kubernetes/pod.go).
 */
export function podMonitorSpec(): PodMonitorSpec {
  return {
    selector: { matchLabels: serviceSelector() },
    podMetricsEndpoints: [
      {
        port: ISTIO.proxy.declaredPortName,
        path: MERGED_METRICS.path,
        interval: "15s",
        relabelings: [
          {
            action: "replace",
            sourceLabels: ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
            regex: "(.+):\\d+;(\\d+)",
            replacement: "$1:$2",
            targetLabel: "__address__",
          },
        ],
      },
    ],
  };
}

/** Spans through the tracing provider istiod's meshConfig declares, at a sampling rate. */
export interface TracingTelemetry {
  /**
   * Percent of requests without a prior sampling decision that are traced; a request carrying a
   * W3C traceparent keeps its caller's decision (istio/api telemetry.proto, randomSamplingPercentage).
   */
  samplingPercent: number;
}

/** The Telemetry spec with tracing (telemetry.istio.io/v1 `spec.tracing[]`). */
export type MeshTelemetrySpec = TelemetrySpec & {
  tracing?: Array<{ providers: Array<{ name: string }>; randomSamplingPercentage: number }>;
};

/** Telemetry spec for the whole mesh: Envoy access logs, and tracing when asked. */
export function telemetrySpec(accessLogs: boolean, tracing?: TracingTelemetry): MeshTelemetrySpec {
  const spec: MeshTelemetrySpec = {
    accessLogging: [{ providers: [{ name: "envoy" }], disabled: !accessLogs }],
  };
  if (tracing) {
    const percent = tracing.samplingPercent;
    if (!(percent >= 0 && percent <= 100)) {
      throw new Error(`tracing.samplingPercent ${percent}: expected 0 to 100`);
    }
    spec.tracing = [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: percent }];
  }
  return spec;
}

export interface ObservabilityArgs {
  mode: MonitoringMode;
  /** Namespace of Prometheus and Grafana (created when mode is install). */
  monitoringNamespace: string;
  prometheusStackVersion: string;
  /** A directory of unpacked charts, `<chartSource>/<chart>/<version>/`; absent: the chart's repository. */
  chartSource?: string;
  /** Namespaces whose pingpong pods are scraped and charted. */
  namespaces: Record<string, pulumi.Input<string>>;
  istioRootNamespace: pulumi.Input<string>;
  accessLogs: boolean;
  /** Tracing in the mesh-wide Telemetry, through TRACING_PROVIDER; none when absent. */
  tracing?: TracingTelemetry;
  /** Jaeger's HTTP query URL, a data source of the installed Grafana (mode install only). */
  jaegerQueryUrl?: pulumi.Input<string>;
  /** Istio's published dashboards in the installed Grafana (mode install only). */
  istioDashboards?: boolean;
  /** What each part of kube-prometheus-stack asks (mode install only); absent: the chart's own. */
  requests?: MonitoringRequests;
  /** Labels on the PodMonitors: what the Prometheus in charge selects them by. */
  monitorLabels: Record<string, string>;
  /**
   * Namespace of the dashboard ConfigMap (absent: no dashboard). Unless it is the monitoring
   * namespace this component creates, it must exist: it is read first, so a missing one fails the
   * preview ("resource '<name>' does not exist", see pulumi/pulumi-kubernetes#2743) instead of the
   * update.
   */
  dashboardNamespace?: string;
  controlPlane: pulumi.Resource[];
}

/**
 * Scraping, telemetry and the dashboard: kube-prometheus-stack when asked, PodMonitors for the
 * pingpong pods, an Istio Telemetry resource and the generated Grafana dashboard as a ConfigMap.
 */
export class Observability extends pulumi.ComponentResource {
  /** The dashboard's uid; undefined when no dashboard is created. */
  public readonly dashboardUid: string | undefined = DASHBOARD_UID;
  /** The monitoring namespace and kube-prometheus-stack when installed: what reads their Services waits for. */
  public readonly installed: pulumi.Resource[] = [];

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:observability:Observability", name, {}, opts);
    const labels = standardLabels("pingpong", "observability");
    new k8s.apiextensions.CustomResource(
      `${name}-telemetry`,
      {
        apiVersion: "telemetry.istio.io/v1",
        kind: "Telemetry",
        // In the root namespace, a Telemetry without selector applies to the whole mesh.
        metadata: { name: "mesh-default", namespace: args.istioRootNamespace, labels },
        spec: telemetrySpec(args.accessLogs, args.tracing),
      },
      { parent: this, dependsOn: args.controlPlane },
    );
    if (args.mode === "none") {
      this.dashboardUid = undefined;
      this.registerOutputs({ dashboardUid: this.dashboardUid });
      return;
    }

    let operator: pulumi.Resource[] = [];
    let monitoringNs: pulumi.Input<string> = args.monitoringNamespace;
    if (args.mode === "install") {
      const ns = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        { metadata: { name: args.monitoringNamespace, labels: standardLabels("monitoring", "namespace") } },
        { parent: this },
      );
      monitoringNs = ns.metadata.name;
      this.installed.push(ns);
      operator = [
        new k8s.helm.v3.Release(
          `${name}-kube-prometheus-stack`,
          {
            name: PROMETHEUS_STACK_RELEASE,
            ...chartLocation(CHARTS.prometheusStack, args.prometheusStackVersion, args.chartSource),
            namespace: ns.metadata.name,
            values: prometheusStackValues(
              { jaegerQueryUrl: args.jaegerQueryUrl, istioDashboards: args.istioDashboards },
              args.requests,
            ),
            atomic: true,
            timeout: 900,
          },
          { parent: this },
        ),
      ];
      this.installed.push(...operator);
    }
    for (const [key, namespace] of Object.entries(args.namespaces)) {
      new k8s.apiextensions.CustomResource(
        `${name}-${key}-podmonitor`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: "pingpong", namespace, labels: { ...labels, ...args.monitorLabels } },
          spec: podMonitorSpec(),
        },
        { parent: this, dependsOn: operator },
      );
    }
    if (args.dashboardNamespace === undefined) {
      this.dashboardUid = undefined;
      this.registerOutputs({ dashboardUid: this.dashboardUid });
      return;
    }
    const dashboardNs: pulumi.Input<string> =
      args.mode === "install" && args.dashboardNamespace === args.monitoringNamespace
        ? monitoringNs
        : k8s.core.v1.Namespace.get(`${name}-dashboard-namespace`, args.dashboardNamespace, {
            parent: this,
          }).metadata.name;
    const namespaceNames = pulumi.all(Object.values(args.namespaces));
    new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: {
          name: "pingpong-dashboard",
          namespace: dashboardNs,
          labels: { ...labels, ...GRAFANA_DASHBOARD_LABEL },
        },
        data: namespaceNames.apply((names) =>
          dashboardConfigMapData(
            pingpongDashboard({ uid: DASHBOARD_UID, title: "pingpong", namespaces: names }),
          ),
        ),
      },
      { parent: this, dependsOn: operator },
    );
    this.registerOutputs({ dashboardUid: this.dashboardUid });
  }
}

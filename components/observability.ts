import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PodMonitorSpec, TelemetrySpec } from "./crds";
import { GRAFANA_DASHBOARD_LABEL, dashboardConfigMapData, pingpongDashboard } from "./dashboard";
import { standardLabels } from "./labels";
import { ISTIO } from "./mesh";
import type { MonitoringMode } from "./types";
import { serviceSelector } from "./workload";

export const PROMETHEUS_CHART_REPO = "https://prometheus-community.github.io/helm-charts";
export const DASHBOARD_UID = "pingpong-overview";

/**
 * Where the sidecar serves merged metrics: the app's own (from its prometheus.io annotations),
 * Envoy's and the agent's, in plaintext, so a Prometheus outside the mesh scrapes pods under STRICT mTLS.
 */
export const MERGED_METRICS = { port: ISTIO.agentPort, path: "/stats/prometheus" } as const;

export type { MonitoringMode } from "./types";

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

/** Telemetry spec for the whole mesh: Envoy access logs (tracing waits for a tracing provider). */
export function telemetrySpec(accessLogs: boolean): TelemetrySpec {
  return { accessLogging: [{ providers: [{ name: "envoy" }], disabled: !accessLogs }] };
}

/** kube-prometheus-stack values: Prometheus picks up every PodMonitor, Grafana every labelled dashboard. */
export function prometheusStackValues(): Record<string, unknown> {
  const [labelKey, labelValue] = Object.entries(GRAFANA_DASHBOARD_LABEL)[0];
  return {
    prometheus: {
      prometheusSpec: {
        podMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelectorNilUsesHelmValues: false,
      },
    },
    grafana: {
      sidecar: { dashboards: { enabled: true, label: labelKey, labelValue, searchNamespace: "ALL" } },
    },
  };
}

export interface ObservabilityArgs {
  mode: MonitoringMode;
  /** Namespace of Prometheus and Grafana (created when mode is install). */
  monitoringNamespace: string;
  prometheusStackVersion: string;
  /** Namespaces whose pingpong pods are scraped and charted. */
  namespaces: Record<string, pulumi.Input<string>>;
  istioRootNamespace: pulumi.Input<string>;
  accessLogs: boolean;
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
        spec: telemetrySpec(args.accessLogs),
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
      operator = [
        new k8s.helm.v3.Release(
          `${name}-kube-prometheus-stack`,
          {
            name: "kube-prometheus-stack",
            chart: "kube-prometheus-stack",
            version: args.prometheusStackVersion,
            namespace: ns.metadata.name,
            repositoryOpts: { repo: PROMETHEUS_CHART_REPO },
            values: prometheusStackValues(),
            atomic: true,
            timeout: 900,
          },
          { parent: this },
        ),
      ];
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

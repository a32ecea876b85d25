/**
 * The pingpong Grafana dashboard, generated in code (panels in dashboard-panels.ts) and
 * provisioned through a ConfigMap the kube-prometheus-stack Grafana sidecar picks up by label.
 */
import { appPanels, istioPanels } from "./dashboard-panels";
import { customVariable, datasourceVariable, renderPanels, type GrafanaDashboard } from "./grafana";

/** The label the kube-prometheus-stack Grafana sidecar looks for on dashboard ConfigMaps (its default). */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** The key of the dashboard in its ConfigMap (the file name the sidecar writes). */
export const DASHBOARD_FILE = "pingpong.json";

export interface DashboardOptions {
  uid: string;
  title: string;
  /** The namespaces the `namespace` variable offers (pingpong-a and pingpong-b). */
  namespaces: string[];
}

/** The pingpong dashboard's JSON model. Throws on an invalid uid or namespace list. */
export function pingpongDashboard(opts: DashboardOptions): GrafanaDashboard {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(opts.uid)) {
    throw new Error(
      `dashboard uid ${JSON.stringify(opts.uid)}: expected 1 to 40 letters, digits, '-' or '_'`,
    );
  }
  if (opts.title.trim() === "") throw new Error("dashboard title: expected a non-empty string");
  if (opts.namespaces.length === 0) throw new Error("dashboard namespaces: expected at least one namespace");
  for (const n of opts.namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n)) {
      throw new Error(`dashboard namespace ${JSON.stringify(n)}: expected a Kubernetes namespace name`);
    }
  }
  if (new Set(opts.namespaces).size !== opts.namespaces.length) {
    throw new Error(`dashboard namespaces ${JSON.stringify(opts.namespaces)}: expected no duplicates`);
  }

  return {
    id: null,
    uid: opts.uid,
    title: opts.title,
    tags: ["pingpong", "istio"],
    timezone: "browser",
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    annotations: { list: [] },
    templating: {
      list: [datasourceVariable(), customVariable("namespace", "Namespace", opts.namespaces)],
    },
    panels: renderPanels([...appPanels(), ...istioPanels()]),
  };
}

/** The data of the ConfigMap that provisions the dashboard through the Grafana sidecar. */
export function dashboardConfigMapData(d: GrafanaDashboard): Record<typeof DASHBOARD_FILE, string> {
  return { [DASHBOARD_FILE]: JSON.stringify(d) };
}

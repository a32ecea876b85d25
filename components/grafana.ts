/**
 * Grafana's dashboard JSON model, for the parts the generated dashboards use, and the rendering
 * of panel specs into it: every panel queries Prometheus through the `datasource` variable. Also
 * what the grafana chart provisions from values: data sources and dashboards from grafana.com.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The name of the dashboard variable that picks the Prometheus data source. */
const DATASOURCE_VARIABLE = "datasource";
const DATASOURCE = { type: "prometheus", uid: `\${${DATASOURCE_VARIABLE}}` } as const;
const GRID_WIDTH = 24;

export interface GrafanaDatasourceRef {
  type: "prometheus";
  uid: string;
}

export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: GrafanaDatasourceRef;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GrafanaThresholdStep {
  color: string;
  value: number | null;
}

export interface GrafanaPanel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  description: string;
  gridPos: GridPos;
  datasource: GrafanaDatasourceRef;
  targets: GrafanaTarget[];
  fieldConfig: {
    defaults: {
      unit: string;
      min?: number;
      max?: number;
      thresholds?: { mode: "absolute"; steps: GrafanaThresholdStep[] };
    };
    overrides: unknown[];
  };
  options: Record<string, unknown>;
}

export interface GrafanaVariableOption {
  text: string;
  value: string;
  selected: boolean;
}

export interface GrafanaDatasourceVariable {
  name: string;
  label: string;
  type: "datasource";
  query: "prometheus";
  current: Record<string, never>;
  hide: 0;
  refresh: 1;
  regex: string;
  options: [];
}

export interface GrafanaCustomVariable {
  name: string;
  label: string;
  type: "custom";
  query: string;
  multi: boolean;
  includeAll: boolean;
  current: { selected: boolean; text: string[]; value: string[] };
  options: GrafanaVariableOption[];
  hide: 0;
}

export interface GrafanaDashboard {
  id: null;
  uid: string;
  title: string;
  tags: string[];
  timezone: string;
  editable: boolean;
  graphTooltip: number;
  schemaVersion: 39;
  version: number;
  refresh: string;
  time: { from: string; to: string };
  annotations: { list: unknown[] };
  templating: { list: Array<GrafanaDatasourceVariable | GrafanaCustomVariable> };
  panels: GrafanaPanel[];
}

/** What a panel shows; its id and position are given when the dashboard is rendered. */
export interface PanelSpec {
  type: GrafanaPanel["type"];
  title: string;
  description: string;
  unit: string;
  width: number;
  height: number;
  queries: Array<{ expr: string; legendFormat: string }>;
  min?: number;
  max?: number;
  thresholds?: GrafanaThresholdStep[];
}

/** Places panels left to right, wrapping at the grid width; a row is as tall as its tallest panel. */
function layout(specs: PanelSpec[]): GridPos[] {
  const positions: GridPos[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const spec of specs) {
    if (x + spec.width > GRID_WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    positions.push({ x, y, w: spec.width, h: spec.height });
    x += spec.width;
    rowHeight = Math.max(rowHeight, spec.height);
  }
  return positions;
}

function toPanel(spec: PanelSpec, id: number, gridPos: GridPos): GrafanaPanel {
  const defaults: GrafanaPanel["fieldConfig"]["defaults"] = { unit: spec.unit };
  if (spec.min !== undefined) defaults.min = spec.min;
  if (spec.max !== undefined) defaults.max = spec.max;
  if (spec.thresholds) defaults.thresholds = { mode: "absolute", steps: spec.thresholds };
  const options: Record<string, unknown> =
    spec.type === "stat"
      ? {
          reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
          colorMode: "background",
          graphMode: "none",
          textMode: "value_and_name",
          orientation: "auto",
        }
      : {
          legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["mean", "max"] },
          tooltip: { mode: "multi", sort: "desc" },
        };
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    gridPos,
    datasource: { ...DATASOURCE },
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode("A".charCodeAt(0) + i),
      expr: q.expr,
      legendFormat: q.legendFormat,
      datasource: { ...DATASOURCE },
    })),
    fieldConfig: { defaults, overrides: [] },
    options,
  };
}

/** Panels with ids from 1, laid out in order on the grid. */
export function renderPanels(specs: PanelSpec[]): GrafanaPanel[] {
  const positions = layout(specs);
  return specs.map((spec, i) => toPanel(spec, i + 1, positions[i]));
}

/** The variable that picks the Prometheus data source every panel queries. */
export function datasourceVariable(): GrafanaDatasourceVariable {
  return {
    name: DATASOURCE_VARIABLE,
    label: "Data source",
    type: "datasource",
    query: "prometheus",
    current: {},
    hide: 0,
    refresh: 1,
    regex: "",
    options: [],
  };
}

/** A multi-value variable over fixed values, `All` selected. */
export function customVariable(name: string, label: string, values: string[]): GrafanaCustomVariable {
  return {
    name,
    label,
    type: "custom",
    query: values.join(","),
    multi: true,
    includeAll: true,
    current: { selected: true, text: ["All"], value: ["$__all"] },
    options: [
      { text: "All", value: "$__all", selected: true },
      ...values.map((v) => ({ text: v, value: v, selected: false })),
    ],
    hide: 0,
  };
}

// Provisioning through the grafana chart (kube-prometheus-stack's `grafana.*` values) -----------

/**
 * Istio's dashboards on grafana.com: the ids Istio's release publishes to (istio/istio
 * prow/release-commit.sh, `dashboards:` block, at 1.31.0-rc.0). Istio publishes a new revision of
 * each for every release (istio.io docs/ops/integrations/grafana). Revision 300 of each is the one
 * canton-network/splice cluster/pulumi/infra/src/istio.ts pins for Istio 1.29.2 ("updated from
 * https://grafana.com/orgs/istio/dashboards"; consumed as `revision` for 7645, 7639, 7636 and 7630
 * in hyperledger-labs/splice cluster/pulumi/infra/src/observability.ts): the newest revisions a
 * public source shows existing as one set, for Istio 1.29.
 */
export const ISTIO_DASHBOARDS = {
  "istio-mesh": { gnetId: 7639, revision: 300 },
  "istio-service": { gnetId: 7636, revision: 300 },
  "istio-workload": { gnetId: 7630, revision: 300 },
  "istio-control-plane": { gnetId: 7645, revision: 300 },
} as const;

/** The dashboard provider (and Grafana folder) Istio's dashboards are filed under. */
export const ISTIO_DASHBOARD_PROVIDER = "istio";

/**
 * Where the grafana chart's download script writes a provider's dashboards: "`path` must be
 * /var/lib/grafana/dashboards/<provider_name>" (grafana-community/helm-charts grafana-12.3.3
 * charts/grafana/values.yaml, dashboardProviders; templates/_config.tpl download_dashboards.sh).
 */
export function dashboardProviderPath(provider: string): string {
  return `/var/lib/grafana/dashboards/${provider}`;
}

/**
 * The grafana chart's `dashboardProviders` and `dashboards` for Istio's dashboards: an init
 * container downloads each from grafana.com at its pinned revision, so Grafana needs egress to
 * grafana.com:443 when it starts. `datasource` replaces the dashboards' data source references by
 * that data source's name (the chart's string form).
 */
export function istioDashboardValues(datasource: string): Record<string, unknown> {
  const provider = ISTIO_DASHBOARD_PROVIDER;
  return {
    dashboardProviders: {
      // The download script reads the providers from exactly this key.
      "dashboardproviders.yaml": {
        apiVersion: 1,
        providers: [
          {
            name: provider,
            orgId: 1,
            folder: "Istio",
            type: "file",
            disableDeletion: false,
            editable: true,
            options: { path: dashboardProviderPath(provider) },
          },
        ],
      },
    },
    dashboards: {
      [provider]: Object.fromEntries(
        Object.entries(ISTIO_DASHBOARDS).map(([key, d]) => [key, { ...d, datasource }]),
      ),
    },
  };
}

/** A data source in Grafana's provisioning format (kube-prometheus-stack `grafana.additionalDataSources`). */
export interface GrafanaDataSource {
  name: string;
  uid: string;
  type: string;
  access: "proxy";
  url: pulumi.Input<string>;
  editable: boolean;
}

/** Jaeger as a data source: Grafana's server queries its HTTP query API (`access: proxy`). */
export function jaegerDataSource(url: pulumi.Input<string>): GrafanaDataSource {
  return { name: "Jaeger", uid: "jaeger", type: "jaeger", access: "proxy", url, editable: false };
}

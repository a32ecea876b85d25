import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { readReference, readReferenceJson, referencePath } from "./reference";

/**
 * Facts about the Helm charts and Istio APIs the program drives, read from the upstream reference
 * data (see reference.ts): chart defaults, istiod's injection template, MeshConfig fields.
 */

interface YamlModule {
  load(text: string): unknown;
}
const yaml = createRequire(__filename)("js-yaml") as YamlModule;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The Istio charts: they keep their defaults under `_internal_defaults_do_not_set`. */
export const ISTIO_CHARTS = ["base", "istiod", "cni", "gateway", "ztunnel"];
const INTERNAL_DEFAULTS = "_internal_defaults_do_not_set";

/** Versions of a chart present in the reference data. */
export function chartVersions(chart: string): string[] {
  const dir = referencePath("upstream", "charts", chart);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/**
 * The reference data's version of `chart` for a pinned `version`: the same version, else, for
 * Istio's charts only, the same minor line (the data holds one release per Istio minor, and Istio's
 * chart values do not change within one). Any other chart must be pinned at a version the data has.
 */
export function chartDataVersion(chart: string, version: string): string | undefined {
  const versions = chartVersions(chart);
  if (versions.includes(version)) return version;
  if (!ISTIO_CHARTS.includes(chart)) return undefined;
  const minor = /^(\d+\.\d+)\./.exec(version)?.[1];
  return versions.filter((v) => v.startsWith(`${minor}.`)).pop();
}

export function chartFile(chart: string, version: string, file: string): string {
  return readReference("upstream", "charts", chart, version, file);
}

/** A chart's defaults as a user sees them: Istio's internal defaults lifted to the top level. */
// Chart values are arbitrary YAML; tests narrow them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function chartDefaults(chart: string, version: string): Record<string, any> {
  const raw = yaml.load(chartFile(chart, version, "values.yaml"));
  if (!isObject(raw)) throw new Error(`${chart} ${version}: values.yaml is not a mapping`);
  const { [INTERNAL_DEFAULTS]: internal, ...rest } = raw;
  return isObject(internal) ? deepMerge(internal, rest) : rest;
}

/** Helm's merge of user values over defaults: maps merge key by key, anything else replaces. */
export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(base[k]) ? deepMerge(base[k], v) : v;
  }
  return out;
}

/** Dotted paths of every leaf of `values` (a non-object, an array or an empty map). */
export function leafPaths(values: Json, prefix = ""): string[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return isObject(v) && Object.keys(v).length > 0 ? leafPaths(v, path) : [path];
  });
}

/**
 * Paths of `values` the chart does not know. A path is known when every key on it exists in the
 * defaults, or when it passes through a map the chart leaves open (a default of `{}`, such as
 * `env` or `podAnnotations`, takes any keys). `opaque` lists prefixes checked elsewhere (meshConfig).
 */
export function unknownValuePaths(values: Json, defaults: Json, opaque: string[] = []): string[] {
  return leafPaths(values).filter((path) => {
    if (opaque.some((p) => path === p || path.startsWith(`${p}.`))) return false;
    let node: unknown = defaults;
    for (const key of path.split(".")) {
      if (!isObject(node)) return true;
      if (Object.keys(node).length === 0) return false;
      if (!(key in node)) return true;
      node = node[key];
    }
    return false;
  });
}

/** Field names of Istio's MeshConfig and ProxyConfig (camelCase), as `meshConfig.*` accepts them. */
export function meshFields(): { MeshConfig: string[]; ProxyConfig: string[] } {
  return readReferenceJson("upstream", "istio-api", "mesh-fields.json");
}

/** The oldest Kubernetes minor (1.N) that an Istio version supports, from istioctl's MinK8SVersion. */
export function minKubernetesMinor(istioVersion: string): number | undefined {
  const table = readReferenceJson<Record<string, { minKubernetesMinor: number }>>(
    "upstream",
    "istio-api",
    "min-kubernetes.json",
  );
  const minor = /^(\d+\.\d+)\./.exec(istioVersion)?.[1];
  const key = table[istioVersion] ? istioVersion : Object.keys(table).find((v) => v.startsWith(`${minor}.`));
  return key ? table[key].minKubernetesMinor : undefined;
}

export interface DeclaredPort {
  name?: string;
  containerPort: number;
}

/**
 * The ports the injector gives the `istio-proxy` container, read from istiod's injection
 * template: the `ports:` list that follows `- name: istio-proxy`. The template is Go-templated
 * YAML, so the list is read line by line rather than parsed as a document.
 */
export function injectedProxyPorts(template: string): DeclaredPort[] {
  const lines = template.split("\n");
  const start = lines.findIndex((l) => /^\s*- name: istio-proxy\s*$/.test(l));
  if (start < 0) throw new Error("injection template: no istio-proxy container");
  const portsAt = lines.findIndex((l, i) => i > start && /^\s*ports:\s*$/.test(l));
  if (portsAt < 0) throw new Error("injection template: istio-proxy declares no ports");
  const indent = /^(\s*)/.exec(lines[portsAt])?.[1].length ?? 0;
  const ports: DeclaredPort[] = [];
  for (const line of lines.slice(portsAt + 1)) {
    const lineIndent = /^(\s*)/.exec(line)?.[1].length ?? 0;
    if (line.trim() === "" || line.trim().startsWith("{{")) continue;
    // The list ends at the next key of the container (same indent, not an item) or above it.
    if (lineIndent < indent || (lineIndent === indent && !line.trimStart().startsWith("-"))) break;
    const port = /containerPort:\s*(\d+)/.exec(line);
    if (port) ports.push({ containerPort: Number(port[1]) });
    const name = /\bname:\s*([\w-]+)/.exec(line);
    if (name && ports.length > 0) ports[ports.length - 1].name = name[1];
  }
  return ports;
}

export function injectionTemplate(istioVersion: string): string {
  const version = chartDataVersion("istiod", istioVersion);
  if (!version) throw new Error(`no istiod reference data for Istio ${istioVersion}`);
  return chartFile("istiod", version, join("files", "injection-template.yaml"));
}

/** A container's `resources` as a subchart passes it on: a ResourceRequirements. */
const containerResources = { requests: {}, limits: {} };
/** kube-prometheus-stack's subcharts' values the program sets (BEYOND_VALUES_YAML cites the sources). */
const subchartValues = {
  grafana: { dashboardProviders: {}, dashboards: {}, resources: containerResources },
  "kube-state-metrics": { resources: containerResources },
  "prometheus-node-exporter": { resources: containerResources },
};

/**
 * Values a chart takes beyond the keys of its values.yaml, each from the upstream source that says
 * so. A map `{}` is open (any keys below it); a leaf names the JSON type the source gives.
 */
const BEYOND_VALUES_YAML: Record<string, Record<string, Json>> = {
  gateway: {
    // values.schema.json (in the data) declares `global` an object of any keys, while values.yaml
    // lists only global.networkPolicy: the program's image pair is taken. The chart's templates read
    // no hub or tag (its pods ask for `image: auto`, which istiod's injection fills).
    "1.30.3": { global: { hub: "string", tag: "string" } },
    "1.31.0-rc.0": { global: { hub: "string", tag: "string" } },
  },
  istiod: {
    // istio/istio 1.31.0-rc.0 manifests/charts/istio-control/istio-discovery/templates/
    // validatingwebhookconfiguration.yaml reads `.Values.base.validationURL` (clientConfig.url) and
    // `.Values.base.validationCABundle` (clientConfig.caBundle); its values.yaml declares neither
    // (the base chart's does).
    "1.31.0-rc.0": { base: { validationURL: "string", validationCABundle: "string" } },
  },
  jaeger: {
    // jaegertracing/helm-charts tag jaeger-4.11.1, charts/jaeger/templates/jaeger/jaeger-deploy.yaml:
    // `{{- with .Values.jaeger.resources }}` (values.yaml has the key commented out).
    "4.11.1": { jaeger: { resources: {} } },
  },
  "kube-prometheus-stack": {
    // The grafana subchart's own values, open maps at their defaults: grafana-community/helm-charts
    // charts/grafana/values.yaml `dashboardProviders: {}` and `dashboards: {}` at grafana-12.3.3
    // (the dependency of 85.1.2) and grafana-12.11.1 (of 88.5.3). Each subchart's container
    // `resources: {}` at the top of its values.yaml, a ResourceRequirements (requests, limits, each
    // a ResourceList): grafana-12.3.3, kube-state-metrics-7.3.0, prometheus-node-exporter-4.55.0
    // (of 85.1.2); grafana-12.11.1, kube-state-metrics-8.4.0, prometheus-node-exporter-4.56.1 (of 88.5.3).
    "85.1.2": subchartValues,
    "88.5.3": subchartValues,
  },
  "kiali-server": {
    // The chart renders all of .Values into Kiali's config (kiali/helm-charts v2.29.0
    // kiali-server/templates/configmap.yaml), so Kiali CR keys are values too. Keys and types of
    // spec.external_services.{prometheus,grafana,tracing} in kiali/kiali-operator v2.29.0
    // crd-docs/crd/kiali.io_kialis.yaml, without those marked "DEPRECATED" (in_cluster_url, url).
    "2.29.0": {
      external_services: {
        prometheus: {
          auth: {},
          cache_duration: "integer",
          cache_enabled: "boolean",
          cache_expiration: "integer",
          custom_headers: {},
          enabled: "boolean",
          health_check_url: "string",
          is_core: "boolean",
          query_scope: {},
          thanos_proxy: {},
          url: "string",
        },
        grafana: {
          auth: {},
          dashboards: "array",
          datasource_uid: "string",
          enabled: "boolean",
          external_url: "string",
          health_check_url: "string",
          internal_url: "string",
          is_core: "boolean",
        },
        tracing: {
          auth: {},
          custom_headers: {},
          disable_version_check: "boolean",
          enabled: "boolean",
          external_url: "string",
          grpc_port: "integer",
          health_check_url: "string",
          internal_url: "string",
          is_core: "boolean",
          namespace_selector: "boolean",
          provider: "string",
          query_scope: {},
          query_timeout: "integer",
          tempo_config: {},
          use_grpc: "boolean",
          use_waypoint_name: "boolean",
          whitelist_istio_system: "array",
        },
      },
    },
  },
};

/** The keys `chart` at `version` takes beyond its values.yaml (see BEYOND_VALUES_YAML); {} if none. */
export function valuesBeyondDefaults(chart: string, version: string): Json {
  return BEYOND_VALUES_YAML[chart]?.[version] ?? {};
}

/** Everything a chart takes: its defaults, and the keys its sources add to them. */
// Chart values are arbitrary YAML; tests narrow them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function acceptedValues(chart: string, version: string): Record<string, any> {
  return deepMerge(valuesBeyondDefaults(chart, version), chartDefaults(chart, version));
}

/** Paths of `values` that `chart` at `version` does not take (unknownValuePaths over acceptedValues). */
export function unknownChartValuePaths(
  chart: string,
  version: string,
  values: Json,
  opaque: string[] = [],
): string[] {
  return unknownValuePaths(values, acceptedValues(chart, version), opaque);
}

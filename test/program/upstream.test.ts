import Ajv from "ajv";
import type { Settings } from "../../stacks/settings";
import {
  ISTIO_CHARTS,
  chartDataVersion,
  chartDefaults,
  chartFile,
  chartVersions,
  deepMerge,
  injectedProxyPorts,
  injectionTemplate,
  meshFields,
  minKubernetesMinor,
  unknownValuePaths,
  type DeclaredPort,
} from "../support/charts";
import { inNamespace, nameOf, namespaceOf, ofType, runVariants, type ProgramRun } from "../support/program";
import { kindNodeImage } from "../support/kind";
import { describeWithReference } from "../support/reference";

/**
 * The program against the systems it drives, as their upstream sources define them (Helm chart
 * defaults and schemas, istiod's injection template, Istio's API): what a real cluster would
 * refuse or silently ignore, which the program's own constants cannot show.
 */

// Recorded inputs and chart values are arbitrary JSON; tests narrow them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const T = {
  release: "kubernetes:helm.sh/v3:Release",
  deployment: "kubernetes:apps/v1:Deployment",
  job: "kubernetes:batch/v1:Job",
  namespace: "kubernetes:core/v1:Namespace",
  service: "kubernetes:core/v1:Service",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
  authorizationPolicy: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
} as const;

type Variant = "dev" | "prod" | "manyIstiod" | "trustDomain" | "ingress";
const VARIANTS: Record<Variant, { stack: string; config: Record<string, string | number> }> = {
  dev: { stack: "dev", config: {} },
  prod: { stack: "prod", config: {} },
  // Above the chart's default autoscaleMax (5): min and max must both reach the autoscaler.
  manyIstiod: { stack: "prod", config: { istiodReplicas: 6, istiodMaxReplicas: 8 } },
  trustDomain: { stack: "dev", config: { trustDomain: "pingpong.example.org" } },
  ingress: { stack: "dev", config: { tlsTermination: "ingress" } },
};
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);
const ALL = Object.keys(VARIANTS) as Variant[];

/** istiod's chart copies anything under `pilot` to the top level (templates/zzy_descope_legacy.yaml). */
const descoped = (r: Json): Json => {
  if (r.chart !== "istiod" || r.values.pilot === undefined) return r;
  const { pilot, ...rest } = r.values;
  return { ...r, values: deepMerge(rest, pilot) };
};
const releases = (run: ProgramRun): Json[] => ofType(run, T.release).map((r) => descoped(r.inputs));
const release = (run: ProgramRun, chart: string): Json => {
  const found = releases(run).filter((r) => r.chart === chart);
  if (found.length !== 1) throw new Error(`expected one ${chart} release, found ${found.length}`);
  return found[0];
};
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("wiring the mesh's identity and the Ingress controller", () => {
  test("istiod issues identities in the trust domain the AuthorizationPolicies name", () => {
    for (const v of ["dev", "trustDomain"] as const) {
      const trustDomain = release(runs[v], "istiod").values.meshConfig.trustDomain;
      const principals = ofType(runs[v], T.authorizationPolicy).flatMap((p) =>
        (p.inputs.spec.rules ?? []).flatMap((rule: Json) =>
          (rule.from ?? []).flatMap((f: Json) => f.source?.principals ?? []),
        ),
      );
      expect(principals.length).toBeGreaterThan(0);
      expect(principals.filter((p: string) => !p.startsWith(`${trustDomain}/ns/`))).toEqual([]);
    }
    expect(release(runs.trustDomain, "istiod").values.meshConfig.trustDomain).toBe("pingpong.example.org");
  });

  test("ingress-nginx dials the Service with its cluster host, so the mesh routes it over mTLS", () => {
    const run = runs.ingress;
    const [ingress] = ofType(run, T.ingress);
    const backend = ingress.inputs.spec.rules[0].http.paths[0].backend.service.name;
    const service = inNamespace(run, T.service, namespaceOf(ingress)).find((s) => nameOf(s) === backend);
    expect(service).toBeDefined();
    expect(ingress.inputs.metadata.annotations).toEqual({
      "nginx.ingress.kubernetes.io/service-upstream": "true",
      "nginx.ingress.kubernetes.io/upstream-vhost": `${nameOf(service!)}.${namespaceOf(service!)}.svc.cluster.local`,
    });
  });
});

describeWithReference("Helm values against the charts at their pinned versions", () => {
  test.each(ALL)("%s: every chart and version the program installs has reference data", (v) => {
    for (const r of releases(runs[v])) {
      expect({ chart: r.chart, version: r.version, data: chartDataVersion(r.chart, r.version) }).toEqual({
        chart: r.chart,
        version: r.version,
        data: expect.any(String),
      });
    }
  });

  test.each(ALL)("%s: every value the program sets exists in its chart", (v) => {
    for (const r of releases(runs[v])) {
      // Istio's charts at every version of the data, so that an istioVersion override stays safe too.
      const versions = ISTIO_CHARTS.includes(r.chart)
        ? chartVersions(r.chart)
        : [chartDataVersion(r.chart, r.version)!];
      for (const version of versions) {
        const opaque = r.chart === "istiod" ? ["meshConfig"] : [];
        expect({
          chart: r.chart,
          version,
          unknown: unknownValuePaths(r.values, chartDefaults(r.chart, version), opaque),
        }).toEqual({
          chart: r.chart,
          version,
          unknown: [],
        });
      }
    }
  });

  test.each(ALL)(
    "%s: meshConfig sets MeshConfig fields, defaultConfig and pod proxy config ProxyConfig fields",
    (v) => {
      const fields = meshFields();
      const { defaultConfig = {}, ...mesh } = release(runs[v], "istiod").values.meshConfig;
      expect(Object.keys(mesh).filter((k) => !fields.MeshConfig.includes(k))).toEqual([]);
      expect(Object.keys(defaultConfig).filter((k) => !fields.ProxyConfig.includes(k))).toEqual([]);
      const podProxyConfigs = [...ofType(runs[v], T.deployment), ...ofType(runs[v], T.job)]
        .map((r) => r.inputs.spec.template.metadata?.annotations?.["proxy.istio.io/config"])
        .filter((a): a is string => typeof a === "string");
      expect(podProxyConfigs.length).toBeGreaterThan(0);
      for (const config of podProxyConfigs)
        expect(Object.keys(JSON.parse(config)).filter((k) => !fields.ProxyConfig.includes(k))).toEqual([]);
    },
  );

  test.each(ALL)("%s: the gateway chart's values.schema.json accepts the values", (v) => {
    const gateway = release(runs[v], "gateway");
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const version of chartVersions("gateway")) {
      const validate = ajv.compile(JSON.parse(chartFile("gateway", version, "values.schema.json")));
      validate(gateway.values);
      expect({ version, errors: validate.errors ?? [] }).toEqual({ version, errors: [] });
    }
  });

  /** istiod's replicas as its chart renders them (templates/autoscale.yaml and deployment.yaml). */
  function istiodReplicas(values: Json, version: string): { hpa?: [number, number]; replicas?: number } {
    const v: Json = deepMerge(chartDefaults("istiod", version), values);
    if (v.autoscaleEnabled && v.autoscaleMin && v.autoscaleMax)
      return { hpa: [v.autoscaleMin, v.autoscaleMax] };
    return { replicas: v.replicaCount };
  }

  test.each(ALL)("%s: istiod runs the replicas the settings ask for, under the chart's rules", (v) => {
    const { min, max } = settings[v].mesh.istiodReplicas;
    for (const version of chartVersions("istiod")) {
      const rendered = istiodReplicas(release(runs[v], "istiod").values, version);
      expect(rendered).toEqual(max > min ? { hpa: [min, max] } : { replicas: min });
      if (rendered.hpa) expect(rendered.hpa[0]).toBeLessThanOrEqual(rendered.hpa[1]);
    }
  });

  test.each(ALL)(
    "%s: the gateway runs the replicas the settings ask for, with a budget only above one",
    (v) => {
      const { minReplicas, maxReplicas } = settings[v].mesh.gateway;
      for (const version of chartVersions("gateway")) {
        const g: Json = deepMerge(chartDefaults("gateway", version), release(runs[v], "gateway").values);
        if (g.autoscaling.enabled)
          expect([g.autoscaling.minReplicas, g.autoscaling.maxReplicas]).toEqual([minReplicas, maxReplicas]);
        else expect(g.replicaCount).toBe(minReplicas);
        // values.yaml: a budget "can be only enabled if autoscaling is enabled with minReplicas > 1
        // or if autoscaling is disabled but replicaCount > 1".
        const floor = g.autoscaling.enabled ? g.autoscaling.minReplicas : g.replicaCount;
        if (Object.keys(g.podDisruptionBudget ?? {}).length > 0) expect(floor).toBeGreaterThan(1);
      }
    },
  );
});

describeWithReference("Prometheus against the pods the injector builds", () => {
  /** Ports Prometheus can discover on an injected pingpong pod: its own and the injected proxy's. */
  function declaredPorts(run: ProgramRun, deployment: Json, istioVersion: string): DeclaredPort[] {
    const own: DeclaredPort[] = deployment.spec.template.spec.containers.flatMap((c: Json) => c.ports ?? []);
    const ns = ofType(run, T.namespace).find((n) => nameOf(n) === deployment.metadata.namespace);
    const injected = ns?.inputs.metadata.labels?.["istio-injection"] === "enabled";
    return injected ? [...own, ...injectedProxyPorts(injectionTemplate(istioVersion))] : own;
  }

  test("the injection template is read: istio-proxy declares the Envoy stats port", () => {
    for (const version of chartVersions("istiod")) {
      expect(injectedProxyPorts(injectionTemplate(version)).length).toBeGreaterThan(0);
    }
  });

  test.each(["dev", "prod"] as const)("%s: each PodMonitor endpoint scrapes a port its pods declare", (v) => {
    const run = runs[v];
    const monitors = ofType(run, T.podMonitor);
    expect(monitors.length).toBe(2);
    for (const m of monitors) {
      const pods = inNamespace(run, T.deployment, namespaceOf(m)).filter((d) =>
        matches(m.inputs.spec.selector.matchLabels, d.inputs.spec.template.metadata.labels),
      );
      expect(pods.length).toBeGreaterThan(0);
      for (const d of pods) {
        const ports = declaredPorts(run, d.inputs, settings[v].mesh.istioVersion);
        for (const e of m.inputs.spec.podMetricsEndpoints) {
          const found = ports.filter((p) =>
            e.port !== undefined ? p.name === e.port : p.containerPort === e.portNumber,
          );
          expect({ endpoint: e.port ?? e.portNumber, declared: found.length > 0 }).toEqual({
            endpoint: e.port ?? e.portNumber,
            declared: true,
          });
        }
      }
    }
  });

  test.each(["dev", "prod"] as const)(
    "%s: an address rewritten to the injector's prometheus.io/port reaches the agent, which the NetworkPolicy admits",
    (v) => {
      const run = runs[v];
      const statusPort = chartDefaults("istiod", chartDataVersion("istiod", settings[v].mesh.istioVersion)!)
        .global.proxy.statusPort;
      for (const m of ofType(run, T.podMonitor)) {
        const rewrites = m.inputs.spec.podMetricsEndpoints
          .flatMap((e: Json) => e.relabelings ?? [])
          .filter(
            (r: Json) =>
              r.targetLabel === "__address__" &&
              r.sourceLabels.includes("__meta_kubernetes_pod_annotation_prometheus_io_port"),
          );
        expect(rewrites.length).toBe(1);
        // Prometheus applies the regex to the joined source labels, anchored; IPv4 and IPv6 both.
        const re = new RegExp(`^(?:${rewrites[0].regex})$`);
        for (const address of ["10.244.1.7:15090", "[fd00:10:244::7]:15090"]) {
          const joined = `${address};${statusPort}`;
          const host = address.replace(/:\d+$/, "");
          expect(joined.replace(re, rewrites[0].replacement.replace(/\$(\d)/g, "$$$1"))).toBe(
            `${host}:${statusPort}`,
          );
        }
        // The injector rewrites prometheus.io/port only on pods that ask to be scraped.
        for (const d of inNamespace(run, T.deployment, namespaceOf(m)))
          expect(d.inputs.spec.template.metadata.annotations["prometheus.io/scrape"]).toBe("true");
        const policies = inNamespace(run, T.networkPolicy, namespaceOf(m));
        expect(policies.length).toBeGreaterThan(0);
        for (const p of policies) {
          const scraperPorts = p.inputs.spec.ingress
            .filter((rule: Json) =>
              rule.from.some(
                (f: Json) =>
                  f.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ===
                  settings[v].namespaces.monitoring,
              ),
            )
            .flatMap((rule: Json) => rule.ports.map((port: Json) => port.port));
          expect(scraperPorts).toContain(statusPort);
        }
      }
    },
  );

  test("PodMonitors outside dev carry the label kube-prometheus-stack selects by at its defaults", () => {
    const version = release(runs.dev, "kube-prometheus-stack").version;
    const prometheusSpec = chartDefaults(
      "kube-prometheus-stack",
      chartDataVersion("kube-prometheus-stack", version)!,
    ).prometheus.prometheusSpec;
    // With this default and no selector, the chart selects PodMonitors labelled release=<release
    // name> (templates/prometheus/prometheus.yaml); the name is the one dev installs it under.
    expect(prometheusSpec.podMonitorSelectorNilUsesHelmValues).toBe(true);
    const releaseName = release(runs.dev, "kube-prometheus-stack").name;
    for (const m of ofType(runs.prod, T.podMonitor))
      expect(m.inputs.metadata.labels.release).toBe(releaseName);
  });
});

describeWithReference("the dev cluster against Istio's supported Kubernetes versions", () => {
  test("the pinned kind node image runs a Kubernetes the pinned Istio supports", () => {
    const istioVersion = settings.dev.mesh.istioVersion;
    const minimum = minKubernetesMinor(istioVersion);
    expect({ istioVersion, minimum }).toEqual({ istioVersion, minimum: expect.any(Number) });
    // istioctl refuses a cluster below the minimum (istioctl/pkg/install/k8sversion/version.go).
    expect(kindNodeImage().minor).toBeGreaterThanOrEqual(minimum!);
  });
});

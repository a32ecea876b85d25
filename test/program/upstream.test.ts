import Ajv from "ajv";
import { Istio } from "../../components/istio";
import { plan } from "../../stacks/plan";
import { parseSettings, type Settings } from "../../stacks/settings";
import {
  ISTIO_CHARTS,
  chartDataVersion,
  chartDefaults,
  chartFile,
  chartVersions,
  deepMerge,
  meshFields,
  unknownChartValuePaths,
} from "../support/charts";
import {
  engineConfig,
  inNamespace,
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { describeWithReference } from "../support/reference";
import { stackConfig } from "../support/stack-files";
import { T, chartRelease as release, chartReleases as releases } from "./lookup";
import { workloads } from "./workloads";

/**
 * The program against the systems it drives, as their upstream sources define them (Helm chart
 * defaults and schemas, Istio's API): what a real cluster would refuse or silently ignore, which the
 * program's own constants cannot show. Prometheus against the injected pods: upstream-prometheus.test.ts.
 */

type Json = Recorded["inputs"];

/** The whole program: the stack files, and dev with TLS at an Ingress controller. */
const PROGRAM = {
  dev: SHARED_VARIANTS.dev,
  prod: SHARED_VARIANTS.prod,
  ingress: SHARED_VARIANTS["dev-ingress"],
};
/** Istio alone, with the arguments the program gives it, for values no stack file sets. */
const ISTIO_ALONE = {
  // Above the chart's default autoscaleMax (5): min and max must both reach the autoscaler.
  manyIstiod: { stack: "prod", config: { istiodReplicas: 6, istiodMaxReplicas: 8 } },
  trustDomain: { stack: "dev", config: { trustDomain: "pingpong.example.org" } },
};
type Program = keyof typeof PROGRAM;
type Variant = Program | keyof typeof ISTIO_ALONE;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(async () => {
  await runVariants<Program>(PROGRAM, runs, settings);
  for (const [name, { stack, config }] of Object.entries(ISTIO_ALONE)) {
    const s = parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
    settings[name as Variant] = s;
    runs[name as Variant] = await runComponent(
      () => ({ version: new Istio("istio", plan(s).istio).version }),
      stack,
    );
  }
}, 120_000);
const PROGRAMS = Object.keys(PROGRAM) as Program[];
const ALL = [...PROGRAMS, ...(Object.keys(ISTIO_ALONE) as Variant[])];

describe("wiring the mesh's identity and the Ingress controller", () => {
  test.each(PROGRAMS)(
    "%s: istiod issues identities in the trust domain the AuthorizationPolicies name",
    (v) => {
      const trustDomain = release(runs[v], "istiod").values.meshConfig.trustDomain;
      expect(trustDomain).toBe(settings[v].mesh.trustDomain);
      const principals = ofType(runs[v], T.authorizationPolicy).flatMap((p) =>
        (p.inputs.spec.rules ?? []).flatMap((rule: Json) =>
          (rule.from ?? []).flatMap((f: Json) => f.source?.principals ?? []),
        ),
      );
      expect(principals.length).toBeGreaterThan(0);
      expect(principals.filter((p: string) => !p.startsWith(`${trustDomain}/ns/`))).toEqual([]);
    },
  );

  test("a trust domain of the stack's own reaches istiod (MeshSecurity names principals in the one it is given)", () => {
    expect(settings.trustDomain.mesh.trustDomain).not.toBe(settings.dev.mesh.trustDomain);
    expect(release(runs.trustDomain, "istiod").values.meshConfig.trustDomain).toBe(
      settings.trustDomain.mesh.trustDomain,
    );
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
      // Every object the program applies (components/ownership.ts).
      "pulumi.com/patchForce": "true",
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
    // Every release, the add-ons' and the egress gateway's too.
    if (v === "dev")
      expect(releases(runs[v]).map((r) => r.chart)).toEqual(
        expect.arrayContaining(["jaeger", "kiali-server", "argo-rollouts", "kube-prometheus-stack"]),
      );
    for (const r of releases(runs[v])) {
      // Istio's charts at every version of the data, so that an istioVersion override stays safe too.
      const versions = ISTIO_CHARTS.includes(r.chart)
        ? chartVersions(r.chart)
        : [chartDataVersion(r.chart, r.version)!];
      for (const version of versions) {
        const opaque = r.chart === "istiod" ? ["meshConfig"] : [];
        // The chart's values.yaml, and the keys its templates read beyond it (charts.ts, with sources).
        expect({
          chart: r.chart,
          version,
          unknown: unknownChartValuePaths(r.chart, version, r.values, opaque),
        }).toEqual({
          chart: r.chart,
          version,
          unknown: [],
        });
      }
    }
  });

  test.each(ALL)("%s: meshConfig sets MeshConfig fields, defaultConfig ProxyConfig fields", (v) => {
    const fields = meshFields();
    const { defaultConfig = {}, ...mesh } = release(runs[v], "istiod").values.meshConfig;
    expect(Object.keys(mesh).filter((k) => !fields.MeshConfig.includes(k))).toEqual([]);
    expect(Object.keys(defaultConfig).filter((k) => !fields.ProxyConfig.includes(k))).toEqual([]);
  });

  test.each(PROGRAMS)("%s: the pods' own proxy config sets ProxyConfig fields", (v) => {
    const fields = meshFields();
    // Every pod template the program declares: its workloads', its Jobs', the canary analysis's Job's.
    const analysisJobs = ofType(runs[v], T.analysisTemplate).flatMap((t) =>
      (t.inputs.spec.metrics as Json[]).flatMap((m) =>
        m.provider.job ? [m.provider.job.spec.template] : [],
      ),
    );
    expect(analysisJobs.length).toBe(settings[v].delivery ? 1 : 0);
    const templates = [...workloads(runs[v]), ...ofType(runs[v], T.job)].map((r) => r.inputs.spec.template);
    const podProxyConfigs = [...templates, ...analysisJobs]
      .map((t: Json) => t.metadata?.annotations?.["proxy.istio.io/config"])
      .filter((a): a is string => typeof a === "string");
    expect(podProxyConfigs.length).toBeGreaterThan(0);
    for (const config of podProxyConfigs)
      expect(Object.keys(JSON.parse(config)).filter((k) => !fields.ProxyConfig.includes(k))).toEqual([]);
  });

  /**
   * Each release of Istio's gateway chart, with the replicas it should run: the ingress gateway
   * the settings' gateway replicas, the egress gateway (where there is one, with no replica settings
   * of its own) the plan's.
   */
  const gatewayReleases = (v: Variant): Array<{ values: Json; replicas: { min: number; max: number } }> => {
    const s = settings[v];
    const p = plan(s);
    return releases(runs[v])
      .filter((r) => r.chart === "gateway")
      .map((r) => ({
        values: r.values,
        replicas:
          r.namespace === s.namespaces.gateway
            ? { min: s.mesh.gateway.minReplicas, max: s.mesh.gateway.maxReplicas }
            : p.addons.egress!.replicas,
      }));
  };

  test.each(PROGRAMS)("%s: the egress gateway is a second release of the gateway chart", (v) => {
    const namespaces = releases(runs[v])
      .filter((r) => r.chart === "gateway")
      .map((r) => r.namespace);
    expect(namespaces.sort()).toEqual(
      [settings[v].namespaces.gateway, settings[v].egress.gateway!.namespace].sort(),
    );
  });

  test.each(ALL)("%s: the gateway chart's values.schema.json accepts every gateway's values", (v) => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const version of chartVersions("gateway")) {
      const validate = ajv.compile(JSON.parse(chartFile("gateway", version, "values.schema.json")));
      for (const { values } of gatewayReleases(v)) {
        validate(values);
        expect({ version, errors: validate.errors ?? [] }).toEqual({ version, errors: [] });
      }
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

  test.each(ALL)("%s: each gateway runs the replicas asked for, with a budget only above one", (v) => {
    for (const version of chartVersions("gateway")) {
      for (const { values, replicas } of gatewayReleases(v)) {
        const g: Json = deepMerge(chartDefaults("gateway", version), values);
        if (g.autoscaling.enabled)
          expect([g.autoscaling.minReplicas, g.autoscaling.maxReplicas]).toEqual([
            replicas.min,
            replicas.max,
          ]);
        else expect(g.replicaCount).toBe(replicas.min);
        // values.yaml: a budget "can be only enabled if autoscaling is enabled with minReplicas > 1
        // or if autoscaling is disabled but replicaCount > 1".
        const floor = g.autoscaling.enabled ? g.autoscaling.minReplicas : g.replicaCount;
        if (Object.keys(g.podDisruptionBudget ?? {}).length > 0) expect(floor).toBeGreaterThan(1);
      }
    }
  });
});

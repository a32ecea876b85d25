import type { Settings } from "../../stacks/settings";
import { nameOf, namespaceOf, ofType, type ProgramRun } from "../support/program";
import { ISTIO_CHARTS } from "../support/charts";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, release, releaseNamespace } from "./lookup";

/**
 * Istio as the program installs it for each stack, and what waits for its control plane. The
 * component alone: test/components/istio.test.ts; its values against the charts: upstream.test.ts.
 */

const CHART_REPO = "https://istio-release.storage.googleapis.com/charts";
const ISTIO_CR = /^kubernetes:[a-z.]*istio\.io\//;

const VARIANTS = { dev: SHARED_VARIANTS.dev, prod: SHARED_VARIANTS.prod };
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

describe.each(["dev", "prod"] as const)("Istio on %s", (env) => {
  const run = () => runs[env];
  const s = () => settings[env];
  /** The releases every Istio custom resource and the pingpong namespaces wait for. */
  const controlPlane = () => ["base", "istiod", "cni"].map((chart) => release(run(), chart).name);

  test("Istio's releases from the official repository at the pinned version; besides them only the add-ons'", () => {
    const monitoring = s().observability.monitoring === "install" ? ["kube-prometheus-stack"] : [];
    expect(s().observability.monitoring).toBe(env === "dev" ? "install" : "podmonitors");
    // The chart of each add-on the stack turns on, at the version its settings pin.
    const tracing = s().observability.tracing;
    const addons: Record<string, string | undefined> = {
      "kube-prometheus-stack": monitoring.length > 0 ? s().observability.prometheusStackVersion : undefined,
      jaeger: tracing.backend === "jaeger" ? tracing.chartVersion : undefined,
      "kiali-server": s().observability.kiali?.chartVersion,
      "argo-rollouts": s().delivery?.chartVersion,
    };
    const pinned = Object.entries(addons).filter(([, version]) => version !== undefined);
    // Istio's gateway chart twice where the stack runs an egress gateway beside the ingress gateway.
    const istio = ["base", "cni", "gateway", "istiod", ...(s().egress.gateway ? ["gateway"] : [])];
    const all = ofType(run(), T.release);
    expect(all.map((r) => r.inputs.chart).sort()).toEqual([...istio, ...pinned.map(([c]) => c)].sort());
    for (const [chart, version] of pinned)
      expect({ chart, version: release(run(), chart).inputs.version }).toEqual({ chart, version });
    const releases = all.filter((r) => ISTIO_CHARTS.includes(r.inputs.chart));
    expect(releases).toHaveLength(istio.length);
    expect(s().mesh.istioVersion).toBe("1.31.1");
    for (const r of releases) {
      expect({
        chart: r.inputs.chart,
        version: r.inputs.version,
        repo: r.inputs.repositoryOpts?.repo,
      }).toEqual({
        chart: r.inputs.chart,
        version: s().mesh.istioVersion,
        repo: CHART_REPO,
      });
    }
    // Istio's own default: istioctl, the charts and the sidecars look for istiod there.
    expect(releaseNamespace(release(run(), "istiod"))).toBe("istio-system");
    const gateways = ofType(run(), T.release).filter((r) => r.inputs.chart === "gateway");
    expect(gateways.map(releaseNamespace).sort()).toEqual(
      [s().namespaces.gateway, ...(s().egress.gateway ? [s().egress.gateway!.namespace] : [])].sort(),
    );
  });

  test("install order: base -> istiod -> cni -> gateway; the egress gateway after istiod and cni too", () => {
    const deps = (chart: string, namespace?: string) => release(run(), chart, namespace).dependsOn ?? [];
    const [base, istiod, cni] = controlPlane();
    expect(deps("istiod")).toContain(base);
    expect(deps("cni")).toContain(istiod);
    expect(deps("gateway", s().namespaces.gateway)).toEqual(expect.arrayContaining([istiod, cni]));
    expect(deps("base")).not.toContain(istiod);
    const egress = s().egress.gateway;
    expect(egress).toBeDefined();
    if (egress) expect(deps("gateway", egress.namespace)).toEqual(expect.arrayContaining([istiod, cni]));
  });

  test("istiod values: CNI, the trust domain, access logs on stdout, Prometheus merge", () => {
    // How the chart turns replica values into pods is checked against its defaults in upstream.test.ts.
    const values = release(run(), "istiod").inputs.values;
    expect(values.cni.enabled).toBe(true);
    expect(values.meshConfig.trustDomain).toBe(s().mesh.trustDomain);
    expect(values.meshConfig.accessLogFile).toBe("/dev/stdout");
    expect(values.meshConfig.enablePrometheusMerge).toBe(true);
  });

  test("istiod, cni and both gateways pull Istio's released images at the pinned version", () => {
    // Charts taken from Istio's source default to a development hub and tag (istio-values.test.ts).
    const images = ofType(run(), T.release).filter((r) =>
      ["istiod", "cni", "gateway"].includes(r.inputs.chart),
    );
    expect(images).toHaveLength(s().egress.gateway ? 4 : 3);
    // istiod's `global` also holds the sidecars' requests (global.proxy.resources).
    for (const r of images) {
      const { hub, tag } = r.inputs.values.global;
      expect({ release: r.name, hub, tag }).toEqual({
        release: r.name,
        hub: "docker.io/istio",
        tag: s().mesh.istioVersion,
      });
    }
  });

  test("gateway values: Service type and replicas per stack", () => {
    const values = release(run(), "gateway", s().namespaces.gateway).inputs.values;
    expect(values.service.type).toBe(env === "dev" ? "ClusterIP" : "LoadBalancer");
    expect(values.service.type).toBe(s().mesh.gateway.serviceType);
    expect(values.replicaCount).toBe(s().mesh.gateway.minReplicas);
    expect(values.autoscaling.minReplicas).toBe(s().mesh.gateway.minReplicas);
    expect(values.autoscaling.maxReplicas).toBe(s().mesh.gateway.maxReplicas);
  });

  test("the pingpong namespaces wait for the control plane", () => {
    for (const n of [s().namespaces.a, s().namespaces.b, s().namespaces.c]) {
      const namespace = ofType(run(), T.namespace).find((r) => nameOf(r) === n);
      expect({ n, deps: namespace?.dependsOn }).toEqual({ n, deps: expect.arrayContaining(controlPlane()) });
    }
  });

  test("every Istio custom resource waits for base, istiod and cni", () => {
    const crs = run().resources.filter((r) => ISTIO_CR.test(r.type));
    // The mesh policies, routes, the gateway's and the Telemetry: in every namespace they serve.
    expect(crs.length).toBeGreaterThanOrEqual(10);
    const served = new Set(crs.map(namespaceOf));
    for (const n of [s().namespaces.a, s().namespaces.b, s().namespaces.gateway]) expect(served).toContain(n);
    for (const cr of crs)
      expect({ cr: cr.name, deps: cr.dependsOn }).toEqual({
        cr: cr.name,
        deps: expect.arrayContaining(controlPlane()),
      });
  });
});

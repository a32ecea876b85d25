import type { Settings } from "../../stacks/settings";
import { nameOf, namespaceOf, ofType, type ProgramRun } from "../support/program";
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

  test("four Helm releases from the official repository at the pinned version", () => {
    // Besides Istio's, only kube-prometheus-stack where monitoring=install (dev).
    const monitoring = s().observability.monitoring === "install" ? ["kube-prometheus-stack"] : [];
    expect(s().observability.monitoring).toBe(env === "dev" ? "install" : "podmonitors");
    const all = ofType(run(), T.release);
    expect(all.map((r) => r.inputs.chart).sort()).toEqual(
      ["base", "cni", "gateway", "istiod", ...monitoring].sort(),
    );
    const releases = all.filter((r) => !monitoring.includes(r.inputs.chart));
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
    expect(releaseNamespace(release(run(), "gateway"))).toBe(s().namespaces.gateway);
  });

  test("install order: base -> istiod -> cni -> gateway", () => {
    const deps = (chart: string) => release(run(), chart).dependsOn ?? [];
    const [base, istiod, cni] = controlPlane();
    expect(deps("istiod")).toContain(base);
    expect(deps("cni")).toContain(istiod);
    expect(deps("gateway")).toEqual(expect.arrayContaining([istiod, cni]));
    expect(deps("base")).not.toContain(istiod);
  });

  test("istiod values: CNI, the trust domain, access logs on stdout, Prometheus merge", () => {
    // How the chart turns replica values into pods is checked against its defaults in upstream.test.ts.
    const values = release(run(), "istiod").inputs.values;
    expect(values.cni.enabled).toBe(true);
    expect(values.meshConfig.trustDomain).toBe(s().mesh.trustDomain);
    expect(values.meshConfig.accessLogFile).toBe("/dev/stdout");
    expect(values.meshConfig.enablePrometheusMerge).toBe(true);
  });

  test("gateway values: Service type and replicas per stack", () => {
    const values = release(run(), "gateway").inputs.values;
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

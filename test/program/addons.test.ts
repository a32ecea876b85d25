import type { Settings } from "../../stacks/settings";
import { chartPodLabels } from "../support/chart-services";
import { ofType, type ProgramRun } from "../support/program";
import { describeWithReference } from "../support/reference";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, release, releaseNamespace, type Json } from "./lookup";
import { appPods, egressAllowed, serviceNamespaceOf } from "./netpol";
import { serviceAt, serviceAtUrl } from "./links";

/**
 * Tracing, Kiali and Grafana as the whole program wires them: every address one component is handed
 * reaches a Service the program declares or one the chart of a release it installs creates (names
 * by the chart's own rules, test/support/chart-services.ts), and the pingpong pods' NetworkPolicies
 * let their sidecars send spans there. The components alone: test/components/tracing.test.ts,
 * kiali.test.ts, observability.test.ts.
 */

const VARIANTS = { dev: SHARED_VARIANTS.dev, prod: SHARED_VARIANTS.prod };
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const pingpongNamespaces = (s: Settings) => [s.namespaces.a, s.namespaces.b];
/** The chart release of `chart`, if the program installs it. */
const releaseOf = (run: ProgramRun, chart: string) =>
  ofType(run, T.release).find((r) => r.inputs.chart === chart);
/** The tracing provider istiod's meshConfig declares (the one the mesh-wide Telemetry selects). */
function tracingProvider(run: ProgramRun): { service: string; port: number } {
  const providers = release(run, "istiod").inputs.values.meshConfig.extensionProviders as Json[];
  expect(providers).toHaveLength(1);
  return providers[0].opentelemetry;
}

test("dev installs Jaeger and Kiali beside kube-prometheus-stack; prod none of them, its spans go to a collector", () => {
  expect(settings.dev.observability.tracing.backend).toBe("jaeger");
  expect(settings.dev.observability.kiali).toBeDefined();
  expect(settings.dev.observability.monitoring).toBe("install");
  expect(settings.prod.observability.tracing.backend).toBe("external");
  for (const chart of ["jaeger", "kiali-server", "kube-prometheus-stack"])
    expect({ chart, prod: releaseOf(runs.prod, chart) }).toEqual({ chart, prod: undefined });
});

describeWithReference("addresses handed between components", () => {
  test("dev: istiod sends spans to the Service of the Jaeger release", () => {
    const { service, port } = tracingProvider(runs.dev);
    expect(serviceAt(runs.dev, service, port)?.createdBy).toBe(releaseOf(runs.dev, "jaeger")?.name);
  });

  test("prod: istiod sends spans to the stack's collector, which nothing in the program declares", () => {
    const tracing = settings.prod.observability.tracing;
    if (tracing.backend !== "external") throw new Error("prod should trace to a collector");
    expect(tracingProvider(runs.prod)).toEqual({
      service: tracing.collector.host,
      port: tracing.collector.port,
    });
    expect(serviceAt(runs.prod, tracing.collector.host, tracing.collector.port)).toBeUndefined();
  });

  test("dev: Grafana's Jaeger data source queries the Service of the Jaeger release", () => {
    const grafana = release(runs.dev, "kube-prometheus-stack").inputs.values.grafana;
    const jaeger = (grafana.additionalDataSources as Json[]).filter((d) => d.type === "jaeger");
    expect(jaeger).toHaveLength(1);
    expect(serviceAtUrl(runs.dev, jaeger[0].url)?.createdBy).toBe(releaseOf(runs.dev, "jaeger")?.name);
  });

  test("dev: Kiali reads the Prometheus and Grafana of kube-prometheus-stack, and Jaeger's query API", () => {
    const services = release(runs.dev, "kiali-server").inputs.values.external_services;
    const stack = release(runs.dev, "kube-prometheus-stack").name;
    const prometheus = serviceAtUrl(runs.dev, services.prometheus.url);
    const grafana = serviceAtUrl(runs.dev, services.grafana.internal_url);
    expect([prometheus?.createdBy, grafana?.createdBy]).toEqual([stack, stack]);
    // Two Services of one release: Prometheus's and its grafana subchart's, not the same twice.
    expect(prometheus?.name).not.toBe(grafana?.name);
    expect(services.tracing.enabled).toBe(true);
    expect(serviceAtUrl(runs.dev, services.tracing.internal_url)?.createdBy).toBe(
      releaseOf(runs.dev, "jaeger")?.name,
    );
  });

  test("dev: Kiali is released beside the Prometheus it reads, in the monitoring namespace", () => {
    const kiali = release(runs.dev, "kiali-server");
    expect(releaseNamespace(kiali)).toBe(settings.dev.namespaces.monitoring);
    expect(releaseNamespace(release(runs.dev, "kube-prometheus-stack"))).toBe(releaseNamespace(kiali));
    // It waits for the namespace and the stack: its URLs must answer once it starts.
    expect(kiali.dependsOn).toContain(release(runs.dev, "kube-prometheus-stack").name);
  });
});

describeWithReference("the pingpong pods' way to the span collector", () => {
  test("dev: each NetworkPolicy lets its pods reach the Jaeger pods on the port istiod sends spans to", () => {
    const jaeger = releaseOf(runs.dev, "jaeger")!;
    const collector = { namespace: releaseNamespace(jaeger), labels: chartPodLabels(jaeger.inputs) };
    // The Service forwards the OTLP/gRPC port to the same pod port (the chart's jaeger-service.yaml).
    const { port } = tracingProvider(runs.dev);
    // Jaeger's query API, which Grafana reads: none of the pingpong pods' business.
    const grafana = release(runs.dev, "kube-prometheus-stack").inputs.values.grafana;
    const query = Number(new URL((grafana.additionalDataSources as Json[])[0].url).port);
    for (const pod of pingpongNamespaces(settings.dev).flatMap((n) => appPods(runs.dev, n))) {
      expect({ pod, allowed: egressAllowed(runs.dev, pod, collector, port) }).toEqual({ pod, allowed: true });
      expect(egressAllowed(runs.dev, pod, collector, query)).toBe(false);
    }
  });

  test("prod: each NetworkPolicy lets its pods reach the collector's port in the namespace its Service name says, nowhere else", () => {
    const { service, port } = tracingProvider(runs.prod);
    // Outside the program: its pods are not known to it, its namespace is the Service host's second label.
    const namespace = serviceNamespaceOf(service);
    const collector = { namespace, labels: { app: "otel-collector" } };
    const elsewhere = { namespace: "default", labels: { app: "otel-collector" } };
    for (const pod of pingpongNamespaces(settings.prod).flatMap((n) => appPods(runs.prod, n))) {
      expect({ pod, allowed: egressAllowed(runs.prod, pod, collector, port) }).toEqual({
        pod,
        allowed: true,
      });
      expect(egressAllowed(runs.prod, pod, collector, port + 1)).toBe(false);
      expect(egressAllowed(runs.prod, pod, elsewhere, port)).toBe(false);
      expect(egressAllowed(runs.prod, pod, { ip: "203.0.113.7" }, port)).toBe(false);
    }
  });
});

import type { Settings } from "../../stacks/settings";
import { inNamespace, nameOf, namespaceOf, ofType, type ProgramRun, type Recorded } from "../support/program";
import { chartFullname } from "../support/chart-services";
import { runVariants } from "../support/variants";
import { instancePolicy } from "./netpol";
import { instanceService, podLabelSets, workloadIn } from "./workloads";
import { T } from "../support/tokens";

/** Recorded inputs: JSON from the program, as untyped as the harness records them. */
type Json = Recorded["inputs"];
type Labels = Record<string, string>;

const PROMETHEUS_REPO = "https://prometheus-community.github.io/helm-charts";
/** Where the sidecar serves the merged (app + Envoy + agent) metrics in plaintext. */
const MERGED = { port: 15020, path: "/stats/prometheus" } as const;

/** dev installs kube-prometheus-stack, prod uses PodMonitors; the other modes: test/components/observability.test.ts. */
type Variant = "dev" | "prod";
const VARIANTS: Record<Variant, { stack: "dev" | "prod"; config: Record<string, string> }> = {
  dev: { stack: "dev", config: {} },
  prod: { stack: "prod", config: {} },
};
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;

beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const nsOf = namespaceOf;
const settingsOf = (v: Variant) => settings[v];
const inNs = inNamespace;
function only(run: ProgramRun, type: string): Recorded {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}
function chart(run: ProgramRun, name: string): Recorded | undefined {
  return ofType(run, T.release).find((r) => r.inputs.chart === name);
}
const selects = (selector: Labels, labels: Labels) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const pingpongNamespaces = (s: Settings) => [s.namespaces.a, s.namespaces.b];

describe.each(["dev", "prod"] as const)("Telemetry in %s", (v) => {
  test("one mesh-wide Telemetry in istio-system: envoy access logs, and spans to the provider istiod declares", () => {
    const telemetry = only(runs[v], T.telemetry);
    expect(nsOf(telemetry)).toBe("istio-system");
    const spec = telemetry.inputs.spec;
    expect(spec.selector).toBeUndefined();
    expect(spec.targetRefs).toBeUndefined();
    expect(spec.accessLogging).toEqual([
      { providers: [{ name: "envoy" }], disabled: !settings[v].mesh.accessLogs },
    ]);
    const tracing = settings[v].observability.tracing;
    if (tracing.backend === "none") throw new Error(`${v} should trace`);
    // The provider the Telemetry selects is one istiod's meshConfig declares, at the stack's rate.
    const providers = chart(runs[v], "istiod")!.inputs.values.meshConfig.extensionProviders;
    const [selected] = spec.tracing;
    expect(providers.map((x: Json) => x.name)).toEqual(selected.providers.map((x: Json) => x.name));
    expect(selected.randomSamplingPercentage).toBe(tracing.samplingPercent);
  });

  test("istiod sends spans to the Jaeger Service the stack installs, or to the stack's collector", () => {
    const [provider] = chart(runs[v], "istiod")!.inputs.values.meshConfig.extensionProviders;
    const tracing = settings[v].observability.tracing;
    if (tracing.backend === "external") {
      expect(provider.opentelemetry).toEqual({
        service: tracing.collector.host,
        port: tracing.collector.port,
      });
      expect(chart(runs[v], "jaeger")).toBeUndefined();
      return;
    }
    // The jaeger chart names its Service by its fullname rule, in the release's namespace (the
    // Service's ports: addons.test.ts).
    const jaeger = chart(runs[v], "jaeger")!;
    const [service, ns] = provider.opentelemetry.service.split(".");
    expect(ns).toBe(jaeger.inputs.namespace);
    expect(service).toBe(chartFullname(jaeger.inputs.name, jaeger.inputs.chart));
  });

  test("the Telemetry waits for Istio's control plane", () => {
    expect(only(runs[v], T.telemetry).dependsOn).toEqual(
      expect.arrayContaining(["istio-base", "istio-istiod", "istio-cni"]),
    );
  });

  test("Istio keeps enablePrometheusMerge: Prometheus scrapes the merged port under STRICT mTLS", () => {
    const istiod = chart(runs[v], "istiod");
    expect(istiod?.inputs.values.meshConfig.enablePrometheusMerge).toBe(true);
    // The merged port is outside mTLS: the scrape needs no mesh certificate.
    expect(runs[v].outputs.mtlsModes).toEqual(expect.objectContaining({ a: "STRICT", b: "STRICT" }));
    // The app's own metrics reach the merged endpoint through its prometheus.io annotations.
    for (const n of pingpongNamespaces(settings[v])) {
      const d = workloadIn(runs[v], n);
      const annotations = d.inputs.spec.template.metadata.annotations as Labels;
      expect(annotations["prometheus.io/scrape"]).toBe("true");
      expect(annotations["prometheus.io/port"]).toEqual(expect.stringMatching(/^\d+$/));
    }
  });
});

describe.each(["dev", "prod"] as const)("PodMonitors in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test("one PodMonitor per pingpong namespace, selecting exactly the Service's pods, on /stats/prometheus", () => {
    const monitors = ofType(run(), T.podMonitor);
    expect(monitors.map(nsOf).sort()).toEqual(pingpongNamespaces(s()).sort());
    for (const n of pingpongNamespaces(s())) {
      const [monitor] = inNs(run(), T.podMonitor, n);
      const service = instanceService(run(), n);
      const spec = monitor.inputs.spec;
      expect(spec.selector).toEqual({ matchLabels: service.inputs.spec.selector });
      expect(spec.namespaceSelector).toBeUndefined();
      expect(spec.podMetricsEndpoints).toHaveLength(1);
      // Which port it may name is checked against the injection template in upstream.test.ts.
      expect(spec.podMetricsEndpoints[0]).toEqual(
        expect.objectContaining({ port: expect.any(String), path: MERGED.path }),
      );
      expect(monitor.inputs.metadata.labels).toEqual(
        expect.objectContaining(s().observability.monitorLabels),
      );
      // Every pod the instance runs, in every role a Rollout's controller gives it.
      for (const labels of podLabelSets(workloadIn(run(), n)))
        expect(selects(spec.selector.matchLabels, labels)).toBe(true);
    }
  });

  test("each NetworkPolicy lets the monitoring namespace reach 15020 on the pods the PodMonitor selects", () => {
    for (const n of pingpongNamespaces(s())) {
      const spec = instancePolicy(run(), n);
      const [monitor] = inNs(run(), T.podMonitor, n);
      // The policy applies to the scraped pods.
      expect(
        selects(spec.podSelector.matchLabels as Labels, monitor.inputs.spec.selector.matchLabels as Labels),
      ).toBe(true);
      const fromMonitoring = (spec.ingress as Json[]).filter((rule) =>
        (rule.from as Json[]).some(
          (p) =>
            p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === s().namespaces.monitoring &&
            p.podSelector === undefined,
        ),
      );
      const ports = fromMonitoring.flatMap(
        (rule) => rule.ports as Array<{ protocol: string; port: unknown }>,
      );
      expect(ports).toContainEqual({ protocol: "TCP", port: MERGED.port });
    }
  });

  test("the dashboard ConfigMap: valid JSON, uid = dashboardUid, template namespaces = pingpong namespaces", () => {
    const cm = only(run(), T.configMap);
    expect(nsOf(cm)).toBe(s().observability.dashboardNamespace);
    expect(cm.inputs.metadata.labels).toEqual(expect.objectContaining({ grafana_dashboard: "1" }));
    const files = Object.keys(cm.inputs.data as object);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.json$/);
    const dashboard = JSON.parse(cm.inputs.data[files[0]] as string);
    expect(dashboard.uid).toBe(run().outputs.dashboardUid);
    expect(typeof dashboard.uid).toBe("string");
    expect((run().outputs.summary as { dashboardUid: unknown }).dashboardUid).toBe(dashboard.uid);
    const variable = (dashboard.templating.list as Json[]).find((x) => x.name === "namespace");
    expect(variable).toBeDefined();
    expect(String(variable.query).split(",")).toEqual(pingpongNamespaces(s()));
    expect(
      (variable.options as Array<{ value: string }>).map((o) => o.value).filter((x) => x !== "$__all"),
    ).toEqual(pingpongNamespaces(s()));
  });
});

describe.each(["dev"] as const)("monitoring=install (%s)", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];
  const stack = () => {
    const r = chart(run(), "kube-prometheus-stack");
    if (!r) throw new Error("no kube-prometheus-stack release");
    return r;
  };

  test("kube-prometheus-stack from prometheus-community at the configured version, in the monitoring namespace", () => {
    expect(s().observability.monitoring).toBe("install");
    const release = stack();
    expect(release.inputs.version).toBe(s().observability.prometheusStackVersion);
    expect(release.inputs.repositoryOpts).toEqual({ repo: PROMETHEUS_REPO });
    expect(release.inputs.namespace).toBe(s().namespaces.monitoring);
    const namespace = ofType(run(), T.namespace).find((r) => nameOf(r) === s().namespaces.monitoring);
    expect(namespace).toBeDefined();
    expect(release.dependsOn).toContain(namespace?.name);
  });

  test("values: Prometheus picks up every PodMonitor; Grafana's sidecar loads the ConfigMap's label", () => {
    const values = stack().inputs.values;
    expect(values.prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues).toBe(false);
    const sidecar = values.grafana.sidecar.dashboards;
    expect(sidecar.enabled).toBe(true);
    const cm = only(run(), T.configMap);
    const labels = cm.inputs.metadata.labels as Labels;
    expect(labels[sidecar.label as string]).toBe(sidecar.labelValue);
    expect({ label: sidecar.label, value: sidecar.labelValue }).toEqual({
      label: "grafana_dashboard",
      value: "1",
    });
    // The sidecar searches the ConfigMap's namespace.
    expect([nsOf(cm), "ALL"]).toContain(sidecar.searchNamespace ?? nsOf(cm));
  });

  test("the PodMonitors and the dashboard ConfigMap wait for the release (its CRDs and Grafana)", () => {
    const release = stack().name;
    for (const r of [...ofType(run(), T.podMonitor), only(run(), T.configMap)])
      expect({ r: r.name, deps: r.dependsOn }).toEqual({
        r: r.name,
        deps: expect.arrayContaining([release]),
      });
  });
});

describe.each(["prod"] as const)("monitoring=podmonitors (%s)", (v) => {
  test("the dashboard goes into an existing namespace, read first so that a missing one fails the preview", () => {
    const ns = settingsOf(v).observability.dashboardNamespace;
    const read = runs[v].reads.find((r) => r.type === T.namespace && r.id === ns);
    expect(read).toBeDefined();
    const cm = only(runs[v], T.configMap);
    expect(nsOf(cm)).toBe(ns);
    expect(cm.dependsOn).toContain(read?.name);
  });

  test("no monitoring Release and no monitoring namespace: the Prometheus Operator is already there", () => {
    expect(settings[v].observability.monitoring).toBe("podmonitors");
    const charts = ofType(runs[v], T.release).map((r) => r.inputs.chart);
    for (const monitoring of ["kube-prometheus-stack", "kiali-server", "jaeger"]) {
      expect(charts).not.toContain(monitoring);
    }
    expect(ofType(runs[v], T.namespace).map(nameOf)).not.toContain(settings[v].namespaces.monitoring);
    expect(ofType(runs[v], T.podMonitor)).toHaveLength(2);
    for (const r of ofType(runs[v], T.podMonitor))
      expect(r.dependsOn).not.toContain("observability-kube-prometheus-stack");
  });
});

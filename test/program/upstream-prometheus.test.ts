import type { Settings } from "../../stacks/settings";
import {
  chartDataVersion,
  chartDefaults,
  chartVersions,
  injectedProxyPorts,
  injectionTemplate,
  minKubernetesMinor,
  type DeclaredPort,
} from "../support/charts";
import { kindNodeImage } from "../support/kind";
import { nameOf, namespaceOf, ofType, type ProgramRun, type Recorded } from "../support/program";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { describeWithReference } from "../support/reference";
import { T, chartRelease as release } from "./lookup";
import { instancePolicy } from "./netpol";
import { workloadsIn } from "./workloads";

/**
 * Prometheus against the pods the program runs, as istiod's injection template builds them, and
 * the dev cluster against the Kubernetes versions the pinned Istio supports.
 */

type Json = Recorded["inputs"];
const VARIANTS = { dev: SHARED_VARIANTS.dev, prod: SHARED_VARIANTS.prod };
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

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
      // Deployments and Rollouts alike: the canary analysis queries what these scrape.
      const pods = workloadsIn(run, namespaceOf(m)).filter((d) =>
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
        const workloads = workloadsIn(run, namespaceOf(m));
        expect(workloads.length).toBeGreaterThan(0);
        for (const d of workloads)
          expect(d.inputs.spec.template.metadata.annotations["prometheus.io/scrape"]).toBe("true");
        // The policy that says who may reach the scraped pods (the namespace's others are egress only).
        const scraperPorts = (instancePolicy(run, namespaceOf(m)).ingress as Json[])
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

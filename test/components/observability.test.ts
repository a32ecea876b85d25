import { Observability, type ObservabilityArgs } from "../../components/observability";
import { nameOf, namespaceOf, ofType, runComponent, type ProgramRun } from "../support/program";

/** The Observability component alone, in each monitoring mode (the program's wiring: observability.test.ts). */

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  configMap: "kubernetes:core/v1:ConfigMap",
  release: "kubernetes:helm.sh/v3:Release",
  telemetry: "kubernetes:telemetry.istio.io/v1:Telemetry",
  podMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
} as const;

const BASE: Omit<ObservabilityArgs, "mode" | "controlPlane"> = {
  monitoringNamespace: "metrics",
  prometheusStackVersion: "88.5.3",
  namespaces: { a: "ns-a", b: "ns-b" },
  istioRootNamespace: "istio-system",
  accessLogs: true,
  monitorLabels: { prometheus: "platform" },
  dashboardNamespace: "metrics",
};

function render(args: Partial<ObservabilityArgs> & Pick<ObservabilityArgs, "mode">): Promise<ProgramRun> {
  return runComponent(() => {
    const o = new Observability("obs", { ...BASE, controlPlane: [], ...args });
    return { dashboardUid: o.dashboardUid };
  });
}

const only = (run: ProgramRun, type: string) => {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};

describe("monitoring=install", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render({ mode: "install" })));

  test("installs kube-prometheus-stack at the given version into the namespace it creates", () => {
    const release = only(run, T.release);
    const ns = ofType(run, T.namespace).find((n) => nameOf(n) === BASE.monitoringNamespace);
    expect(ns).toBeDefined();
    expect(release.inputs).toMatchObject({
      chart: "kube-prometheus-stack",
      version: BASE.prometheusStackVersion,
    });
    expect(release.dependsOn).toContain(ns?.name);
  });

  test("PodMonitors and the dashboard wait for the release (its CRDs and Grafana)", () => {
    const release = only(run, T.release).name;
    for (const r of [...ofType(run, T.podMonitor), only(run, T.configMap)])
      expect(r.dependsOn).toContain(release);
    expect(namespaceOf(only(run, T.configMap))).toBe(BASE.monitoringNamespace);
    expect(run.reads).toEqual([]);
  });
});

describe("monitoring=podmonitors", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render({ mode: "podmonitors" })));

  test("one labelled PodMonitor per namespace, no release and no namespace of its own", () => {
    expect(ofType(run, T.release)).toEqual([]);
    expect(ofType(run, T.namespace)).toEqual([]);
    const monitors = ofType(run, T.podMonitor);
    expect(monitors.map(namespaceOf).sort()).toEqual(Object.values(BASE.namespaces).sort());
    for (const m of monitors) expect(m.inputs.metadata.labels).toMatchObject(BASE.monitorLabels);
  });

  test("the dashboard goes into an existing namespace, read first so that a missing one fails the preview", () => {
    const [read] = run.reads;
    expect(run.reads).toHaveLength(1);
    expect(read).toMatchObject({ type: T.namespace, id: BASE.dashboardNamespace });
    const cm = only(run, T.configMap);
    expect(namespaceOf(cm)).toBe(BASE.dashboardNamespace);
    expect(cm.dependsOn).toContain(read.name);
  });
});

describe("monitoring=none", () => {
  test("only the mesh-wide Telemetry; no dashboard, so no dashboard uid", async () => {
    const run = await render({ mode: "none" });
    expect(run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type)).toEqual([
      T.telemetry,
    ]);
    expect(run.outputs.dashboardUid).toBeUndefined();
  });
});

test("no dashboard namespace: PodMonitors but no dashboard", async () => {
  const run = await render({ mode: "podmonitors", dashboardNamespace: undefined });
  expect(ofType(run, T.podMonitor)).toHaveLength(2);
  expect(ofType(run, T.configMap)).toEqual([]);
  expect(run.reads).toEqual([]);
  expect(run.outputs.dashboardUid).toBeUndefined();
});

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { helmFullname } from "../../components/observability";
import { LIMITS } from "../../components/sizes";
import {
  JAEGER_CHART_REPO,
  JAEGER_PORTS,
  JAEGER_TRACE_BUDGET,
  Jaeger,
  jaegerMaxTraces,
  jaegerServiceName,
  type JaegerArgs,
} from "../../components/tracing";
import { parseMemory } from "../../stacks/formats";
import { chartSource } from "../program/footprint";
import { chartDefaults, chartFile, deepMerge, unknownChartValuePaths } from "../support/charts";
import { nameOf, ofType, runComponent, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference, referencePath } from "../support/reference";
import { T } from "../support/tokens";

/** The Jaeger component alone, and its values and names against the jaeger chart. */

const ARGS: JaegerArgs = {
  namespace: "traces",
  chartVersion: "4.11.1",
  resources: { cpuRequest: "50m", cpuLimit: "500m", memoryRequest: "128Mi", memoryLimit: "512Mi" },
};

/**
 * The chart's Service ports, by name (jaegertracing/helm-charts tag jaeger-4.11.1,
 * charts/jaeger/templates/jaeger/jaeger-service.yaml; the reference data holds no templates).
 */
const SERVICE_PORTS: Record<string, number> = {
  "zk-compact-trft": 5775,
  "config-rest": 5778,
  "jg-compact-trft": 6831,
  "jg-binary-trft": 6832,
  "http-zipkin": 9411,
  "grpc-http": 14250,
  "c-tchan-trft": 14267,
  "http-c-binary-trft": 14268,
  "otlp-grpc": 4317,
  "otlp-http": 4318,
  "http-query": 16686,
  "grpc-query": 16685,
  "internal-metrics": 8888,
  "span-metrics": 8889,
};

/**
 * The chart's "jaeger.fullname" (charts/jaeger/templates/_helpers.tpl at jaeger-4.11.1), without
 * overrides: `$name := default .Chart.Name .Values.nameOverride`; the release name if it contains
 * $name, else "<release>-<name>"; `trunc 63 | trimSuffix "-"`.
 */
function chartFullname(release: string, chartName: string): string {
  const full = release.includes(chartName) ? release : `${release}-${chartName}`;
  return full.slice(0, 63).replace(/-$/, "");
}

const yaml = createRequire(__filename)("js-yaml") as { load(text: string): { name: string } };

/**
 * The memory backend of Jaeger's embedded all-in-one configuration, as jaegertracing/jaeger v2.19.0
 * (the chart's appVersion) writes it in cmd/jaeger/internal/all-in-one.yaml; its option is
 * `max_traces` (internal/storage/v2/memory/config.go, Configuration.MaxTraces).
 */
const ALL_IN_ONE = {
  extensions: { jaeger_storage: { backends: { some_storage: { memory: { max_traces: 100000 } } } } },
};

/**
 * The collector's `--set=<dotted path>=<value>` (open-telemetry/opentelemetry-collector
 * otelcol/flags.go): the path, split at dots, and the value, applied over the configuration.
 */
function setFlags(args: string[]): Array<{ path: string[]; value: string }> {
  return args
    .filter((a) => a.startsWith("--set="))
    .map((a) => {
      const [key, value] = a.slice("--set=".length).split("=");
      return { path: key.split("."), value };
    });
}

let run: ProgramRun;
beforeAll(async () => {
  run = await runComponent(() => {
    const j = new Jaeger("tracing", ARGS);
    return {
      otlp: j.otlp,
      queryUrl: j.queryUrl,
      queryGrpcUrl: j.queryGrpcUrl,
      portForward: j.portForward,
      podLabels: j.podLabels,
      namespace: j.namespace,
    };
  });
});

const release = (): Recorded => {
  const found = ofType(run, T.release);
  if (found.length !== 1) throw new Error(`expected one release, found ${found.length}`);
  return found[0];
};

test("installs the jaeger chart at the given version into the namespace it creates", () => {
  const r = release();
  const [ns] = ofType(run, T.namespace);
  expect(ofType(run, T.namespace)).toHaveLength(1);
  expect(nameOf(ns)).toBe(ARGS.namespace);
  expect(r.inputs).toMatchObject({
    chart: "jaeger",
    version: ARGS.chartVersion,
    namespace: ARGS.namespace,
    repositoryOpts: { repo: JAEGER_CHART_REPO },
  });
  expect(r.dependsOn).toContain(ns.name);
  expect(run.outputs.namespace).toBe(ARGS.namespace);
});

test("its namespace has no sidecars and enforces the restricted Pod Security profile", () => {
  const labels = ofType(run, T.namespace)[0].inputs.metadata.labels;
  expect(labels["istio-injection"]).toBe("disabled");
  expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
});

test("one in-memory replica with the requests and limits asked for", () => {
  const { jaeger, userconfig } = release().inputs.values;
  expect(jaeger.replicas).toBe(1);
  // Without a userconfig the binary runs its embedded all-in-one configuration: memory storage.
  expect(userconfig).toBeUndefined();
  expect(jaeger.resources).toEqual({
    requests: { cpu: ARGS.resources.cpuRequest, memory: ARGS.resources.memoryRequest },
    limits: { cpu: ARGS.resources.cpuLimit, memory: ARGS.resources.memoryLimit },
  });
});

describe("Jaeger's in-memory store is bounded to what its memory limit holds", () => {
  const bytes = (q: string) => parseMemory(q)!;
  /** What `traces` ping traces cost the container at the budget's figures, heap growth included. */
  const footprint = (traces: number) => {
    const b = JAEGER_TRACE_BUDGET;
    return b.reservedBytes + traces * b.spansPerTrace * b.bytesPerSpan * b.margin * b.heapGrowth;
  };

  test("the container starts with --set on the embedded configuration's max_traces, no --config", () => {
    const { args } = release().inputs.values.jaeger;
    const sets = setFlags(args);
    expect(sets).toHaveLength(1);
    expect(args.some((a: string) => a.startsWith("--config"))).toBe(false);
    // The path leads to a number in the upstream configuration: a misspelt key would add a backend.
    let node: unknown = ALL_IN_ONE;
    for (const key of sets[0].path) node = (node as Record<string, unknown>)[key];
    expect(typeof node).toBe("number");
    expect(Number(sets[0].value)).toBe(jaegerMaxTraces(ARGS.resources.memoryLimit));
  });

  test("the bound fits the limit, Jaeger's default does not: 12000 traces under 512Mi", () => {
    const limit = bytes(LIMITS.jaeger.memory);
    const max = jaegerMaxTraces(LIMITS.jaeger.memory);
    expect(max).toBe(12000);
    expect(footprint(max)).toBeLessThanOrEqual(limit);
    expect(footprint(max + 1000)).toBeGreaterThan(limit);
    expect(
      footprint(ALL_IN_ONE.extensions.jaeger_storage.backends.some_storage.memory.max_traces),
    ).toBeGreaterThan(limit);
  });

  test("the bound follows the limit; a limit below the UI's deepest search is refused", () => {
    expect(jaegerMaxTraces("1Gi")).toBeGreaterThan(2 * jaegerMaxTraces("512Mi"));
    expect(footprint(jaegerMaxTraces("1Gi"))).toBeLessThanOrEqual(bytes("1Gi"));
    expect(() => jaegerMaxTraces("160Mi")).toThrow(/160Mi keeps 1000 traces; at least 1500/);
    expect(() => jaegerMaxTraces("0.5Gi")).toThrow(/expected Ki, Mi or Gi/);
  });
});

test("the fullname rule gives the chart's examples", () => {
  expect(helmFullname("jaeger", "jaeger")).toBe("jaeger");
  expect(helmFullname("tracing", "jaeger")).toBe("tracing-jaeger");
  expect(helmFullname("my-jaeger", "jaeger")).toBe("my-jaeger");
  const long = `${"x".repeat(62)}-y`;
  expect(helmFullname(long, "jaeger")).toBe(chartFullname(long, "jaeger"));
  expect(helmFullname(long, "jaeger")).toHaveLength(62);
});

describeWithReference("Jaeger against the jaeger chart", () => {
  const chartName = () => yaml.load(chartFile("jaeger", ARGS.chartVersion, "Chart.yaml")).name;
  const defaults = () => chartDefaults("jaeger", ARGS.chartVersion);

  test("every value it sets is one the chart takes", () => {
    expect(unknownChartValuePaths("jaeger", ARGS.chartVersion, release().inputs.values)).toEqual([]);
  });

  test("the chart ships no values.schema.json: names are all there is to check", () => {
    expect(
      existsSync(referencePath("upstream", "charts", "jaeger", ARGS.chartVersion, "values.schema.json")),
    ).toBe(false);
  });

  test("the outputs name the Service the chart creates for the release, at its ports", () => {
    expect(defaults().nameOverride ?? "").toBe("");
    expect(defaults().fullnameOverride ?? "").toBe("");
    const service = chartFullname(release().inputs.name, chartName());
    const host = `${service}.${ARGS.namespace}`;
    expect(run.outputs.otlp).toEqual({
      host: `${host}.svc.cluster.local`,
      port: SERVICE_PORTS["otlp-grpc"],
    });
    expect(run.outputs.queryUrl).toBe(`http://${host}:${SERVICE_PORTS["http-query"]}`);
    expect(run.outputs.queryGrpcUrl).toBe(`http://${host}:${SERVICE_PORTS["grpc-query"]}`);
    expect(jaegerServiceName(release().inputs.name)).toBe(service);
    for (const port of Object.values(JAEGER_PORTS)) expect(Object.values(SERVICE_PORTS)).toContain(port);
  });

  test("the port-forward command opens the UI on its own port", () => {
    const service = chartFullname(release().inputs.name, chartName());
    const ui = SERVICE_PORTS["http-query"];
    expect(String(run.outputs.portForward).split(" ")).toEqual([
      "kubectl",
      "-n",
      ARGS.namespace,
      "port-forward",
      `svc/${service}`,
      `${ui}:${ui}`,
    ]);
  });

  test("podLabels are the labels the chart gives its pods and selects them by", () => {
    // "jaeger.selectorLabels": app.kubernetes.io/name (nameOverride or the chart's name) and
    // app.kubernetes.io/instance (the release name); the all-in-one Deployment adds its component.
    expect(defaults().jaeger.podLabels).toBeUndefined();
    expect(run.outputs.podLabels).toEqual({
      "app.kubernetes.io/name": chartName(),
      "app.kubernetes.io/instance": release().inputs.name,
      "app.kubernetes.io/component": "all-in-one",
    });
  });

  test("the chart passes jaeger.args to the container, and --config only with a userconfig", () => {
    const source = chartSource("jaeger", ARGS.chartVersion);
    if (!source) return; // The complete chart is in ../shared/chart-sources or the upstream:fetch cache.
    const deploy = readFileSync(join(source, "templates", "jaeger", "jaeger-deploy.yaml"), "utf8");
    const args = deploy.slice(deploy.indexOf("args:"), deploy.indexOf("ports:"));
    expect(args).toContain("{{- range $arg := .Values.jaeger.args }}");
    expect(args).toMatch(/\{\{- if \.Values\.userconfig \}\}\s*- "--config"/);
    expect(defaults().jaeger.args).toEqual([]);
  });

  test("the pod, as the chart renders it, passes the restricted profile", () => {
    const values = release().inputs.values;
    // jaeger-deploy.yaml renders jaeger.podSecurityContext on the pod and jaeger.securityContext
    // on the container, each Helm's merge of the values over the defaults.
    const pod = deepMerge(defaults().jaeger.podSecurityContext, values.jaeger.podSecurityContext ?? {});
    const container = deepMerge(defaults().jaeger.securityContext, values.jaeger.securityContext ?? {});
    const either = (key: string) => container[key] ?? pod[key];
    expect(either("runAsNonRoot")).toBe(true);
    expect(either("runAsUser")).not.toBe(0);
    expect(container.allowPrivilegeEscalation).toBe(false);
    expect(container.privileged ?? false).toBe(false);
    expect((container.capabilities as { drop?: string[] }).drop).toContain("ALL");
    expect((container.capabilities as { add?: string[] }).add ?? []).toEqual([]);
    expect(either("seccompProfile")).toEqual({ type: "RuntimeDefault" });
    // No volumes beyond the config maps of userconfig and uiconfig, both unset.
    expect(defaults().jaeger.extraVolumes).toEqual([]);
  });
});

import * as pulumi from "@pulumi/pulumi";
import { KIALI_CHART_REPO, Kiali, type KialiArgs } from "../../components/kiali";
import { grafanaUrl, prometheusUrl } from "../../components/observability";
import { Jaeger } from "../../components/tracing";
import { chartDefaults, leafPaths, unknownChartValuePaths, valuesBeyondDefaults } from "../support/charts";
import { isSecretPath, ofType, runComponent, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference } from "../support/reference";
import { T } from "../support/tokens";

/** The Kiali component alone, wired to the Services the program's own components name. */

const MONITORING = "metrics";
const KIALI_NS = "mesh-root";
const VERSION = "2.29.0";

/** Stands in for Istio's releases, which Kiali's release waits for. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

function render(tracing: boolean): Promise<ProgramRun> {
  return runComponent(() => {
    const jaeger = new Jaeger("tracing", {
      namespace: "traces",
      chartVersion: "4.11.1",
      resources: { cpuRequest: "50m", cpuLimit: "1", memoryRequest: "128Mi", memoryLimit: "512Mi" },
    });
    const args: KialiArgs = {
      namespace: KIALI_NS,
      chartVersion: VERSION,
      prometheusUrl: prometheusUrl(MONITORING),
      grafanaUrl: grafanaUrl(MONITORING),
      tracingUrl: tracing ? jaeger.queryGrpcUrl : undefined,
      controlPlane: [new ControlPlane("istiod")],
    };
    const kiali = new Kiali("kiali", args);
    return {
      url: kiali.url,
      portForward: kiali.portForward,
      podLabels: kiali.podLabels,
      jaegerQueryGrpcUrl: jaeger.queryGrpcUrl,
    };
  });
}

function kialiRelease(run: ProgramRun): Recorded {
  const found = ofType(run, T.release).filter((r) => r.inputs.chart === "kiali-server");
  if (found.length !== 1) throw new Error(`expected one kiali-server release, found ${found.length}`);
  return found[0];
}

describe("Kiali with tracing", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render(true)));

  test("installs kiali-server at the given version into the given namespace, after the control plane", () => {
    const r = kialiRelease(run);
    expect(r.inputs).toMatchObject({
      chart: "kiali-server",
      version: VERSION,
      namespace: KIALI_NS,
      repositoryOpts: { repo: KIALI_CHART_REPO },
    });
    expect(r.dependsOn).toContain("istiod");
    // The namespace is the caller's: Kiali creates none (Jaeger's is the only one).
    expect(ofType(run, T.namespace)).toHaveLength(1);
  });

  test("anonymous and view-only: the chart binds the read-only role", () => {
    const { auth, deployment } = kialiRelease(run).inputs.values;
    expect(auth.strategy).toBe("anonymous");
    // templates/rolebinding.yaml binds kiali-viewer when view_only_mode or a strategy other than
    // anonymous; anonymous alone binds the writing kiali role.
    expect(deployment.view_only_mode === true || auth.strategy !== "anonymous").toBe(true);
  });

  test("the login signing key is a generated secret of a length Kiali accepts", () => {
    const r = kialiRelease(run);
    const key: string = r.inputs.values.login_token.signing_key;
    // kiali.io_kialis.yaml login_token.signing_key: "must be 16, 24 or 32 byte long".
    expect([16, 24, 32]).toContain(key.length);
    expect(isSecretPath(r, "values.login_token.signing_key")).toBe(true);
    const [password] = ofType(run, T.randomPassword);
    expect(password.inputs.length).toBe(key.length);
    expect(r.dependsOn).toContain(password.name);
  });

  test("Prometheus, Grafana and Jaeger are the Services the program's components name", () => {
    const services = kialiRelease(run).inputs.values.external_services;
    expect(services.prometheus.url).toBe(prometheusUrl(MONITORING));
    expect(services.grafana).toEqual({
      enabled: true,
      internal_url: grafanaUrl(MONITORING),
      external_url: "",
    });
    expect(services.tracing).toEqual({
      enabled: true,
      provider: "jaeger",
      internal_url: run.outputs.jaegerQueryGrpcUrl,
      use_grpc: true,
    });
    // The CRD's tracing.internal_url: "Jaeger v1.20+ has separated ports for GRPC(16685) and
    // HTTP(16686) requests"; use_grpc needs the former.
    expect(new URL(services.tracing.internal_url).port).toBe("16685");
  });
});

test("without a tracing URL Kiali has no tracing section (the CR's default: disabled)", async () => {
  const run = await render(false);
  expect(kialiRelease(run).inputs.values.external_services.tracing).toBeUndefined();
});

describeWithReference("Kiali against the kiali-server chart and the Kiali CR", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render(true)));
  const defaults = () => chartDefaults("kiali-server", VERSION);

  test("every value is a key of values.yaml or of the Kiali CR", () => {
    expect(unknownChartValuePaths("kiali-server", VERSION, kialiRelease(run).inputs.values)).toEqual([]);
  });

  test("values beyond values.yaml have the CR's types", () => {
    const values = kialiRelease(run).inputs.values;
    const types = valuesBeyondDefaults("kiali-server", VERSION);
    const at = (obj: unknown, path: string): unknown =>
      path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
    const checked = leafPaths(values).filter((p) => typeof at(types, p) === "string");
    expect(checked.length).toBeGreaterThan(0);
    for (const path of checked) {
      const value = at(values, path);
      const type = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
      expect({ path, type }).toEqual({ path, type: at(types, path) });
    }
  });

  test("url and portForward reach the Service the chart names after instance_name, under its web root", () => {
    const values = kialiRelease(run).inputs.values;
    // Left at the chart's defaults: the names below follow from them.
    expect(values.deployment.instance_name).toBeUndefined();
    expect(values.server).toBeUndefined();
    const service = defaults().deployment.instance_name;
    const port = defaults().server.port;
    // "kiali-server.server.web_root": an empty web_root is "/kiali" outside OpenShift.
    expect(defaults().server.web_root).toBe("");
    expect(run.outputs.url).toBe(`http://${service}.${KIALI_NS}:${port}/kiali`);
    expect(String(run.outputs.portForward).split(" ")).toEqual([
      "kubectl",
      "-n",
      KIALI_NS,
      "port-forward",
      `svc/${service}`,
      `${port}:${port}`,
    ]);
  });

  test("podLabels are the chart's selector labels", () => {
    // "kiali-server.selectorLabels": app.kubernetes.io/name: kiali, app.kubernetes.io/instance: <fullname>.
    expect(run.outputs.podLabels).toEqual({
      "app.kubernetes.io/name": "kiali",
      "app.kubernetes.io/instance": defaults().deployment.instance_name,
    });
  });
});

test("with a signing key given: no RandomPassword; the key goes to the chart's values as given, secret", async () => {
  const key = "0123456789abcdef0123456789abcdef";
  const run = await runComponent(() => {
    const kiali = new Kiali("kiali", {
      namespace: KIALI_NS,
      chartVersion: VERSION,
      prometheusUrl: prometheusUrl(MONITORING),
      grafanaUrl: grafanaUrl(MONITORING),
      controlPlane: [new ControlPlane("istiod")],
      signingKey: key,
    });
    return { url: kiali.url };
  });
  expect(
    run.resources.filter((r) => r.type.startsWith("random:") || r.type === "pulumi:providers:random"),
  ).toEqual([]);
  const r = kialiRelease(run);
  expect(r.inputs.values.login_token.signing_key).toBe(key);
  expect(isSecretPath(r, "values.login_token.signing_key")).toBe(true);
});

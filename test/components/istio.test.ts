import { GATEWAY_RELEASE, Istio, gatewayPodLabels, type IstioArgs } from "../../components/istio";
import { TRACING_PROVIDER } from "../../components/mesh";
import {
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { T } from "../support/tokens";

/** The Istio component alone (its values against the charts: upstream.test.ts). */

const ARGS: IstioArgs = {
  version: "1.31.1",
  trustDomain: "example.org",
  gatewayNamespace: "edge",
  gatewayServiceType: "ClusterIP",
  gatewayReplicas: { min: 1, max: 1 },
  istiodReplicas: { min: 2, max: 4 },
  accessLogs: false,
  outboundTrafficPolicy: "REGISTRY_ONLY",
};
const PLUGIN_CA = { certPem: "ca-cert", keyPem: "ca-key", rootCertPem: "root", chainPem: "chain" };

const render = (args: Partial<IstioArgs> = {}): Promise<ProgramRun> =>
  runComponent(() => {
    const istio = new Istio("istio", { ...ARGS, ...args });
    return { version: istio.version, gatewayNamespace: istio.gatewayNamespace };
  });
const release = (run: ProgramRun, chart: string): Recorded => {
  const found = ofType(run, T.release).filter((r) => r.inputs.chart === chart);
  if (found.length !== 1) throw new Error(`expected one ${chart} release, found ${found.length}`);
  return found[0];
};

describe("Istio without a plug-in CA", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render()));

  test("installs base -> istiod -> cni -> gateway, each at the one version", () => {
    const [base, istiod, cni, gateway] = ["base", "istiod", "cni", "gateway"].map((c) => release(run, c));
    expect(istiod.dependsOn).toContain(base.name);
    expect(cni.dependsOn).toContain(istiod.name);
    expect(gateway.dependsOn).toEqual(expect.arrayContaining([istiod.name, cni.name]));
    for (const r of [base, istiod, cni, gateway]) expect(r.inputs.version).toBe(ARGS.version);
  });

  test("the gateway release runs in its own namespace, named so that its pod labels match a Gateway selector", () => {
    const gateway = release(run, "gateway");
    expect(gateway.inputs.namespace).toBe(ARGS.gatewayNamespace);
    expect(gateway.inputs.name).toBe(GATEWAY_RELEASE);
    expect(gatewayPodLabels(gateway.inputs.name)).toEqual({
      app: gateway.inputs.name,
      istio: "ingressgateway",
    });
    expect(ofType(run, T.namespace).map(nameOf)).toContain(ARGS.gatewayNamespace);
    expect(run.outputs).toEqual({ version: ARGS.version, gatewayNamespace: ARGS.gatewayNamespace });
  });

  test("no cacerts Secret: istiod makes its own root", () => {
    expect(ofType(run, T.secret)).toEqual([]);
  });
});

test("a plug-in CA becomes the cacerts Secret istiod reads, its key a secret, before istiod", async () => {
  const run = await render({ pluginCa: PLUGIN_CA });
  const [secret] = ofType(run, T.secret);
  expect(nameOf(secret)).toBe("cacerts");
  expect(namespaceOf(secret)).toBe(
    namespaceOf(release(run, "istiod")) ?? release(run, "istiod").inputs.namespace,
  );
  expect(Object.keys(secret.inputs.stringData).sort()).toEqual(
    ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"].sort(),
  );
  const key = "stringData.ca-key.pem";
  expect(secret.secretPaths.some((p) => key === p || key.startsWith(`${p}.`))).toBe(true);
  expect(release(run, "istiod").dependsOn).toContain(secret.name);
});

test("an istiod minimum above its maximum is refused", async () => {
  await expect(render({ istiodReplicas: { min: 3, max: 2 } })).rejects.toThrow(
    /istiodReplicas: min 3 and max 2/,
  );
});

describe("istiod's mesh config", () => {
  const meshConfig = async (args: Partial<IstioArgs>) =>
    release(await render(args), "istiod").inputs.values.meshConfig;

  test("the outbound policy is the one asked for", async () => {
    for (const mode of ["ALLOW_ANY", "REGISTRY_ONLY"] as const) {
      expect((await meshConfig({ outboundTrafficPolicy: mode })).outboundTrafficPolicy).toEqual({ mode });
    }
  });

  test("a collector becomes the one tracing provider, by the name the Telemetry selects", async () => {
    const collector = { host: "otel.observability.svc.cluster.local", port: 4317 };
    expect((await meshConfig({ tracing: collector })).extensionProviders).toEqual([
      { name: TRACING_PROVIDER, opentelemetry: { service: collector.host, port: collector.port } },
    ]);
    expect((await meshConfig({})).extensionProviders).toBeUndefined();
  });
});

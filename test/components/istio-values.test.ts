import { Egress } from "../../components/egress";
import { ISTIO_HUB, Istio, type IstioArgs } from "../../components/istio";
import {
  ISTIOD_WEBHOOK_PATHS,
  caBundle,
  hasPemCertificate,
  isWebhookBaseUrl,
  type ExternalIstiod,
} from "../../components/istio-webhooks";
import { createCa } from "../support/certs";
import { chartDataVersion, chartDefaults, chartFile, unknownChartValuePaths } from "../support/charts";
import { ofType, runComponent, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference } from "../support/reference";
import { T } from "../support/tokens";

/**
 * Istio's releases alone: the images every Istio chart is told to pull, and the webhooks pointed at
 * an istiod outside the cluster; each value against the chart that takes it.
 */

const VERSION = "1.31.1";
const ARGS: IstioArgs = {
  version: VERSION,
  trustDomain: "cluster.local",
  gatewayNamespace: "edge",
  gatewayServiceType: "ClusterIP",
  gatewayReplicas: { min: 1, max: 1 },
  istiodReplicas: { min: 1, max: 1 },
  accessLogs: false,
  outboundTrafficPolicy: "ALLOW_ANY",
};
const URL_BASE = "https://127.0.0.1:15017";

/** Istio with `args`, and the egress gateway beside it (Istio's gateway chart a second time). */
const render = (args: Partial<IstioArgs> = {}): Promise<ProgramRun> =>
  runComponent(() => {
    const istio = new Istio("istio", { ...ARGS, ...args });
    new Egress("egress", {
      istioVersion: args.version ?? VERSION,
      namespace: "egress",
      hosts: [],
      allowed: [],
      trustDomain: "cluster.local",
      replicas: { min: 1, max: 1 },
      controlPlane: istio.controlPlane,
    });
    return {};
  });
const valuesOf = (run: ProgramRun, release: string): Recorded["inputs"] => {
  const found = ofType(run, T.release).filter((r) => r.inputs.name === release);
  if (found.length !== 1) throw new Error(`expected one release ${release}, found ${found.length}`);
  return found[0].inputs.values;
};
/** Istio's releases that run images, by release name, and their charts. */
const IMAGE_RELEASES = {
  istiod: "istiod",
  "istio-cni": "cni",
  "istio-ingressgateway": "gateway",
  "istio-egressgateway": "gateway",
};

describe("images", () => {
  test.each(["1.31.1", "1.30.3"])(
    "Istio %s: istiod, cni and both gateways pull from Istio's hub at the pinned version",
    async (version) => {
      const run = await render({ version });
      for (const release of Object.keys(IMAGE_RELEASES)) {
        expect({ release, global: valuesOf(run, release).global }).toEqual({
          release,
          global: { hub: "docker.io/istio", tag: version },
        });
      }
      // The base chart installs CRDs and webhooks, no image.
      expect(valuesOf(run, "istio-base").global).toBeUndefined();
      expect(ISTIO_HUB).toBe("docker.io/istio");
    },
  );
});

describeWithReference("images against the charts", () => {
  const data = (chart: string) => chartDataVersion(chart, VERSION)!;

  test("istiod and cni declare global.hub and global.tag; from source they name a development build", () => {
    for (const chart of ["istiod", "cni"]) {
      const { hub, tag } = chartDefaults(chart, data(chart)).global;
      // The data holds Istio's source charts: left alone they would pull these, not the release.
      expect({ chart, hub, tag }).toEqual({ chart, hub: "registry.istio.io/testing", tag: "latest" });
      // Their own per-chart image fields are empty and fall back to global's.
      expect({ chart, hub: chartDefaults(chart, data(chart)).hub }).toEqual({ chart, hub: "" });
    }
  });

  test("the gateway chart's schema takes any global key; its values.yaml lists none of the image pair", () => {
    const schema = JSON.parse(chartFile("gateway", data("gateway"), "values.schema.json"));
    expect(schema.$defs.values.additionalProperties).toBe(false);
    expect(schema.$defs.values.properties.global).toEqual({ type: "object" });
    expect(Object.keys(chartDefaults("gateway", data("gateway")).global)).toEqual(["networkPolicy"]);
  });

  test("every value of every Istio release exists in its chart, the images' and the webhooks' too", async () => {
    const ext: ExternalIstiod = { url: URL_BASE, caPem: (await createCa("outside")).cert };
    const run = await render({ externalIstiod: ext });
    const releases = ofType(run, T.release);
    expect(releases.map((r) => r.inputs.chart).sort()).toEqual(
      ["base", "cni", "gateway", "gateway", "istiod"].sort(),
    );
    for (const r of releases) {
      const { chart, values } = r.inputs;
      const opaque = chart === "istiod" ? ["meshConfig"] : [];
      const unknown = unknownChartValuePaths(chart, data(chart), values, opaque);
      expect({ release: r.inputs.name, unknown }).toEqual({ release: r.inputs.name, unknown: [] });
    }
  });
});

describe("an external istiod's webhooks", () => {
  let ext: ExternalIstiod;
  let withExternal: ProgramRun;
  let without: ProgramRun;
  beforeAll(async () => {
    ext = { url: URL_BASE, caPem: (await createCa("external istiod CA")).cert };
    withExternal = await render({ externalIstiod: ext });
    without = await render();
  });

  test("the base URL and the PEM the settings accept", () => {
    expect(isWebhookBaseUrl(URL_BASE)).toBe(true);
    expect(isWebhookBaseUrl(`${URL_BASE}/inject`)).toBe(false);
    expect(hasPemCertificate(ext.caPem)).toBe(true);
    expect(ISTIOD_WEBHOOK_PATHS).toEqual({ inject: "/inject", validate: "/validate" });
  });

  test("istiod's chart: injection and validation at the external istiod, trusting its CA (base64 PEM)", () => {
    const values = valuesOf(withExternal, "istiod");
    const bundle = Buffer.from(ext.caPem, "utf8").toString("base64");
    expect(values.istiodRemote).toEqual({
      injectionURL: "https://127.0.0.1:15017/inject",
      injectionCABundle: bundle,
    });
    expect(values.base).toEqual({
      validationURL: "https://127.0.0.1:15017/validate",
      validationCABundle: bundle,
    });
    expect(Buffer.from(values.istiodRemote.injectionCABundle, "base64").toString("utf8")).toBe(ext.caPem);
    expect(caBundle(ext.caPem)).toBe(bundle);
  });

  test("the base chart's default validator: the same URL and CA", () => {
    expect(valuesOf(withExternal, "istio-base")).toEqual({
      defaultRevision: "default",
      base: valuesOf(withExternal, "istiod").base,
    });
  });

  test("only base and istiod change; without it no webhook value is set at all", () => {
    for (const release of ["istio-cni", "istio-ingressgateway", "istio-egressgateway"])
      expect({ release, values: valuesOf(withExternal, release) }).toEqual({
        release,
        values: valuesOf(without, release),
      });
    expect(valuesOf(without, "istiod").istiodRemote).toBeUndefined();
    expect(valuesOf(without, "istiod").base).toBeUndefined();
    expect(valuesOf(without, "istio-base")).toEqual({ defaultRevision: "default" });
  });

  test.each([
    ["http", { url: "http://127.0.0.1:15017" }, /expected https:\/\/host\[:port\], no path/],
    ["a path", { url: `${URL_BASE}/inject` }, /expected https:\/\/host\[:port\], no path/],
    ["no certificate", { caPem: "not a PEM" }, /expected a PEM CERTIFICATE block/],
  ])("Istio refuses an external istiod with %s", async (_, bad, message) => {
    await expect(render({ externalIstiod: { ...ext, ...bad } })).rejects.toThrow(message);
  });
});

describeWithReference("the webhook keys against the charts", () => {
  const data = (chart: string) => chartDataVersion(chart, VERSION)!;

  test("istiod's values.yaml declares istiodRemote.injectionURL and injectionCABundle", () => {
    const remote = chartDefaults("istiod", data("istiod")).istiodRemote;
    expect({ injectionURL: remote.injectionURL, injectionCABundle: remote.injectionCABundle }).toEqual({
      injectionURL: "",
      injectionCABundle: "",
    });
    // The path the external URL replaces, the same the program appends.
    expect(remote.injectionPath).toBe(ISTIOD_WEBHOOK_PATHS.inject);
  });

  test("base's values.yaml declares base.validationURL and validationCABundle", () => {
    const { validationURL, validationCABundle } = chartDefaults("base", data("base")).base;
    expect({ validationURL, validationCABundle }).toEqual({ validationURL: "", validationCABundle: "" });
  });

  test("istiod's values.yaml does not declare base.validation*: its template reads them (charts.ts cites it)", () => {
    const base = chartDefaults("istiod", data("istiod")).base;
    expect(Object.keys(base)).not.toContain("validationURL");
    expect(unknownChartValuePaths("istiod", data("istiod"), { base: { validationURL: "u" } })).toEqual([]);
    expect(unknownChartValuePaths("istiod", data("istiod"), { base: { validationUrl: "u" } })).toEqual([
      "base.validationUrl",
    ]);
  });
});

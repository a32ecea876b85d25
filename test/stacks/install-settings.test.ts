import { mkdirSync } from "node:fs";
import { caBundle } from "../../components/istio-webhooks";
import { defaultIn, ENVIRONMENTS } from "../../stacks/key";
import { readKeys } from "../../stacks/parse";
import { plan } from "../../stacks/plan";
import { installedCharts } from "../../stacks/rules-install";
import { parseSettings, type Settings } from "../../stacks/settings";
import { TABLE } from "../../stacks/table";
import { makeChartSource, type ChartSource } from "../support/chart-source";
import { createCa } from "../support/certs";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { settingsError } from "../support/variants";

/**
 * How the stack installs its software: charts from a local directory (`chartSource`) and an
 * istiod outside the cluster (`istioWebhookUrl`, `istioWebhookCaBundle`); their rows, their
 * rules and the plan they reach. The program with them: test/program/chart-source.test.ts and
 * external-istiod.test.ts.
 */

type Config = Record<string, string | number | boolean>;
const settingsOf = (config: Config, stack = "dev"): Settings =>
  parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
const problems = (config: Config, stack = "dev"): string[] =>
  settingsError({ ...stackConfig(stack), ...config }, stack).problems;
const valuesOf = (config: Config, stack = "dev") =>
  readKeys(engineConfig({ ...stackConfig(stack), ...config }), stack).values;

const NEW_KEYS = ["chartSource", "istioWebhookUrl", "istioWebhookCaBundle"] as const;

test("no environment has a default for them: unset, the charts' repositories and the in-cluster istiod", () => {
  for (const key of NEW_KEYS) {
    expect({ key, optional: TABLE[key].optional }).toEqual({ key, optional: true });
    for (const e of ENVIRONMENTS)
      expect({ key, e, d: defaultIn(TABLE[key], e) }).toEqual({ key, e, d: undefined });
  }
  for (const stack of ["dev", "staging", "prod"]) {
    const s = settingsOf({}, stack);
    expect(s.chartSource).toBeUndefined();
    expect(s.mesh.externalIstiod).toBeUndefined();
  }
});

describe("chartSource", () => {
  /** Each environment's charts: Istio's everywhere, the add-ons' only where its settings install them. */
  test("the charts a stack installs follow its add-ons and their pinned versions", () => {
    const istio = ["base", "istiod", "cni", "gateway"].map((chart) => ({
      chart,
      version: "1.31.1",
      pinnedBy: "istioVersion",
    }));
    expect(installedCharts(valuesOf({}, "prod"))).toEqual(istio);
    expect(installedCharts(valuesOf({}, "dev"))).toEqual([
      ...istio,
      { chart: "kube-prometheus-stack", version: "85.1.2", pinnedBy: "prometheusStackVersion" },
      { chart: "jaeger", version: "4.11.1", pinnedBy: "jaegerChartVersion" },
      { chart: "kiali-server", version: "2.29.0", pinnedBy: "kialiChartVersion" },
      { chart: "argo-rollouts", version: "2.41.0", pinnedBy: "argoRolloutsChartVersion" },
    ]);
    const bumped = installedCharts(valuesOf({ istioVersion: "1.30.3", kialiChartVersion: "2.30.0" }));
    expect(bumped.filter((c) => c.pinnedBy === "istioVersion").map((c) => c.version)).toEqual(
      Array(4).fill("1.30.3"),
    );
    expect(bumped.find((c) => c.chart === "kiali-server")?.version).toBe("2.30.0");
  });

  describe("a directory holding every chart of the stack", () => {
    let source: ChartSource;
    beforeAll(() => (source = makeChartSource(installedCharts(valuesOf({})))));
    afterAll(() => source.remove());

    test("is taken, and the plan hands it to every component that installs a chart", () => {
      const s = settingsOf({ chartSource: source.dir });
      expect(s.chartSource).toBe(source.dir);
      const p = plan(s);
      expect([
        p.istio.chartSource,
        p.observability.chartSource,
        p.addons.egress?.chartSource,
        p.addons.kiali?.chartSource,
        p.addons.tracing?.jaeger?.chartSource,
        p.addons.delivery?.chartSource,
      ]).toEqual(Array(6).fill(source.dir));
      expect(plan(settingsOf({})).istio.chartSource).toBeUndefined();
    });

    test("a chart the stack turns on later must be there too: one line per missing chart directory", () => {
      // Istio 1.30.3's four charts are not in it.
      const found = problems({ chartSource: source.dir, istioVersion: "1.30.3" });
      expect(found).toEqual(
        ["base", "istiod", "cni", "gateway"].map(
          (chart) =>
            `pingpong:chartSource=${JSON.stringify(source.dir)}: expected the ${chart} chart at pingpong:istioVersion 1.30.3 unpacked in ${source.path(chart, "1.30.3")}; ${source.path(chart, "1.30.3")}/Chart.yaml does not exist`,
        ),
      );
    });
  });

  test("prod installs only Istio's charts: a directory of those four is enough there, not on dev", () => {
    const source = makeChartSource(installedCharts(valuesOf({}, "prod")));
    try {
      expect(settingsOf({ chartSource: source.dir }, "prod").chartSource).toBe(source.dir);
      const missing = problems({ chartSource: source.dir }, "dev");
      expect(missing.map((p) => /expected the (\S+) chart/.exec(p)?.[1])).toEqual([
        "kube-prometheus-stack",
        "jaeger",
        "kiali-server",
        "argo-rollouts",
      ]);
      expect(missing[1]).toBe(
        `pingpong:chartSource=${JSON.stringify(source.dir)}: expected the jaeger chart at pingpong:jaegerChartVersion 4.11.1 unpacked in ${source.path("jaeger", "4.11.1")}; ${source.path("jaeger", "4.11.1")}/Chart.yaml does not exist`,
      );
    } finally {
      source.remove();
    }
  });

  test("a chart directory without its Chart.yaml is not a chart", () => {
    const source = makeChartSource(installedCharts(valuesOf({}, "prod")).filter((c) => c.chart !== "cni"));
    try {
      // The directory exists, the chart file does not.
      mkdirSync(source.path("cni", "1.31.1"), { recursive: true });
      expect(problems({ chartSource: source.dir }, "prod")).toEqual([
        `pingpong:chartSource=${JSON.stringify(source.dir)}: expected the cni chart at pingpong:istioVersion 1.31.1 unpacked in ${source.path("cni", "1.31.1")}; ${source.path("cni", "1.31.1")}/Chart.yaml does not exist`,
      ]);
    } finally {
      source.remove();
    }
  });

  test("a relative path is refused, before anything is looked up", () => {
    expect(problems({ chartSource: "charts" })).toEqual([
      'pingpong:chartSource="charts": expected an absolute path to a directory of unpacked Helm charts laid out as <chart>/<version>/',
    ]);
    expect(problems({ chartSource: "./srv/charts" })).toHaveLength(1);
  });

  test("a directory that does not exist is one line, not one per chart", () => {
    const dir = "/nonexistent/pingpong-charts";
    expect(problems({ chartSource: dir })).toEqual([
      `pingpong:chartSource="${dir}": expected a directory of unpacked Helm charts laid out as <chart>/<version>/; there is none`,
    ]);
  });
});

describe("istioWebhookUrl and istioWebhookCaBundle", () => {
  let pem: string;
  beforeAll(async () => (pem = (await createCa("external istiod CA")).cert));

  test("both set: the settings carry the external istiod, the plan hands it to Istio", () => {
    const s = settingsOf({ istioWebhookUrl: "https://127.0.0.1:15017", istioWebhookCaBundle: pem });
    expect(s.mesh.externalIstiod).toEqual({ url: "https://127.0.0.1:15017", caPem: pem });
    expect(plan(s).istio.externalIstiod).toEqual(s.mesh.externalIstiod);
    // The chart values carry it base64-encoded (components/istio-webhooks.ts).
    expect(Buffer.from(caBundle(pem), "base64").toString("utf8")).toBe(pem);
  });

  test.each(["https://istiod.example.com", "https://10.0.0.7:15017", "https://[fd00::7]:15017"])(
    "%s is a base URL",
    (url) => {
      expect(settingsOf({ istioWebhookUrl: url, istioWebhookCaBundle: pem }).mesh.externalIstiod?.url).toBe(
        url,
      );
    },
  );

  test.each([
    ["plain http", "http://127.0.0.1:15017"],
    ["a path", "https://127.0.0.1:15017/inject"],
    ["a trailing slash", "https://127.0.0.1:15017/"],
    ["a query", "https://127.0.0.1:15017?x=1"],
    ["a fragment", "https://127.0.0.1:15017#inject"],
    ["user info", "https://admin@127.0.0.1:15017"],
    ["no host", "https://:15017"],
    ["a port out of range", "https://127.0.0.1:99999"],
    ["no scheme", "127.0.0.1:15017"],
  ])("a URL with %s is refused", (_, url) => {
    expect(problems({ istioWebhookUrl: url, istioWebhookCaBundle: pem })).toEqual([
      `pingpong:istioWebhookUrl=${JSON.stringify(url)}: expected an https URL of a host and optional port only (no path, query, fragment or user info), e.g. https://127.0.0.1:15017`,
    ]);
  });

  test("the URL without the CA bundle is refused, naming the missing key", () => {
    expect(problems({ istioWebhookUrl: "https://127.0.0.1:15017" })).toEqual([
      "pingpong:istioWebhookCaBundle=<unset>: expected the PEM of the CA that signed the serving certificate of the istiod at pingpong:istioWebhookUrl, because it is set",
    ]);
  });

  test("a CA bundle without the URL is refused", () => {
    expect(problems({ istioWebhookCaBundle: pem })).toEqual([
      `pingpong:istioWebhookCaBundle=${JSON.stringify(pem)}: expected unset unless pingpong:istioWebhookUrl is set`,
    ]);
  });

  test.each([
    ["not PEM", "MIIBkTCB+wIJAK..."],
    [
      "a key, not a certificate",
      "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n",
    ],
    ["an empty block", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"],
  ])("a CA bundle that is %s is refused", (_, bundle) => {
    expect(problems({ istioWebhookUrl: "https://127.0.0.1:15017", istioWebhookCaBundle: bundle })).toEqual([
      `pingpong:istioWebhookCaBundle=${JSON.stringify(bundle)}: expected PEM text holding a -----BEGIN CERTIFICATE----- block`,
    ]);
  });
});

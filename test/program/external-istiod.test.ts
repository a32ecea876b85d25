import type { Settings } from "../../stacks/settings";
import { createCa } from "../support/certs";
import { chartDataVersion, unknownChartValuePaths } from "../support/charts";
import { ofType, runWithSettings, type ProgramRun } from "../support/program";
import { describeWithReference } from "../support/reference";
import { stackConfig } from "../support/stack-files";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, chartRelease, release } from "./lookup";

/**
 * The whole program with an istiod outside the cluster (`istioWebhookUrl`, `istioWebhookCaBundle`):
 * Istio's injection and validation webhooks call it and trust its CA; nothing else changes. The
 * values alone and each chart key's source: test/components/istio-values.test.ts.
 */

const URL_BASE = "https://127.0.0.1:15017";
let pem: string;
let external: ProgramRun;
let settings: Settings;
const plain = {} as Record<"dev", ProgramRun>;

beforeAll(async () => {
  pem = (await createCa("external istiod CA")).cert;
  await runVariants({ dev: SHARED_VARIANTS.dev }, plain, {} as Record<"dev", Settings>);
  const config = { ...stackConfig("dev"), istioWebhookUrl: URL_BASE, istioWebhookCaBundle: pem };
  ({ run: external, settings } = await runWithSettings("dev", config));
}, 120_000);

test("the settings carry the external istiod as given", () => {
  expect(settings.mesh.externalIstiod).toEqual({ url: URL_BASE, caPem: pem });
});

test("istiod's chart points sidecar injection and config validation at it, with its CA base64-encoded", () => {
  const bundle = Buffer.from(pem).toString("base64");
  const { values } = release(external, "istiod").inputs;
  expect(values.istiodRemote).toEqual({ injectionURL: `${URL_BASE}/inject`, injectionCABundle: bundle });
  expect(values.base).toEqual({ validationURL: `${URL_BASE}/validate`, validationCABundle: bundle });
});

test("the base chart's default validator calls it too", () => {
  expect(release(external, "base").inputs.values).toEqual({
    defaultRevision: "default",
    base: { validationURL: `${URL_BASE}/validate`, validationCABundle: Buffer.from(pem).toString("base64") },
  });
});

test("every other release, and every other resource, is what the stack installs without it", () => {
  const others = (run: ProgramRun) =>
    run.resources
      .filter((r) => !(r.type === T.release && ["istiod", "base"].includes(r.inputs.chart)))
      // Certificates are generated per render; the releases and objects around them are compared.
      .filter((r) => !r.type.startsWith("tls:"))
      .map((r) => ({ type: r.type, name: r.name }));
  expect(others(external)).toEqual(others(plain.dev));
  for (const r of ofType(external, T.release).filter((r) => !["istiod", "base"].includes(r.inputs.chart))) {
    const before = ofType(plain.dev, T.release).find((p) => p.name === r.name)!;
    expect({ release: r.name, values: r.inputs.values }).toEqual({
      release: r.name,
      values: before.inputs.values,
    });
  }
  const { istiodRemote: _i, base: _b, ...istiod } = release(external, "istiod").inputs.values;
  expect(istiod).toEqual(release(plain.dev, "istiod").inputs.values);
});

describeWithReference("the webhook values against the charts at the pinned version", () => {
  test.each(["istiod", "base"])("%s: every value the program sets exists in the chart", (chart) => {
    const r = chartRelease(external, chart);
    const version = chartDataVersion(chart, r.version)!;
    const opaque = chart === "istiod" ? ["meshConfig"] : [];
    expect(unknownChartValuePaths(chart, version, r.values, opaque)).toEqual([]);
  });
});

import { readKeys } from "../../stacks/parse";
import type { Settings } from "../../stacks/settings";
import { installedCharts } from "../../stacks/rules-install";
import { chartName } from "../../policy/edge";
import { makeChartSource, type ChartSource } from "../support/chart-source";
import { engineConfig, ofType, runWithSettings, type ProgramRun, type Recorded } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T } from "./lookup";

/**
 * The whole program with `chartSource`: every Helm release, Istio's and every add-on's, installs its
 * chart from the directory, at the version the stack pins, and from no repository. The directory is
 * made by the test from what the program installs without it, so a release that missed the setting
 * would still point at its repository here.
 */

const VARIANTS = { dev: SHARED_VARIANTS.dev, prod: SHARED_VARIANTS.prod };
type Variant = keyof typeof VARIANTS;
const STACKS = Object.keys(VARIANTS) as Variant[];
const plain = {} as Record<Variant, ProgramRun>;
const local = {} as Record<Variant, ProgramRun>;
let source: ChartSource;

beforeAll(async () => {
  await runVariants(VARIANTS, plain, {} as Record<Variant, Settings>);
  // Every chart at every version the stacks install from their repositories.
  const charts = STACKS.flatMap((v) => ofType(plain[v], T.release)).map((r) => ({
    chart: r.inputs.chart as string,
    version: r.inputs.version as string,
  }));
  source = makeChartSource(charts);
  for (const v of STACKS) {
    const config = { ...stackConfig(VARIANTS[v].stack), chartSource: source.dir };
    local[v] = (await runWithSettings(VARIANTS[v].stack, config)).run;
  }
}, 120_000);
afterAll(() => source?.remove());

/** The release registered under the same name in another render. */
const counterpart = (run: ProgramRun, r: Recorded): Recorded => {
  const found = ofType(run, T.release).find((other) => other.name === r.name);
  if (!found) throw new Error(`no release ${r.name}`);
  return found;
};

test("dev installs every chart the program has: Istio's four, the egress gateway and the four add-ons'", () => {
  expect(
    ofType(plain.dev, T.release)
      .map((r) => r.inputs.chart)
      .sort(),
  ).toEqual(
    [
      "argo-rollouts",
      "base",
      "cni",
      "gateway",
      "gateway",
      "istiod",
      "jaeger",
      "kiali-server",
      "kube-prometheus-stack",
    ].sort(),
  );
});

describe.each(STACKS)("%s with a chart source", (v) => {
  const releases = () => ofType(local[v], T.release);

  test("every release installs from <chartSource>/<chart>/<pinned version>, from no repository", () => {
    expect(
      releases()
        .map((r) => r.name)
        .sort(),
    ).toEqual(
      ofType(plain[v], T.release)
        .map((r) => r.name)
        .sort(),
    );
    for (const r of releases()) {
      const { chart, version, repositoryOpts } = counterpart(plain[v], r).inputs;
      expect(repositoryOpts?.repo).toMatch(/^https:\/\//);
      expect({
        release: r.name,
        chart: r.inputs.chart,
        version: r.inputs.version,
        repo: r.inputs.repositoryOpts,
      }).toEqual({
        release: r.name,
        chart: source.path(chart, version),
        version: undefined,
        repo: undefined,
      });
      expect(r.inputs.chart.startsWith(`${source.dir}/`)).toBe(true);
    }
  });

  test("nothing else about a release changes: its name, namespace and values are the repository chart's", () => {
    for (const r of releases()) {
      const { chart: _c, version: _v, repositoryOpts: _r, ...rest } = counterpart(plain[v], r).inputs;
      const { chart: _lc, ...localRest } = r.inputs;
      expect({ release: r.name, inputs: localRest }).toEqual({ release: r.name, inputs: rest });
    }
  });

  test("the settings' check asks for exactly the chart directories the releases point at", () => {
    const values = readKeys(
      engineConfig({ ...stackConfig(VARIANTS[v].stack), chartSource: source.dir }),
      v,
    ).values;
    const checked = installedCharts(values).map((c) => source.path(c.chart, c.version));
    expect([...new Set(releases().map((r) => r.inputs.chart as string))].sort()).toEqual(checked.sort());
  });

  test("the policy pack still knows each release's chart by name (rules on istiod's and the gateway's values)", () => {
    for (const r of releases())
      expect({ release: r.name, chart: chartName(r.inputs.chart) }).toEqual({
        release: r.name,
        chart: counterpart(plain[v], r).inputs.chart,
      });
  });
});

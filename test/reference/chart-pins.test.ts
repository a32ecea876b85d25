// Which charts the fetch puts in the chart cache, and where that cache is: every chart the program
// installs (components/charts.ts), at the settings' default versions, in the folder the cluster tier
// searches (test/cluster/charts.ts).
import { dirname, join } from "node:path";
import { CHARTS } from "../../components/charts";
import { DEFAULTS } from "../../stacks/table";
import { chartRoots } from "../cluster/charts";
import { toolsCache } from "../cluster/tools";
import { checkPins, defaultChartsDir, pinnedCharts, type ChartPin } from "./chart-pins";

describe("pinnedCharts", () => {
  const pins = pinnedCharts();

  it("lists every chart the program installs, once, from the repository it installs it from", () => {
    const known = Object.values(CHARTS);
    expect(pins.map((p) => p.chart).sort()).toEqual(known.map((c) => c.chart).sort());
    for (const pin of pins) {
      expect(pin.repository).toBe(known.find((c) => c.chart === pin.chart)?.repository);
    }
    expect(() => checkPins(pins)).not.toThrow();
  });

  it("takes Istio's four charts at the default istioVersion, the others at plain chart versions", () => {
    const istio = [CHARTS.istioBase, CHARTS.istiod, CHARTS.istioCni, CHARTS.istioGateway].map((c) => c.chart);
    for (const pin of pins) {
      if (istio.includes(pin.chart)) expect(pin.version).toBe(DEFAULTS.dev.istioVersion);
      else expect(pin.version).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });
});

describe("checkPins", () => {
  const pin: ChartPin = { chart: "demo", version: "1.2.0", repository: "https://example.com/charts" };

  it.each([
    { ...pin, chart: ".." },
    { ...pin, chart: "a/b" },
    { ...pin, version: ".hidden" },
    { ...pin, version: "" },
  ])("rejects a chart or version that is not one path segment: $chart $version", (bad) => {
    expect(() => checkPins([bad])).toThrow(/^charts: .* is not a chart name or version$/);
  });

  it("rejects a repository that is not http(s), and a chart listed twice", () => {
    expect(() => checkPins([{ ...pin, repository: "oci://example.com/charts" }])).toThrow(
      "is not an http(s) URL",
    );
    expect(() => checkPins([pin, pin])).toThrow("charts: demo 1.2.0 is listed twice");
  });
});

describe("defaultChartsDir", () => {
  const saved = process.env.PINGPONG_TOOLS_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.PINGPONG_TOOLS_CACHE;
    else process.env.PINGPONG_TOOLS_CACHE = saved;
  });

  it("is the charts folder beside the cluster tier's tools, one the tier searches", () => {
    process.env.PINGPONG_TOOLS_CACHE = "/var/cache/pp/tools";
    expect(defaultChartsDir()).toBe("/var/cache/pp/charts");
    expect(chartRoots()).toContain(defaultChartsDir());
    delete process.env.PINGPONG_TOOLS_CACHE;
    expect(defaultChartsDir()).toBe(join(dirname(toolsCache()), "charts"));
  });
});

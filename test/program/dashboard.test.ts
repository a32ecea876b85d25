import { readFileSync } from "node:fs";
import path from "node:path";
import { METRIC_NAMES } from "../../app/src/contract";
import {
  GRAFANA_DASHBOARD_LABEL,
  dashboardConfigMapData,
  pingpongDashboard,
} from "../../components/dashboard";
import { ISTIO_METRICS } from "../../components/dashboard-panels";
import type { GrafanaDashboard, GridPos } from "../../components/grafana";
import { metricNamesIn, metricsInExpr, unknownMetrics } from "../support/promql";
import { httpRequest, pingResults, startService, waitFor, type RunningService } from "../support/service";

const NAMESPACES = ["pingpong-a", "pingpong-b"];
const ISTIO_NAMES = Object.values(ISTIO_METRICS);

function dashboard(): GrafanaDashboard {
  return pingpongDashboard({ uid: "pingpong", title: "pingpong", namespaces: NAMESPACES });
}

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function allExprs(d: GrafanaDashboard): string[] {
  return d.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

describe("pingpongDashboard", () => {
  it("is valid JSON that round-trips unchanged", () => {
    const d = dashboard();
    const text = JSON.stringify(d);
    expect(JSON.parse(text)).toEqual(d);
    expect(JSON.parse(dashboardConfigMapData(d)["pingpong.json"])).toEqual(d);
    expect(Object.keys(dashboardConfigMapData(d))).toEqual(["pingpong.json"]);
  });

  it("has the dashboard identity, schema version and the sidecar's label", () => {
    const d = pingpongDashboard({ uid: "pp-dev", title: "pingpong (dev)", namespaces: NAMESPACES });
    expect(d.uid).toBe("pp-dev");
    expect(d.title).toBe("pingpong (dev)");
    expect(d.schemaVersion).toBe(39);
    expect(GRAFANA_DASHBOARD_LABEL).toEqual({ grafana_dashboard: "1" });
  });

  it("has a Prometheus datasource variable and a namespace variable over the given namespaces", () => {
    const vars = dashboard().templating.list;
    const ds = vars.find((v) => v.name === "datasource");
    expect(ds).toMatchObject({ type: "datasource", query: "prometheus" });
    const ns = vars.find((v) => v.name === "namespace");
    expect(ns).toMatchObject({ type: "custom", query: "pingpong-a,pingpong-b", multi: true });
    if (ns?.type !== "custom") throw new Error("namespace variable is not a custom variable");
    expect(ns.options.map((o) => o.value)).toEqual(["$__all", ...NAMESPACES]);

    const other = pingpongDashboard({ uid: "x", title: "x", namespaces: ["blue"] }).templating.list;
    expect(other.find((v) => v.name === "namespace")).toMatchObject({ query: "blue" });
  });

  it("has unique panel ids, timeseries or stat panels, and targets on the datasource variable", () => {
    const d = dashboard();
    expect(d.panels.length).toBeGreaterThanOrEqual(8);
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(["timeseries", "stat"]).toContain(p.type);
      expect(p.datasource.uid).toBe("${datasource}");
      expect(p.targets.length).toBeGreaterThan(0);
      const refIds = p.targets.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const t of p.targets) {
        expect(t.refId).toMatch(/^[A-Z]$/);
        expect(t.expr.trim()).not.toBe("");
        expect(t.datasource.uid).toBe("${datasource}");
      }
    }
  });

  it("lays panels out on the 24-column grid without overlaps", () => {
    const panels = dashboard().panels;
    for (const p of panels) {
      expect(p.gridPos.x).toBeGreaterThanOrEqual(0);
      expect(p.gridPos.w).toBeGreaterThan(0);
      expect(p.gridPos.h).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
    for (let i = 0; i < panels.length; i++) {
      for (let j = i + 1; j < panels.length; j++) {
        expect({
          a: panels[i].title,
          b: panels[j].title,
          overlap: overlaps(panels[i].gridPos, panels[j].gridPos),
        }).toEqual({ a: panels[i].title, b: panels[j].title, overlap: false });
      }
    }
  });

  it("queries the app and Istio metrics the way the panels promise", () => {
    const exprs = allExprs(dashboard());
    const has = (fragment: string) => expect(exprs.some((e) => e.includes(fragment))).toBe(true);
    has('sum by (namespace, result) (rate(pingpong_pings_total{namespace=~"$namespace"}[5m]))');
    for (const q of ["0.5", "0.9", "0.99"]) {
      has(
        `histogram_quantile(${q}, sum by (le, namespace) (rate(pingpong_ping_duration_seconds_bucket{namespace=~"$namespace"}[5m])))`,
      );
    }
    has('sum by (namespace, caller) (rate(pingpong_pongs_total{namespace=~"$namespace"}[5m]))');
    has('sum by (namespace) (pingpong_ready{namespace=~"$namespace"})');

    const dest = 'reporter="destination",destination_workload_namespace=~"$namespace"';
    has(`sum by (source_workload, destination_workload) (rate(istio_requests_total{${dest}}[5m]))`);
    has(
      `sum by (source_workload, destination_workload) (rate(istio_requests_total{${dest},response_code=~"5.."}[5m]))` +
        ` / sum by (source_workload, destination_workload) (rate(istio_requests_total{${dest}}[5m]))`,
    );
    for (const q of ["0.5", "0.99"]) {
      has(
        `histogram_quantile(${q}, sum by (le, source_workload, destination_workload) (rate(istio_request_duration_milliseconds_bucket{${dest}}[5m])))`,
      );
    }
    has(
      `sum(rate(istio_requests_total{${dest},connection_security_policy="mutual_tls"}[5m]))` +
        ` / sum(rate(istio_requests_total{${dest}}[5m]))`,
    );
  });

  it("takes metric names from the contract: none is typed in the dashboard's modules", () => {
    const source = ["dashboard.ts", "dashboard-panels.ts", "grafana.ts"]
      .map((file) => readFileSync(path.join(__dirname, "../../components", file), "utf8"))
      .join("\n");
    for (const name of Object.values(METRIC_NAMES)) expect(source).not.toContain(name);
    for (const name of ISTIO_NAMES) expect(source.split(name).length - 1).toBe(1);
  });

  it("rejects an invalid uid or namespace list", () => {
    expect(() => pingpongDashboard({ uid: "", title: "t", namespaces: NAMESPACES })).toThrow(/uid/);
    expect(() => pingpongDashboard({ uid: "a".repeat(41), title: "t", namespaces: NAMESPACES })).toThrow(
      /uid/,
    );
    expect(() => pingpongDashboard({ uid: "u", title: "t", namespaces: [] })).toThrow(/namespaces/);
    expect(() => pingpongDashboard({ uid: "u", title: "t", namespaces: ["a,b"] })).toThrow(/"a,b"/);
    expect(() => pingpongDashboard({ uid: "u", title: "t", namespaces: ["a", "a"] })).toThrow(/duplicates/);
  });
});

describe("metricNamesIn", () => {
  it("finds the selected series, not functions, keywords or label names", () => {
    expect(
      metricsInExpr(
        'histogram_quantile(0.9, sum by (le, namespace) (rate(foo_seconds_bucket{le!="+Inf",x=~"a|b"}[5m] offset 1h)))',
      ),
    ).toEqual(["foo_seconds_bucket"]);
    expect(metricsInExpr("sum(rate(a_total[1m])) by (job) / on (job) group_left (ns) b_info")).toEqual([
      "a_total",
      "b_info",
    ]);
    expect(metricsInExpr("up == bool 1 and absent(c_gauge) or vector(0)")).toEqual(["up", "c_gauge"]);
    expect(metricsInExpr('count(d_total{l="sum(rate(x[5m]))"})')).toEqual(["d_total"]);
  });

  it("reports the dashboard's metrics by name, histograms by their base name", () => {
    expect(metricNamesIn(dashboard())).toEqual(
      [
        METRIC_NAMES.pings,
        METRIC_NAMES.pingDuration,
        METRIC_NAMES.pongs,
        METRIC_NAMES.ready,
        ISTIO_METRICS.requests,
        ISTIO_METRICS.duration,
      ].sort(),
    );
  });

  it("strips _sum and _count only from histograms", () => {
    const d = dashboard();
    d.panels[0].targets[0].expr =
      "rate(h_seconds_sum[5m]) / rate(h_seconds_count[5m]) + rate(h_seconds_bucket[5m]) + jobs_count + " +
      `rate(${METRIC_NAMES.pingDuration}_count[5m])`;
    d.panels.splice(1);
    expect(metricNamesIn(d)).toEqual(["h_seconds", "jobs_count", METRIC_NAMES.pingDuration].sort());
  });
});

describe("the dashboard against a live instance's /metrics", () => {
  let a: RunningService | undefined;
  let b: RunningService | undefined;
  let liveText = "";

  beforeAll(async () => {
    a = await startService({ POD_NAMESPACE: "pingpong-a", POD_NAME: "a-0", TICK_MS: "60000" });
    b = await startService({ POD_NAMESPACE: "pingpong-b", POD_NAME: "b-0", TICK_MS: "60000" });
    const pong = await httpRequest(a.url("/ping"));
    expect(pong.status).toBe(200);
    // The pinger sends its first ping at once; a long tick keeps it to one.
    a.service.startPinging(new URL(b.url("/ping")));
    const instance = a;
    await waitFor(async () => pingResults(await instance.metricsText()).success >= 1, 5000, "one ping");
    liveText = await a.metricsText();
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("exposes every app metric a panel queries (histograms through _bucket)", () => {
    const names = metricNamesIn(dashboard());
    expect(unknownMetrics(names, liveText, ISTIO_NAMES)).toEqual([]);
    const appNames = names.filter((n) => !ISTIO_NAMES.includes(n as (typeof ISTIO_NAMES)[number]));
    expect(appNames.length).toBe(4);
    expect(liveText).toMatch(/^pingpong_ping_duration_seconds_bucket\{/m);
    expect(liveText).toMatch(/^pingpong_pongs_total\{/m);
  });

  it("catches a misspelt metric name", () => {
    const d = dashboard();
    d.panels[0].targets[0].expr = d.panels[0].targets[0].expr.replace(
      METRIC_NAMES.pings,
      "pingpong_ping_total",
    );
    d.panels[1].targets[0].expr = d.panels[1].targets[0].expr.replace(
      `${METRIC_NAMES.pingDuration}_bucket`,
      "pingpong_ping_duration_second_bucket",
    );
    d.panels[4].targets[0].expr = d.panels[4].targets[0].expr.replace(
      ISTIO_METRICS.requests,
      "istio_request_total",
    );
    expect(unknownMetrics(metricNamesIn(d), liveText, ISTIO_NAMES)).toEqual([
      "istio_request_total",
      "pingpong_ping_duration_second",
      "pingpong_ping_total",
    ]);
  });

  it("does not take a metric absent from /metrics, or an Istio name not listed, as known", () => {
    expect(unknownMetrics([METRIC_NAMES.pongs], "", ISTIO_NAMES)).toEqual([METRIC_NAMES.pongs]);
    expect(unknownMetrics([ISTIO_METRICS.requests], liveText, [])).toEqual([ISTIO_METRICS.requests]);
    expect(unknownMetrics(["pingpong"], liveText, ISTIO_NAMES)).toEqual(["pingpong"]);
  });
});

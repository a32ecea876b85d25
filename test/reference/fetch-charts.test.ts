// The chart fetch against a loopback Helm repository: the requests it makes, the chart cache it
// fills (`<chart>/<version>/`, as the cluster tier's findChart reads it) and a second run that
// downloads nothing.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findChart } from "../cluster/charts";
import { DEPENDENCY, indexYaml, packChart, publishStable, STABLE, useChartRepo } from "./chart-repo";
import { sha256 } from "./download";
import { archiveUrl } from "./helm-repo";

const repo = useChartRepo();

const chartFiles = (chart: string, version: string) =>
  ["Chart.yaml", "charts/dep-0.1.0.tgz", "templates/cm.yaml", "values.yaml"].map(
    (f) => `${chart}/${version}/${f}`,
  );

describe("archiveUrl", () => {
  it("resolves a relative URL against the repository, with or without a trailing slash", () => {
    expect(archiveUrl("https://example.com/charts", "demo-1.2.0.tgz")).toBe(
      "https://example.com/charts/demo-1.2.0.tgz",
    );
    expect(archiveUrl("https://example.com/charts/", "pkg/demo-1.2.0.tgz")).toBe(
      "https://example.com/charts/pkg/demo-1.2.0.tgz",
    );
  });

  it("keeps an absolute URL and refuses one that is not http(s)", () => {
    expect(archiveUrl("https://example.com/charts", "https://cdn.example.org/demo-1.2.0.tgz")).toBe(
      "https://cdn.example.org/demo-1.2.0.tgz",
    );
    expect(() => archiveUrl("https://example.com/charts", "oci://example.com/demo")).toThrow(
      "which is not http(s)",
    );
  });
});

describe("fetchCharts: layout", () => {
  it("unpacks each chart as <chart>/<version>/, dependencies still packed, where the cluster tier looks", async () => {
    const { pins } = publishStable(repo);
    const { summary, log, errors } = await repo.run(pins);
    expect(errors).toEqual([]);
    expect(repo.listFiles()).toEqual([...chartFiles("demo", "1.2.0"), ...chartFiles("other", "0.3.0")]);
    expect(readFileSync(join(repo.dir, "demo/1.2.0/charts/dep-0.1.0.tgz"))).toEqual(DEPENDENCY);
    // Nothing left of the unpacking: only the chart folders.
    expect(readdirSync(repo.dir).sort()).toEqual(["demo", "other"]);
    expect(findChart("demo", "1.2.0", [repo.dir])).toEqual({
      chart: "demo",
      pinned: "1.2.0",
      dir: join(repo.dir, "demo", "1.2.0"),
    });

    // One index for both charts; demo's relative URL resolved against the repository, other's absolute one as listed.
    expect([...repo.requests].sort()).toEqual(
      [STABLE.other.path, STABLE.demo.path, "/stable/index.yaml"].sort(),
    );
    expect(summary).toEqual({ charts: 2, unpacked: 2, present: 0, downloads: 3, failures: [] });
    expect(log).toEqual([
      `  chart demo 1.2.0: unpacked from ${repo.baseUrl}${STABLE.demo.path}`,
      `  chart other 0.3.0: unpacked from ${repo.baseUrl}${STABLE.other.path}`,
      `upstream:fetch: 2 charts in ${repo.dir}: 2 unpacked (3 downloads), 0 already present`,
    ]);
  });

  it("resolves a relative archive URL below a repository's path", async () => {
    const archive = packChart("demo", "1.2.0");
    const repository = `${repo.baseUrl}/mirror/stable`;
    repo.serve(
      "/mirror/stable/index.yaml",
      indexYaml([
        { chart: "demo", version: "1.2.0", urls: ["archives/demo-1.2.0.tgz"], digest: sha256(archive) },
      ]),
    );
    repo.serve("/mirror/stable/archives/demo-1.2.0.tgz", archive);
    const { summary, errors } = await repo.run([{ chart: "demo", version: "1.2.0", repository }]);
    expect(errors).toEqual([]);
    expect(summary.unpacked).toBe(1);
    expect(repo.requests).toEqual(["/mirror/stable/index.yaml", "/mirror/stable/archives/demo-1.2.0.tgz"]);
  });

  it("takes the next URL listed when the first answers with an HTTP error", async () => {
    const archive = packChart("demo", "1.2.0");
    repo.serve(
      "/stable/index.yaml",
      indexYaml([
        {
          chart: "demo",
          version: "1.2.0",
          urls: ["gone/demo-1.2.0.tgz", "demo-1.2.0.tgz"],
          digest: sha256(archive),
        },
      ]),
    );
    repo.serve("/stable/demo-1.2.0.tgz", archive);
    const { summary, log } = await repo.run([
      { chart: "demo", version: "1.2.0", repository: `${repo.baseUrl}/stable` },
    ]);
    expect(summary).toMatchObject({ unpacked: 1, failures: [] });
    expect(log[0]).toBe(`  chart demo 1.2.0: unpacked from ${repo.baseUrl}/stable/demo-1.2.0.tgz`);
  });
});

describe("fetchCharts: a second run", () => {
  it("downloads nothing when every chart is in place", async () => {
    const { pins } = publishStable(repo);
    await repo.run(pins);
    const chartYaml = readFileSync(join(repo.dir, "demo/1.2.0/Chart.yaml"), "utf8");
    repo.clearRequests();
    const { summary, log } = await repo.run(pins);
    expect(repo.requests).toEqual([]);
    expect(summary).toEqual({ charts: 2, unpacked: 0, present: 2, downloads: 0, failures: [] });
    expect(log.slice(0, 2)).toEqual([
      "  chart demo 1.2.0: already present",
      "  chart other 0.3.0: already present",
    ]);
    expect(readFileSync(join(repo.dir, "demo/1.2.0/Chart.yaml"), "utf8")).toBe(chartYaml);
  });

  it("replaces a folder whose Chart.yaml names another version", async () => {
    const { pins } = publishStable(repo);
    mkdirSync(join(repo.dir, "demo", "1.2.0"), { recursive: true });
    writeFileSync(join(repo.dir, "demo/1.2.0/Chart.yaml"), "apiVersion: v2\nname: demo\nversion: 1.1.0\n");
    writeFileSync(join(repo.dir, "demo/1.2.0/stale.yaml"), "left: over\n");
    const { summary } = await repo.run(pins);
    expect(summary).toMatchObject({ unpacked: 2, present: 0, failures: [] });
    expect(repo.listFiles()).toEqual([...chartFiles("demo", "1.2.0"), ...chartFiles("other", "0.3.0")]);
  });
});

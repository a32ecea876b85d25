// The chart fetch when something goes wrong: an archive that does not match the index's digest, a
// version or chart the index does not list, a missing archive or index, an archive holding another
// chart, a repository host that refuses connections. A failed chart leaves nothing in the cache.
import { readdirSync } from "node:fs";
import { indexYaml, packChart, publishStable, STABLE, useChartRepo } from "./chart-repo";
import { sha256, UnreachableError } from "./download";
import { fetchCharts } from "./fetch-charts";
import { closedPort } from "./loopback";

const repo = useChartRepo();

describe("fetchCharts: the index and the digest", () => {
  it("refuses an archive whose sha256 is not the index's digest, with one line", async () => {
    const { pins, demo } = publishStable(repo);
    const tampered = packChart("demo", "1.2.0");
    repo.serve(STABLE.demo.path, Buffer.concat([tampered, Buffer.from("x")]));
    const { summary, errors, log } = await repo.run(pins);
    const url = `${repo.baseUrl}${STABLE.demo.path}`;
    expect(errors).toEqual([
      `chart demo 1.2.0: digest mismatch for ${url}: ${repo.baseUrl}/stable/index.yaml lists sha256 ` +
        `${sha256(demo)}, got ${sha256(Buffer.concat([tampered, Buffer.from("x")]))}; not unpacked`,
    ]);
    expect(summary).toEqual({ charts: 2, unpacked: 1, present: 0, downloads: 3, failures: ["demo 1.2.0"] });
    expect(readdirSync(repo.dir)).toEqual(["other"]);
    expect(log).toContain("  chart demo 1.2.0: failed");
    expect(log.at(-1)).toBe(
      `upstream:fetch: 1 of 2 charts failed (1 unpacked (3 downloads), 0 already present); ${repo.dir} lacks demo 1.2.0`,
    );
  });

  it("reports a version the index does not list, and goes on with the others", async () => {
    const { pins } = publishStable(repo);
    const missing = { ...pins[0], version: "9.9.9" };
    const { summary, errors } = await repo.run([missing, pins[1]]);
    expect(errors).toEqual([
      `chart demo 9.9.9: ${repo.baseUrl}/stable/index.yaml lists no version 9.9.9 of demo`,
    ]);
    expect(summary).toMatchObject({ unpacked: 1, failures: ["demo 9.9.9"] });
    expect(readdirSync(repo.dir)).toEqual(["other"]);
  });

  it("reports a chart the index does not list", async () => {
    const { pins } = publishStable(repo);
    const { errors } = await repo.run([{ ...pins[0], chart: "absent" }]);
    expect(errors).toEqual([`chart absent 1.2.0: ${repo.baseUrl}/stable/index.yaml lists no chart absent`]);
  });

  it("refuses an entry without a digest", async () => {
    repo.serve(
      "/bare/index.yaml",
      indexYaml([{ chart: "demo", version: "1.2.0", urls: ["demo.tgz"], digest: '""' }]),
    );
    const { errors } = await repo.run([
      { chart: "demo", version: "1.2.0", repository: `${repo.baseUrl}/bare` },
    ]);
    expect(errors).toEqual([
      `chart demo 1.2.0: ${repo.baseUrl}/bare/index.yaml: demo 1.2.0 has no sha256 digest, so its archive cannot be verified`,
    ]);
    expect(repo.requests).toEqual(["/bare/index.yaml"]);
  });
});

describe("fetchCharts: HTTP, archive and network failures", () => {
  it("reports a missing index, once per chart of the repository, downloading it once", async () => {
    const repository = `${repo.baseUrl}/nowhere`;
    const { summary, errors } = await repo.run([
      { chart: "a", version: "1.0.0", repository },
      { chart: "b", version: "1.0.0", repository },
    ]);
    const line = `GET ${repository}/index.yaml: HTTP 404 Not Found`;
    expect(errors).toEqual([`chart a 1.0.0: ${line}`, `chart b 1.0.0: ${line}`]);
    expect(summary.failures).toEqual(["a 1.0.0", "b 1.0.0"]);
    expect(repo.requests).toEqual(["/nowhere/index.yaml"]);
  });

  it("reports a missing archive with its URL", async () => {
    const { pins } = publishStable(repo);
    const { errors } = await repo.run([{ ...pins[0], version: "1.3.0" }]);
    expect(errors).toEqual([
      `chart demo 1.3.0: GET ${repo.baseUrl}/stable/demo-1.3.0.tgz: HTTP 404 Not Found`,
    ]);
    expect(readdirSync(repo.dir)).toEqual([]);
  });

  it("refuses an archive holding another chart version, leaving nothing behind", async () => {
    const archive = packChart("demo", "1.1.0", "demo");
    repo.serve(
      "/odd/index.yaml",
      indexYaml([{ chart: "demo", version: "1.2.0", urls: ["d.tgz"], digest: sha256(archive) }]),
    );
    repo.serve("/odd/d.tgz", archive);
    const { errors } = await repo.run([
      { chart: "demo", version: "1.2.0", repository: `${repo.baseUrl}/odd` },
    ]);
    expect(errors).toEqual([
      "chart demo 1.2.0: the archive's demo/Chart.yaml says demo 1.1.0, not demo 1.2.0",
    ]);
    expect(readdirSync(repo.dir)).toEqual([]);
  });

  it("refuses an archive tar cannot read", async () => {
    const junk = Buffer.from("not a gzip stream");
    repo.serve(
      "/junk/index.yaml",
      indexYaml([{ chart: "demo", version: "1.2.0", urls: ["d.tgz"], digest: sha256(junk) }]),
    );
    repo.serve("/junk/d.tgz", junk);
    const { errors } = await repo.run([
      { chart: "demo", version: "1.2.0", repository: `${repo.baseUrl}/junk` },
    ]);
    expect(errors).toEqual([expect.stringMatching(/^chart demo 1\.2\.0: tar -xzf: .+$/)]);
    expect(readdirSync(repo.dir)).toEqual([]);
  });

  it("stops with one clear error when a repository's host cannot be reached", async () => {
    const port = await closedPort();
    const errors: string[] = [];
    const failed = fetchCharts({
      dir: repo.dir,
      charts: [{ chart: "demo", version: "1.2.0", repository: `http://127.0.0.1:${port}/charts` }],
      log: () => {},
      error: (line) => errors.push(line),
    });
    await expect(failed).rejects.toThrow(UnreachableError);
    await expect(failed).rejects.toThrow(
      new RegExp(`^could not reach 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`),
    );
    expect(errors).toEqual([]);
    expect(readdirSync(repo.dir)).toEqual([]);
  });
});

// The fetch run again over a filled reference directory: what is in place with its pinned checksum is
// not downloaded again, what changed is replaced, what is no longer pinned is removed.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MANIFEST } from "./cache";
import { rawUrl } from "./download";
import { SCHEMA, SOURCES, VALUES, servedPath, upstreamOf } from "./fixtures";
import { useUpstream } from "./loopback";

const upstream = useUpstream();

describe("fetchReference: a second run", () => {
  it("downloads nothing on a second run", async () => {
    await upstream.run();
    const manifest = upstream.read(MANIFEST);
    upstream.clearRequests();
    const { summary, log } = await upstream.run();
    expect(upstream.requests).toEqual([]);
    expect(summary).toMatchObject({ written: 0, present: SOURCES.length, downloads: 0, failures: [] });
    expect(log[0]).toBe("  acme/charts@demo-1.2.0: 2 files, 2 already present");
    expect(upstream.read(MANIFEST)).toBe(manifest);
  });

  it("replaces a file whose content no longer matches its pin", async () => {
    await upstream.run();
    writeFileSync(join(upstream.dir, VALUES.dest), "edited: true\n");
    upstream.clearRequests();
    const { summary } = await upstream.run();
    expect(upstream.requests).toEqual([servedPath(VALUES.source)]);
    expect(summary).toMatchObject({ written: 1, present: SOURCES.length - 1 });
    expect(upstream.read(VALUES.dest)).toBe(upstreamOf(VALUES.source));
  });

  it("removes files it wrote for pins that are no longer listed", async () => {
    await upstream.run();
    const { summary } = await upstream.run({ sources: SOURCES.filter((file) => file.dest !== SCHEMA.dest) });
    expect(summary.failures).toEqual([]);
    expect(upstream.listFiles()).not.toContain(SCHEMA.dest);
    expect(upstream.read(MANIFEST)).not.toContain(rawUrl(SCHEMA.source));
  });

  it("leaves files alone when the manifest is not its own", async () => {
    const dir = upstream.dir;
    mkdirSync(join(dir, "upstream"), { recursive: true });
    writeFileSync(join(dir, MANIFEST), "path\tsource repository\tref\npkg/own.yaml\tacme/x\tv1\n");
    mkdirSync(join(dir, "upstream/pkg"));
    writeFileSync(join(dir, "upstream/pkg/own.yaml"), "kept\n");
    await upstream.run();
    expect(upstream.read("upstream/pkg/own.yaml")).toBe("kept\n");
  });
});

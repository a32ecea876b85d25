import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { IMAGE_PATHS } from "../../app/src/contract";
import { waitFor } from "../support/deadlines";
import { APP_BASE_ENV, MAIN_JS, PROBE_JS, ROOT, runToExit } from "../support/process";
import { killGroups, startGroup } from "../support/process-group";

const DIST = path.join(ROOT, "app/dist");
const LICENSES = "THIRD-PARTY-LICENSES.txt";

/** The packages the service imports; their own dependencies are bundled with them. */
const DEPENDENCIES = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, "app/package.json"), "utf8")) as { dependencies: object })
    .dependencies,
);

let copy: string | undefined;

afterEach(async () => {
  await killGroups();
  if (copy) rmSync(copy, { recursive: true, force: true });
  copy = undefined;
});

/** app/dist copied where no node_modules directory can be found, as in the image's /app/dist. */
function copyDist(): string {
  copy = mkdtempSync(path.join(os.tmpdir(), "pingpong-dist-"));
  cpSync(DIST, path.join(copy, "dist"), { recursive: true });
  return path.join(copy, "dist");
}

describe("app/dist, the build the image ships and the tests run", () => {
  test("holds the two entry points the image names and the licence texts, nothing else", () => {
    expect(path.join(DIST, path.basename(IMAGE_PATHS.main))).toBe(MAIN_JS);
    expect(path.join(DIST, path.basename(IMAGE_PATHS.probe))).toBe(PROBE_JS);
    const files = readdirSync(DIST).filter((f) => !f.endsWith(".tmp"));
    expect(files.sort()).toEqual([LICENSES, "main.js", "probe.js"].sort());
  });

  test("names every bundled dependency, with its licence, in THIRD-PARTY-LICENSES.txt", () => {
    const text = readFileSync(path.join(DIST, LICENSES), "utf8");
    for (const name of DEPENDENCIES) expect(text).toMatch(new RegExp(`^${name} \\d+\\.\\d+\\.\\d+ \\(`, "m"));
    expect(text).toContain("Permission is hereby granted");
    expect(text).toContain("Apache License");
  });

  test("the service and the probe run without any node_modules", async () => {
    const dist = copyDist();
    const app = startGroup(process.execPath, [path.join(dist, "main.js")], APP_BASE_ENV);
    const listening = await waitFor(
      "the listening log line",
      () => app.logs().find((l) => l.event === "listening"),
      10_000,
    );
    const url = `http://127.0.0.1:${String(listening.port)}/ping`;
    const probe = await runToExit(path.join(dist, "probe.js"), ["--url", url, "--expect", "success"]);
    expect(probe.stderr).toBe("");
    expect(probe).toMatchObject({ code: 0, stdout: expect.stringMatching(/^outcome=HTTP 200 .* PASS /) });
  });
});

describe("the sizes the docs give for app/dist, the image's own layer", () => {
  const doc = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
  const bytes = (figure: string) => Number(figure.replace(/,/g, ""));
  const actual = () =>
    readdirSync(DIST)
      .filter((f) => !f.endsWith(".tmp"))
      .reduce((sum, f) => sum + statSync(path.join(DIST, f)).size, 0);

  test("docs/image.md's layer row adds up and is app/dist's size, within 1%", () => {
    const row = doc("docs/image.md")
      .split("\n")
      .find((l) => l.startsWith("| `/app/dist`"));
    expect(row).toBeDefined();
    const files = [...row!.matchAll(/`([A-Za-z.-]+)` ([\d,]+) B/g)].map((m) => bytes(m[2]));
    const total = bytes(/([\d,]+) B of file content/.exec(row!)?.[1] ?? "0");
    expect(files).toHaveLength(3);
    expect(files.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.abs(total - actual()) / actual()).toBeLessThan(0.01);
  });

  test("README.md gives app/dist's size in kB, within 1%", () => {
    const kB = /The image's own layers are (\d+) kB/.exec(doc("README.md"))?.[1];
    expect(kB).toBeDefined();
    expect(Math.abs(Number(kB) * 1000 - actual()) / actual()).toBeLessThan(0.01);
  });
});

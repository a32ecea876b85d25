// What the fetch script accepts: its command line (parseArgs) and the source list (checkSources),
// which may write only inside upstream/ and schemas/crds/, once per file, with sha256 checksums.
import { sep } from "node:path";
import { REFERENCE_CACHE } from "../support/reference";
import { checkSources, MANIFEST } from "./cache";
import { defaultChartsDir } from "./chart-pins";
import { DEFAULT_BASE_URL } from "./download";
import { BASE_URL_ENV, DEFAULT_DIR, parseArgs } from "./fetch";
import { CHART, SOURCES } from "./fixtures";
import type { CopiedFile } from "./sources";

describe("checkSources", () => {
  const copy = (dest: string): CopiedFile => ({ ...CHART, dest });

  it("accepts the fixture list", () => {
    expect(() => checkSources(SOURCES)).not.toThrow();
  });

  it.each([
    "charts/x.yaml",
    "upstream/../../etc/passwd",
    "/upstream/x",
    "schemas/other/x.json",
    MANIFEST.split(sep).join("/"),
  ])("rejects the destination %s", (dest) => {
    expect(() => checkSources([copy(dest)])).toThrow(/^sources: /);
  });

  it("rejects a destination listed twice", () => {
    expect(() => checkSources([CHART, CHART])).toThrow("listed twice");
  });

  it("rejects a checksum that is not a sha256", () => {
    expect(() => checkSources([{ ...CHART, source: { ...CHART.source, sha256: "abc" } }])).toThrow(
      "is not a sha256",
    );
  });
});

describe("parseArgs", () => {
  it("defaults to .cache/reference, GitHub and the chart cache", () => {
    expect(parseArgs([], {})).toEqual({
      dir: DEFAULT_DIR,
      baseUrl: DEFAULT_BASE_URL,
      chartsDir: defaultChartsDir(),
    });
    // Where test/support/reference.ts looks for the data when nothing else is configured.
    expect(DEFAULT_DIR).toBe(REFERENCE_CACHE);
  });

  it("takes --dir, --base-url, --charts-dir and the base URL from the environment", () => {
    expect(
      parseArgs(["--dir", "/tmp/ref", "--base-url=http://127.0.0.1:8080", "--charts-dir", "/tmp/charts"], {}),
    ).toEqual({
      dir: "/tmp/ref",
      baseUrl: "http://127.0.0.1:8080",
      chartsDir: "/tmp/charts",
    });
    expect(parseArgs([], { [BASE_URL_ENV]: "http://mirror.example" }).baseUrl).toBe("http://mirror.example");
  });

  it("rejects unknown arguments, missing values and a base URL that is not http(s)", () => {
    expect(() => parseArgs(["--force"], {})).toThrow(/^unknown argument --force; usage: /);
    expect(() => parseArgs(["--dir"], {})).toThrow("--dir needs a value");
    expect(() => parseArgs(["--charts-dir="], {})).toThrow("--charts-dir needs a value");
    expect(() => parseArgs(["--base-url", "ftp://x"], {})).toThrow("is not an http(s) URL");
  });
});

import { readFileSync } from "node:fs";
import path from "node:path";
import { ENV } from "../../app/src/contract";

const read = (file: string) => readFileSync(path.resolve(__dirname, "../..", file), "utf8");

/** The text of a markdown section: from its heading to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  const rest = text.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, "m").exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

describe("app/README.md, the service's reference", () => {
  const readme = read("app/README.md");

  test("the configuration table lists every environment variable the service reads, once", () => {
    const table = section(readme, "## Configuration");
    const listed = [...table.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.values(ENV).sort());
  });
});

describe("README.md", () => {
  test("says what the service is and sends the reader to app/README.md for the rest", () => {
    const text = section(read("README.md"), "## The pingpong service");
    expect(text).toContain("](app/README.md)");
    expect(text).not.toMatch(/^\| `[A-Z_]+` +\|/m);
  });
});

import { readFileSync } from "node:fs";
import path from "node:path";
import { ENV, PATHS } from "../../app/src/contract";
import { httpRequest, startService, type RunningService } from "../support/service";

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

describe("app/README.md's endpoints table, against the running service", () => {
  const table = () => section(read("app/README.md"), "## Endpoints");
  /** Rows of the table: the port's setting, the request column, the answer column. */
  const rows = () =>
    [...table().matchAll(/^\| `([A-Z_]+)` +\| (.+?) +\| (.+?) +\|$/gm)].map(([, port, request, answer]) => ({
      port,
      request,
      answer,
    }));
  /** Paths the table says answer 405 to another method, per port. */
  const documented405 = (port: string) =>
    rows()
      .filter((r) => r.port === port && r.answer.startsWith("`405`"))
      .flatMap((r) => [...r.request.matchAll(/`(\/[a-z]+)`/g)].map((m) => m[1]));
  const has404Row = (port: string) => rows().some((r) => r.port === port && r.answer === "`404`");

  let s: RunningService;
  beforeAll(async () => (s = await startService()));
  afterAll(() => s.close());

  const on = (port: number, method: string, urlPath: string) =>
    httpRequest(`http://127.0.0.1:${port}${urlPath}`, { method }).then((r) => r.status);

  test("405 exactly on the paths the table says, per port; 404 elsewhere, which each port's rows say", async () => {
    const ports = { PORT: s.port, METRICS_PORT: s.metricsPort };
    for (const [name, port] of Object.entries(ports)) {
      for (const urlPath of Object.values(PATHS)) {
        const status = await on(port, "POST", urlPath);
        expect({ name, urlPath, status }).toEqual({
          name,
          urlPath,
          status: documented405(name).includes(urlPath) ? 405 : 404,
        });
      }
      expect(await on(port, "DELETE", "/nowhere")).toBe(404);
      expect({ name, has404Row: has404Row(name) }).toEqual({ name, has404Row: true });
    }
    // HEAD is answered where GET is.
    expect(await on(s.port, "HEAD", PATHS.ping)).toBe(200);
    expect(await on(s.metricsPort, "HEAD", PATHS.metrics)).toBe(200);
  });
});

describe("README.md", () => {
  test("says what the service is and sends the reader to app/README.md for the rest", () => {
    const text = section(read("README.md"), "## The pingpong service");
    expect(text).toContain("](app/README.md)");
    expect(text).not.toMatch(/^\| `[A-Z_]+` +\|/m);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createCa } from "../support/certs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startApp } from "../support/app-process";
import { closedPort, listenOnLoopback } from "../support/loopback-ports";
import { APP_BASE_ENV, killAll, MAIN_JS, parseLogLines, runToExit } from "../support/process";

const EXIT_CONFIG = 2;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

let tmp: string;
let caFile: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "pingpong-config-"));
  caFile = path.join(tmp, "ca.pem");
  writeFileSync(caFile, (await createCa("pingpong-config-test")).cert);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  await killAll();
});

describe("configuration errors exit 2 before listening", () => {
  interface Case {
    name: string;
    env: () => Promise<Record<string, string>> | Record<string, string>;
    variable: string;
    value: () => string;
    expected: RegExp;
  }

  let sharedPort = 0;

  const cases: Case[] = [
    {
      name: "PORT=abc",
      env: () => ({ PORT: "abc" }),
      variable: "PORT",
      value: () => "abc",
      expected: /a TCP port \(an integer from 0 to 65535\)/,
    },
    {
      name: "PORT=99999",
      env: () => ({ PORT: "99999" }),
      variable: "PORT",
      value: () => "99999",
      expected: /a TCP port \(an integer from 0 to 65535\)/,
    },
    {
      name: "METRICS_PORT equal to PORT",
      env: async () => {
        sharedPort = await closedPort();
        return { PORT: String(sharedPort), METRICS_PORT: String(sharedPort) };
      },
      variable: "METRICS_PORT",
      value: () => String(sharedPort),
      expected: /a port different from PORT \(\d+\)/,
    },
    {
      name: "TICK_MS=0",
      env: () => ({ TICK_MS: "0" }),
      variable: "TICK_MS",
      value: () => "0",
      expected: /the ping interval in milliseconds \(an integer from 1 to \d+\)/,
    },
    {
      name: "PING_TIMEOUT_MS=-5",
      env: () => ({ PING_TIMEOUT_MS: "-5" }),
      variable: "PING_TIMEOUT_MS",
      value: () => "-5",
      expected: /the ping timeout in milliseconds \(an integer from 1 to \d+\)/,
    },
    {
      name: "SHUTDOWN_TIMEOUT_MS=abc",
      env: () => ({ SHUTDOWN_TIMEOUT_MS: "abc" }),
      variable: "SHUTDOWN_TIMEOUT_MS",
      value: () => "abc",
      expected: /the shutdown deadline in milliseconds \(an integer from 1 to \d+\)/,
    },
    {
      name: "LOG_LEVEL=loud",
      env: () => ({ LOG_LEVEL: "loud" }),
      variable: "LOG_LEVEL",
      value: () => "loud",
      expected: /one of fatal, error, warn, info, debug, trace, silent/,
    },
    {
      name: "TARGET=ftp://example",
      env: () => ({ TARGET: "ftp://example" }),
      variable: "TARGET",
      value: () => "ftp://example",
      expected: /an absolute http:\/\/ or https:\/\/ URL/,
    },
    {
      name: "TARGET=nonsense",
      env: () => ({ TARGET: "nonsense" }),
      variable: "TARGET",
      value: () => "nonsense",
      expected: /an absolute http:\/\/ or https:\/\/ URL/,
    },
    {
      name: "TLS_CERT_FILE=/nonexistent",
      env: () => ({ TLS_CERT_FILE: "/nonexistent" }),
      variable: "TLS_CERT_FILE",
      value: () => "/nonexistent",
      expected: /a readable PEM file \(ENOENT\)/,
    },
    {
      name: "TARGET_CA_FILE with an http TARGET",
      env: () => ({ TARGET: "http://127.0.0.1:9/ping", TARGET_CA_FILE: caFile }),
      variable: "TARGET_CA_FILE",
      value: () => caFile,
      expected: /to be set only with an https:\/\/ TARGET/,
    },
    {
      name: "HOST=0.0.0.0:8080 (a port where an address belongs)",
      env: () => ({ HOST: "0.0.0.0:8080" }),
      variable: "HOST",
      value: () => "0.0.0.0:8080",
      expected: /an IP address or host name to listen on/,
    },
    {
      name: "DRAIN_DELAY_MS=5000 with SHUTDOWN_TIMEOUT_MS=1000",
      env: () => ({ DRAIN_DELAY_MS: "5000", SHUTDOWN_TIMEOUT_MS: "1000" }),
      variable: "DRAIN_DELAY_MS",
      value: () => "5000",
      expected: /less than SHUTDOWN_TIMEOUT_MS \(1000\)/,
    },
  ];

  test.each(cases)("$name", async ({ env, variable, value, expected }) => {
    const result = await runToExit(MAIN_JS, [], { ...APP_BASE_ENV, ...(await env()) }, 4000);

    expect(result.signal).toBeNull();
    expect(result.code).toBe(EXIT_CONFIG);
    expect(result.stdout).toBe("");
    expect(result.stderr.endsWith("\n")).toBe(true);
    const lines = result.stderr.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatch(
      new RegExp(
        `^pingpong: invalid configuration: ${variable}=${escapeRegExp(JSON.stringify(value()))}: expected .+$`,
      ),
    );
    expect(line.slice(line.indexOf(": expected ") + ": expected ".length)).toMatch(expected);
  });
});

describe("starting", () => {
  test("a valid environment listens on loopback and logs the listening line with tls off", async () => {
    const app = await startApp({ LOG_LEVEL: "info" });

    expect(app.port).toBeGreaterThan(0);
    expect(app.metricsPort).toBeGreaterThan(0);
    expect(app.metricsPort).not.toBe(app.port);
    const listening = app.logs().filter((l) => l.event === "listening");
    expect(listening).toHaveLength(1);
    expect(listening[0]).toMatchObject({
      level: "info",
      host: "127.0.0.1",
      port: app.port,
      metricsPort: app.metricsPort,
      tls: "off",
      target: null,
      tickMs: 1000,
    });
    await expect(get(`http://127.0.0.1:${app.port}/readyz`)).resolves.toEqual({ status: 200, body: "ready" });
    const metrics = await get(`http://127.0.0.1:${app.metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(app.stderr()).toBe("");

    app.kill("SIGTERM");
    await expect(app.exited).resolves.toMatchObject({ code: 0, signal: null });
  });

  test("PORT already in use exits 1 with a fatal listen_failed log line", async () => {
    const occupier = net.createServer();
    try {
      const port = await listenOnLoopback(occupier);
      const result = await runToExit(MAIN_JS, [], { ...APP_BASE_ENV, PORT: String(port) }, 8000);

      expect(result.signal).toBeNull();
      expect(result.code).toBe(1);
      const logs = parseLogLines(result.stdout);
      expect(logs.some((l) => l.event === "listening")).toBe(false);
      const fatal = logs.filter((l) => l.level === "fatal");
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatchObject({
        event: "listen_failed",
        err: { code: "EADDRINUSE", port },
      });
    } finally {
      await new Promise<void>((resolve) => occupier.close(() => resolve()));
    }
  });
});

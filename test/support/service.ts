import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { instanceIdentity, loadConfig, type Config } from "../../app/src/config";
import { createLogger } from "../../app/src/logger";
import { PingpongServer } from "../../app/src/server";

export type Env = Record<string, string | undefined>;

export interface RunningService {
  service: PingpongServer;
  config: Config;
  port: number;
  metricsPort: number;
  /** Parsed log lines (empty with LOG_LEVEL=silent, the default here). */
  logs: Array<Record<string, unknown>>;
  /** `http(s)://127.0.0.1:<port><path>` on the main port. */
  url(path: string): string;
  /** The text of GET /metrics on the metrics port. */
  metricsText(): Promise<string>;
  /** Shuts the service down (idempotent). */
  close(): Promise<void>;
}

/** The environment every in-process service starts with; overrides are merged over it. */
export const BASE_ENV: Env = {
  HOST: "127.0.0.1",
  PORT: "0",
  METRICS_PORT: "0",
  LOG_LEVEL: "silent",
};

/** Starts a PingpongServer in this process on loopback, on OS-chosen ports. */
export async function startService(overrides: Env = {}): Promise<RunningService> {
  const config = loadConfig({ ...BASE_ENV, ...overrides });
  const logs: Array<Record<string, unknown>> = [];
  const destination = {
    write(line: string) {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  const logger = createLogger(config.logLevel, instanceIdentity(config), destination);
  const service = new PingpongServer(config, logger);
  const { port, metricsPort } = await service.listen();
  const scheme = config.tls ? "https" : "http";
  return {
    service,
    config,
    port,
    metricsPort,
    logs,
    url: (path) => `${scheme}://127.0.0.1:${port}${path}`,
    metricsText: async () => {
      const res = await httpRequest(`http://127.0.0.1:${metricsPort}/metrics`);
      if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}: ${res.body}`);
      return res.body;
    },
    close: async () => {
      await service.shutdown();
    },
  };
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  /** Defaults to no agent: one connection per request. */
  agent?: http.Agent | false;
  /** TLS options for https: URLs. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  timeoutMs?: number;
}

/** One real request over the network; rejects on a network or TLS error. */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const lib = target.protocol === "https:" ? https : http;
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      {
        method: options.method ?? "GET",
        headers: options.headers,
        agent: options.agent ?? false,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;
  let m: RegExpExecArray | null;
  while (pair.lastIndex < text.length && (m = pair.exec(text)) !== null) {
    labels[m[1]] = unescapeLabel(m[2]);
  }
  if (pair.lastIndex < text.length && text.slice(pair.lastIndex).trim() !== "") {
    throw new Error(`cannot parse labels {${text}}`);
  }
  return labels;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample of a Prometheus text exposition. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`cannot parse metrics line: ${line}`);
    samples.push({ name: m[1], labels: parseLabels(m[2] ?? ""), value: Number(m[3]) });
  }
  return samples;
}

/**
 * The value of the series `name` whose labels are exactly `labels` (none by default).
 * Throws when the series is not exposed.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const sample = parseMetrics(text).find((s) => s.name === name && sameLabels(s.labels, labels));
  if (!sample) throw new Error(`no series ${name}${JSON.stringify(labels)} in the metrics`);
  return sample.value;
}

/** Polls `predicate` until it holds; throws after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = "condition",
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** pingpong_pings_total by result, from a metrics text. */
export function pingResults(text: string): { success: number; failure: number } {
  return {
    success: metricValue(text, "pingpong_pings_total", { result: "success" }),
    failure: metricValue(text, "pingpong_pings_total", { result: "failure" }),
  };
}

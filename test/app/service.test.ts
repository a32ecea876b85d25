import http from "node:http";
import { instanceIdentity, loadConfig } from "../../app/src/config";
import { createLogger } from "../../app/src/logger";
import { PingpongServer } from "../../app/src/server";
import {
  BASE_ENV,
  httpRequest,
  metricValue,
  parseMetrics,
  startService,
  type RunningService,
} from "../support/service";

const A = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
const B = "spiffe://cluster.local/ns/pingpong-b/sa/pingpong";
const XFCC_FROM_A = `By=${B};Hash=0a1b2c3d4e5f;Subject="";URI=${A}`;

const IDENTITY = {
  POD_NAMESPACE: "pingpong-b",
  POD_NAME: "pingpong-7d9f-x2k4q",
  SERVICE_VERSION: "v7",
};

let svc: RunningService | undefined;

afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

async function start(env: Record<string, string> = {}): Promise<RunningService> {
  svc = await startService({ ...IDENTITY, ...env });
  return svc;
}

function pongs(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of parseMetrics(text)) if (s.name === "pingpong_pongs_total") out[s.labels.caller] = s.value;
  return out;
}

describe("main port", () => {
  it("answers GET /ping with text/plain pong", async () => {
    const s = await start();
    const res = await httpRequest(s.url("/ping"));
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.body).toBe("pong");
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength(res.body)));
  });

  it("answers JSON with the instance identity when asked, caller null without XFCC", async () => {
    const s = await start();
    const res = await httpRequest(s.url("/ping"), { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(res.body)).toEqual({
      message: "pong",
      service: "pingpong",
      namespace: "pingpong-b",
      pod: "pingpong-7d9f-x2k4q",
      version: "v7",
      caller: null,
    });
  });

  it("recognises JSON among several accepted types", async () => {
    const s = await start();
    const res = await httpRequest(s.url("/ping"), {
      headers: { accept: "text/html, Application/JSON;q=0.9, */*;q=0.1" },
    });
    expect(res.headers["content-type"]).toBe("application/json");
    expect((JSON.parse(res.body) as { message: string }).message).toBe("pong");
  });

  it("names the caller from the XFCC header", async () => {
    const s = await start();
    const res = await httpRequest(s.url("/ping"), {
      headers: { accept: "application/json", "x-forwarded-client-cert": XFCC_FROM_A },
    });
    expect((JSON.parse(res.body) as { caller: string | null }).caller).toBe(A);
  });

  it("answers caller null for a malformed XFCC header", async () => {
    const s = await start();
    const res = await httpRequest(s.url("/ping"), {
      headers: { accept: "application/json", "x-forwarded-client-cert": `By=${B};URI="${A}` },
    });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { caller: string | null }).caller).toBeNull();
  });

  it("answers HEAD /ping without a body", async () => {
    const s = await start();
    const res = await httpRequest(s.url("/ping"), { method: "HEAD" });
    expect(res.status).toBe(200);
    // The length of the body a GET gets.
    const get = await httpRequest(s.url("/ping"));
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength(get.body)));
    expect(res.body).toBe("");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])(
    "answers %s /ping with 405 and Allow",
    async (method) => {
      const s = await start();
      const res = await httpRequest(s.url("/ping"), { method });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe("GET, HEAD");
      expect(res.body).toBe("method not allowed");
    },
  );

  it.each(["/healthz", "/readyz"])("answers POST %s with 405", async (path) => {
    const s = await start();
    const res = await httpRequest(s.url(path), { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
  });

  it.each(["/", "/pong", "/ping/", "/pingx", "/PING", "/metrics"])("answers 404 for %s", async (path) => {
    const s = await start();
    const res = await httpRequest(s.url(path));
    expect(res.status).toBe(404);
    expect(res.body).toBe("not found");
  });

  it("answers 404 before 405 for an unknown path", async () => {
    const s = await start();
    expect((await httpRequest(s.url("/nope"), { method: "POST" })).status).toBe(404);
  });

  it("ignores the query string", async () => {
    const s = await start();
    const res = await httpRequest(s.url("/ping?from=test&n=1"));
    expect(res.status).toBe(200);
    expect(res.body).toBe("pong");
    expect((await httpRequest(s.url("/healthz?x"))).body).toBe("ok");
  });

  it("answers /healthz and /readyz once listening", async () => {
    const s = await start();
    const health = await httpRequest(s.url("/healthz"));
    expect([health.status, health.body]).toEqual([200, "ok"]);
    const ready = await httpRequest(s.url("/readyz"));
    expect([ready.status, ready.body]).toEqual([200, "ready"]);
  });

  it("reports starting until listen() and ready after it", async () => {
    const config = loadConfig({ ...BASE_ENV, ...IDENTITY });
    const logger = createLogger("silent", instanceIdentity(config), { write: () => undefined });
    const service = new PingpongServer(config, logger);
    const ready = async () => metricValue(await service.metrics.registry.metrics(), "pingpong_ready");
    expect(service.app.phase).toBe("starting");
    expect(await ready()).toBe(0);
    await service.listen();
    try {
      expect(service.app.phase).toBe("ready");
      expect(await ready()).toBe(1);
    } finally {
      await service.shutdown();
    }
  });
});

describe("metrics port", () => {
  it("exposes the Prometheus text format", async () => {
    const s = await start();
    const res = await httpRequest(`http://127.0.0.1:${s.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    for (const name of [
      "pingpong_pongs_total",
      "pingpong_pings_total",
      "pingpong_ping_duration_seconds",
      "pingpong_ready",
      "pingpong_info",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(res.body).toContain(`# TYPE ${name} `);
    }
    expect(res.body).toContain("# TYPE pingpong_pongs_total counter");
    expect(res.body).toContain("# TYPE pingpong_ping_duration_seconds histogram");
    expect(metricValue(res.body, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("starts with ready 1, info labels and zeroed ping series", async () => {
    const s = await start();
    const text = await s.metricsText();
    expect(metricValue(text, "pingpong_ready")).toBe(1);
    expect(
      metricValue(text, "pingpong_info", { service: "pingpong", namespace: "pingpong-b", version: "v7" }),
    ).toBe(1);
    for (const result of ["success", "failure"]) {
      expect(metricValue(text, "pingpong_pings_total", { result })).toBe(0);
      expect(metricValue(text, "pingpong_ping_duration_seconds_count", { result })).toBe(0);
      expect(metricValue(text, "pingpong_ping_duration_seconds_bucket", { result, le: "+Inf" })).toBe(0);
    }
    expect(pongs(text)).toEqual({});
  });

  it("answers 404 for other paths and 405 for other methods", async () => {
    const s = await start();
    const base = `http://127.0.0.1:${s.metricsPort}`;
    expect((await httpRequest(`${base}/ping`)).status).toBe(404);
    expect((await httpRequest(`${base}/`)).status).toBe(404);
    const post = await httpRequest(`${base}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    expect((await httpRequest(`${base}/metrics?x=1`)).status).toBe(200);
  });
});

describe("pingpong_pongs_total", () => {
  it("counts pings only, not probes, 404s or 405s", async () => {
    const s = await start();
    for (let i = 0; i < 3; i++) expect((await httpRequest(s.url("/ping"))).status).toBe(200);
    for (const path of ["/healthz", "/readyz", "/healthz", "/readyz"]) {
      expect((await httpRequest(s.url(path))).status).toBe(200);
    }
    expect((await httpRequest(s.url("/nope"))).status).toBe(404);
    expect((await httpRequest(s.url("/ping"), { method: "POST" })).status).toBe(405);
    expect((await httpRequest(s.url("/ping"), { method: "DELETE" })).status).toBe(405);
    expect(pongs(await s.metricsText())).toEqual({ unknown: 3 });
  });

  it("labels pings by the XFCC caller", async () => {
    const s = await start();
    await httpRequest(s.url("/ping"), { headers: { "x-forwarded-client-cert": XFCC_FROM_A } });
    await httpRequest(s.url("/ping"), { headers: { "x-forwarded-client-cert": XFCC_FROM_A } });
    await httpRequest(s.url("/ping"));
    const text = await s.metricsText();
    expect(metricValue(text, "pingpong_pongs_total", { caller: A })).toBe(2);
    expect(pongs(text)).toEqual({ [A]: 2, unknown: 1 });
  });
});

describe("shutdown", () => {
  it("drains: readiness 503, ready 0, pings answered with connection: close, then closes", async () => {
    const s = await start({ DRAIN_DELAY_MS: "500" });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const before = await httpRequest(s.url("/ping"), { agent });
      expect(before.headers.connection).toBe("keep-alive");

      const started = Date.now();
      const done = s.service.shutdown();

      const ready = await httpRequest(s.url("/readyz"), { agent });
      expect([ready.status, ready.body]).toEqual([503, "draining"]);
      expect(s.service.app.phase).toBe("draining");
      expect(metricValue(await s.metricsText(), "pingpong_ready")).toBe(0);

      const ping = await httpRequest(s.url("/ping"), { agent });
      expect([ping.status, ping.body]).toEqual([200, "pong"]);
      expect(ping.headers.connection).toBe("close");

      const health = await httpRequest(s.url("/healthz"), { agent });
      expect([health.status, health.body]).toEqual([200, "ok"]);
      expect(Date.now() - started).toBeLessThan(500);

      await expect(done).resolves.toEqual({ forced: 0 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(495);
      await expect(httpRequest(s.url("/ping"))).rejects.toMatchObject({ code: "ECONNREFUSED" });
      await expect(httpRequest(`http://127.0.0.1:${s.metricsPort}/metrics`)).rejects.toMatchObject({
        code: "ECONNREFUSED",
      });
    } finally {
      agent.destroy();
    }
  });

  it("returns the same promise when called twice", async () => {
    const s = await start();
    const first = s.service.shutdown();
    expect(s.service.shutdown()).toBe(first);
    await expect(first).resolves.toEqual({ forced: 0 });
  });

  it("closes idle keep-alive connections instead of waiting for them", async () => {
    const s = await start();
    const agent = new http.Agent({ keepAlive: true });
    try {
      await httpRequest(s.url("/ping"), { agent });
      const started = Date.now();
      await expect(s.service.shutdown()).resolves.toEqual({ forced: 0 });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      agent.destroy();
    }
  });
});

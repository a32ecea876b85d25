import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  pingResults,
  metricValue,
  parseMetrics,
  startService,
  waitFor,
  type RunningService,
} from "../support/service";

const services: RunningService[] = [];
const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function start(env: Record<string, string>): Promise<RunningService> {
  const s = await startService(env);
  services.push(s);
  return s;
}

async function registryText(s: RunningService): Promise<string> {
  return s.service.metrics.registry.metrics();
}

function totalPongs(text: string): number {
  return parseMetrics(text)
    .filter((s) => s.name === "pingpong_pongs_total")
    .reduce((sum, s) => sum + s.value, 0);
}

function durationCount(text: string): number {
  return (
    metricValue(text, "pingpong_ping_duration_seconds_count", { result: "success" }) +
    metricValue(text, "pingpong_ping_duration_seconds_count", { result: "failure" })
  );
}

describe("two instances pinging each other", () => {
  it("count pings and pongs consistently on both sides", async () => {
    const a = await start({ POD_NAMESPACE: "pingpong-a", POD_NAME: "a-0", TICK_MS: "50" });
    const b = await start({ POD_NAMESPACE: "pingpong-b", POD_NAME: "b-0", TICK_MS: "50" });
    const started = Date.now();
    a.service.startPinging(new URL(b.url("/ping")));
    b.service.startPinging(new URL(a.url("/ping")));

    await waitFor(
      async () =>
        pingResults(await a.metricsText()).success >= 5 && pingResults(await b.metricsText()).success >= 5,
      5000,
      "five successful pings on both sides",
    );
    const running = { a: await a.metricsText(), b: await b.metricsText() };
    expect(pingResults(running.a).failure).toBe(0);
    expect(pingResults(running.b).failure).toBe(0);

    // Both pingers stop in the same tick, before either listener closes.
    await Promise.all([a.close(), b.close()]);
    const elapsed = Date.now() - started;
    const text = { a: await registryText(a), b: await registryText(b) };

    for (const [self, peer] of [
      ["a", "b"],
      ["b", "a"],
    ] as const) {
      const pings = pingResults(text[self]);
      expect(pings.success).toBeGreaterThanOrEqual(5);
      expect(pings.failure).toBe(0);
      expect(durationCount(text[self])).toBe(pings.success + pings.failure);
      expect(
        metricValue(text[self], "pingpong_ping_duration_seconds_bucket", { result: "success", le: "+Inf" }),
      ).toBe(pings.success);
      // One ping per tick at most.
      expect(pings.success).toBeLessThanOrEqual(Math.floor(elapsed / 50) + 1);
      // Every recorded success was answered by the peer; the peer may have answered one more
      // that was aborted in flight at shutdown.
      const peerPongs = totalPongs(text[peer]);
      expect(peerPongs).toBeGreaterThanOrEqual(pings.success);
      expect(peerPongs).toBeLessThanOrEqual(pings.success + 1);
      expect(metricValue(text[peer], "pingpong_pongs_total", { caller: "unknown" })).toBe(peerPongs);
    }
  });

  it("ignores startPinging once pinging or shutting down", async () => {
    const b = await start({ POD_NAMESPACE: "pingpong-b" });
    const other = await start({ POD_NAMESPACE: "pingpong-c" });
    const a = await start({ POD_NAMESPACE: "pingpong-a", TICK_MS: "20" });
    a.service.startPinging(new URL(b.url("/ping")));
    a.service.startPinging(new URL(other.url("/ping")));
    await waitFor(async () => pingResults(await a.metricsText()).success >= 3, 5000, "three pings");
    await a.close();
    a.service.startPinging(new URL(other.url("/ping")));
    await sleep(100);
    expect(totalPongs(await other.metricsText())).toBe(0);
    expect(totalPongs(await b.metricsText())).toBeGreaterThanOrEqual(3);
  });

  it("does nothing on startPinging without a target", async () => {
    const a = await start({ TICK_MS: "10" });
    a.service.startPinging();
    await sleep(100);
    const pings = pingResults(await a.metricsText());
    expect(pings).toEqual({ success: 0, failure: 0 });
  });

  it("pings the configured TARGET by default", async () => {
    const b = await start({ POD_NAMESPACE: "pingpong-b" });
    const a = await start({ POD_NAMESPACE: "pingpong-a", TICK_MS: "20", TARGET: b.url("/ping") });
    a.service.startPinging();
    await waitFor(async () => totalPongs(await b.metricsText()) >= 2, 5000, "two pongs on b");
  });
});

describe("pinger against a slow target", () => {
  it("never has more than one ping in flight and reuses one connection", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let handled = 0;
    const sockets = new Set<unknown>();
    const seen: http.IncomingHttpHeaders[] = [];
    const target = http.createServer((req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sockets.add(req.socket);
      seen.push(req.headers);
      setTimeout(() => {
        inFlight--;
        handled++;
        res.end("pong");
      }, 60);
    });
    servers.push(target);
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const port = (target.address() as AddressInfo).port;

    const a = await start({
      POD_NAMESPACE: "pingpong-a",
      POD_NAME: "a-0",
      SERVICE_VERSION: "v3",
      TICK_MS: "10",
      PING_TIMEOUT_MS: "1000",
    });
    a.service.startPinging(new URL(`http://127.0.0.1:${port}/ping`));
    await waitFor(async () => pingResults(await registryText(a)).success >= 10, 5000, "ten answered pings");
    await a.close();

    expect(maxInFlight).toBe(1);
    expect(sockets.size).toBe(1);
    const text = await registryText(a);
    const pings = pingResults(text);
    expect(pings.failure).toBe(0);
    expect(pings.success).toBeGreaterThanOrEqual(10);
    expect(pings.success).toBeLessThanOrEqual(handled);
    expect(seen[0]).toMatchObject({
      accept: "application/json",
      "user-agent": "pingpong/v3 (pingpong-a/a-0)",
    });
    const within = (le: string) =>
      metricValue(text, "pingpong_ping_duration_seconds_bucket", { result: "success", le });
    // Each round trip includes the 60 ms answer and nothing more: pings started at every tick
    // and queued behind each other would take longer and longer.
    expect(within("0.05")).toBe(0);
    expect(within("0.25")).toBeGreaterThanOrEqual(pings.success - 2);
  });
});

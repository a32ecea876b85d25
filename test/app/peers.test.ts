import http from "node:http";
import type { AddressInfo } from "node:net";
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

/** The log lines of one event (the service must log at the event's level). */
function events(s: RunningService, name: string): Array<Record<string, unknown>> {
  return s.logs.filter((l) => l.event === name);
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
    const tickMs = 50;
    const a = await start({ POD_NAMESPACE: "pingpong-a", POD_NAME: "a-0", TICK_MS: String(tickMs) });
    const b = await start({ POD_NAMESPACE: "pingpong-b", POD_NAME: "b-0", TICK_MS: String(tickMs) });
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
      expect(pings.success).toBeLessThanOrEqual(Math.floor(elapsed / tickMs) + 1);
      // Every recorded success was answered by the peer; the peer may have answered one more
      // that was aborted in flight at shutdown.
      const peerPongs = totalPongs(text[peer]);
      expect(peerPongs).toBeGreaterThanOrEqual(pings.success);
      expect(peerPongs).toBeLessThanOrEqual(pings.success + 1);
      expect(metricValue(text[peer], "pingpong_pongs_total", { caller: "unknown" })).toBe(peerPongs);
    }
  });

  it("ignores startPinging once pinging or shutting down", async () => {
    const tickMs = 20;
    const b = await start({ POD_NAMESPACE: "pingpong-b" });
    const other = await start({ POD_NAMESPACE: "pingpong-c" });
    const a = await start({ POD_NAMESPACE: "pingpong-a", TICK_MS: String(tickMs), LOG_LEVEL: "info" });
    const idle = await start({ POD_NAMESPACE: "pingpong-d", TICK_MS: String(tickMs), LOG_LEVEL: "info" });
    a.service.startPinging(new URL(b.url("/ping")));
    a.service.startPinging(new URL(other.url("/ping")));
    // A pinger pings as it starts and then once a tick: by b's fifth pong, one started by the
    // second call would have pinged other four ticks ago.
    await waitFor(async () => totalPongs(await b.metricsText()) >= 5, 5000, "five pongs on b");
    expect(totalPongs(await other.metricsText())).toBe(0);

    await a.close();
    a.service.startPinging(new URL(other.url("/ping")));
    await idle.close();
    idle.service.startPinging(new URL(other.url("/ping")));
    // A witness started after these calls, on the same tick: by its fifth pong on b, a pinger
    // started by them would have pinged other four ticks ago too.
    const pongsBefore = totalPongs(await b.metricsText());
    const witness = await start({ POD_NAMESPACE: "pingpong-w", TICK_MS: String(tickMs) });
    witness.service.startPinging(new URL(b.url("/ping")));
    await waitFor(
      async () => totalPongs(await b.metricsText()) >= pongsBefore + 5,
      5000,
      "five pongs on b from the witness",
    );
    expect(totalPongs(await other.metricsText())).toBe(0);
    // A pinger logs pinger_started as it starts: only a's first call started one.
    expect(events(a, "pinger_started")).toEqual([expect.objectContaining({ target: b.url("/ping") })]);
    expect(events(idle, "pinger_started")).toEqual([]);
  });

  it("does nothing on startPinging without a target", async () => {
    const b = await start({ POD_NAMESPACE: "pingpong-b" });
    const a = await start({ TICK_MS: "10", LOG_LEVEL: "info" });
    a.service.startPinging();
    expect(events(a, "pinger_started")).toEqual([]);
    // Had the call above started a pinger, this one would be ignored and b would never be pinged.
    a.service.startPinging(new URL(b.url("/ping")));
    await waitFor(async () => totalPongs(await b.metricsText()) >= 1, 5000, "a pong on b");
    const pings = pingResults(await registryText(a));
    expect(pings.failure).toBe(0);
    expect(pings.success).toBeLessThanOrEqual(totalPongs(await b.metricsText()));
    expect(events(a, "pinger_started")).toEqual([expect.objectContaining({ target: b.url("/ping") })]);
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
    const tickMs = 10;
    /** a's pings as the target saw them, in order: Date.now() at arrival and at the answer. */
    const pings: Array<{ arrivedAt: number; answeredAt?: number }> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const sockets = new Set<unknown>();
    const seen: http.IncomingHttpHeaders[] = [];
    // The target holds each of a's pings until a witness pinging /tick on the same tick has pinged
    // three more times: more than one tick passes, so a's own tick falls within every hold.
    const holdTicks = 3;
    let ticks = 0;
    let held: Array<{ until: number; answer: () => void }> = [];
    const target = http.createServer((req, res) => {
      if (req.url === "/tick") {
        ticks++;
        res.end("tick");
        for (const ping of held.filter((h) => h.until <= ticks)) ping.answer();
        held = held.filter((h) => h.until > ticks);
        return;
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sockets.add(req.socket);
      seen.push(req.headers);
      const ping: (typeof pings)[number] = { arrivedAt: Date.now() };
      pings.push(ping);
      const answer = () => {
        inFlight--;
        ping.answeredAt = Date.now();
        res.end("pong");
      };
      held.push({ until: ticks + holdTicks, answer });
    });
    servers.push(target);
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const port = (target.address() as AddressInfo).port;

    const witness = await start({ POD_NAMESPACE: "pingpong-w", TICK_MS: String(tickMs) });
    witness.service.startPinging(new URL(`http://127.0.0.1:${port}/tick`));
    const a = await start({
      POD_NAMESPACE: "pingpong-a",
      POD_NAME: "a-0",
      SERVICE_VERSION: "v3",
      TICK_MS: String(tickMs),
      PING_TIMEOUT_MS: "1000",
      LOG_LEVEL: "debug",
    });
    const pingingFrom = Date.now();
    a.service.startPinging(new URL(`http://127.0.0.1:${port}/ping`));
    await waitFor(async () => pingResults(await registryText(a)).success >= 10, 5000, "ten answered pings");
    await a.close();

    expect(maxInFlight).toBe(1);
    expect(sockets.size).toBe(1);
    const text = await registryText(a);
    const results = pingResults(text);
    expect(results.failure).toBe(0);
    expect(results.success).toBeGreaterThanOrEqual(10);
    expect(results.success).toBeLessThanOrEqual(pings.filter((p) => p.answeredAt !== undefined).length);
    expect(seen[0]).toMatchObject({
      accept: "application/json",
      "user-agent": "pingpong/v3 (pingpong-a/a-0)",
    });

    // The i-th round trip logged is the target's i-th ping. It spans that ping's hold, and starts
    // no earlier than the previous answer and ends no later than the next arrival: a ping started
    // at its tick while the previous one was held would count its wait for the connection.
    const durations = events(a, "ping").map((l) => l.durationMs as number);
    expect(durations).toHaveLength(results.success);
    const total = durations.reduce((sum, ms) => sum + ms, 0);
    expect(metricValue(text, "pingpong_ping_duration_seconds_sum", { result: "success" })).toBeCloseTo(
      total / 1000,
      6,
    );
    durations.forEach((durationMs, i) => {
      const { arrivedAt, answeredAt = NaN } = pings[i];
      expect(durationMs).toBeGreaterThanOrEqual(answeredAt - arrivedAt);
      const previousAnswer = i === 0 ? pingingFrom : (pings[i - 1].answeredAt ?? NaN);
      const nextArrival = pings[i + 1]?.arrivedAt;
      if (nextArrival !== undefined) expect(durationMs).toBeLessThanOrEqual(nextArrival - previousAnswer);
    });
  });
});

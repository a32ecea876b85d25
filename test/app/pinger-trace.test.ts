import type { IncomingHttpHeaders } from "node:http";
import { createLogger } from "../../app/src/logger";
import { createMetrics } from "../../app/src/metrics";
import { Pinger } from "../../app/src/pinger";
import { parseTraceparent } from "../../app/src/trace";
import { closePeers } from "../support/fake-peers";
import { recordingPeer } from "../support/recording-peer";
import { seededRandom } from "../support/seeded-random";
import { startService, waitFor, type RunningService } from "../support/service";

const services: RunningService[] = [];

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  await closePeers();
});

async function start(env: Record<string, string>): Promise<RunningService> {
  const s = await startService(env);
  services.push(s);
  return s;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

/** The traceparent of a request the pinger sent; fails the test unless it is a valid one. */
function traceparentOf(headers: IncomingHttpHeaders): string {
  const value = headers.traceparent;
  if (typeof value !== "string") throw new Error(`no traceparent in ${JSON.stringify(headers)}`);
  expect(value).toMatch(TRACEPARENT);
  expect(parseTraceparent(value)).toBeDefined();
  return value;
}

const pingLines = (s: RunningService) => s.logs.filter((l) => l.event === "ping");

describe("the pinger starts a trace for each ping", () => {
  test.each([
    { percent: "0", flags: "00", sampled: false },
    { percent: "100", flags: "01", sampled: true },
  ])(
    "TRACE_SAMPLING_PERCENT=$percent: every traceparent has flags $flags; no B3; ids logged per ping",
    async ({ percent, flags, sampled }) => {
      const peer = await recordingPeer();
      const a = await start({ TICK_MS: "1", LOG_LEVEL: "debug", TRACE_SAMPLING_PERCENT: percent });
      a.service.startPinging(peer.url);
      await peer.answered(30);
      await a.close();

      const sent = peer.seen.map(traceparentOf);
      for (const value of sent) expect(value.slice(-2)).toBe(flags);
      for (const headers of peer.seen) {
        expect(Object.keys(headers).filter((h) => h === "b3" || h.startsWith("x-b3-"))).toEqual([]);
      }
      const ids = sent.map((v) => parseTraceparent(v)!);
      expect(new Set(ids.map((t) => t.traceId)).size).toBe(sent.length);
      expect(new Set(ids.map((t) => t.spanId)).size).toBe(sent.length);

      // One debug line per answered ping, in order, naming the trace the ping carried (the last
      // answer may still have been on its way when shutdown aborted it).
      const lines = pingLines(a);
      expect(lines.length).toBeGreaterThanOrEqual(29);
      expect(lines.length).toBeLessThanOrEqual(sent.length);
      lines.forEach((line, i) => {
        expect(line).toMatchObject({
          level: "debug",
          result: "success",
          trace_id: ids[i].traceId,
          span_id: ids[i].spanId,
          trace_sampled: sampled,
        });
      });
    },
  );

  test("at 50 percent about half the pings are sampled (a seeded random source)", async () => {
    const peer = await recordingPeer();
    const identity = { service: "pingpong", namespace: "pingpong-a", pod: "a-0", version: "v1" };
    const pinger = new Pinger({
      target: peer.url,
      tickMs: 1,
      timeoutMs: 2000,
      samplingPercent: 50,
      random: seededRandom(3),
      metrics: createMetrics(identity),
      logger: createLogger("silent", identity),
      userAgent: "pingpong-test",
    });
    pinger.start();
    await peer.answered(400, 15_000);
    await pinger.stop();

    const first = peer.seen.slice(0, 400).map(traceparentOf);
    const sampled = first.filter((v) => v.endsWith("-01")).length;
    // A fixed seed gives the same count on every run; a fair coin's standard deviation here is 10.
    expect(Math.abs(sampled - 200)).toBeLessThanOrEqual(40);
  });

  test("the failure warning and the recovery line name the trace of their ping", async () => {
    const peer = await recordingPeer((n) => (n <= 2 ? 503 : 200));
    const a = await start({ TICK_MS: "1", LOG_LEVEL: "info", TRACE_SAMPLING_PERCENT: "100" });
    a.service.startPinging(peer.url);
    await peer.answered(4);
    await a.close();

    const ids = peer.seen.map((h) => parseTraceparent(traceparentOf(h))!);
    const lines = pingLines(a);
    expect(lines.slice(0, 2)).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "ping failed",
        outcome: "HTTP 503",
        failedPings: 1,
        trace_id: ids[0].traceId,
        span_id: ids[0].spanId,
        trace_sampled: true,
      }),
      expect.objectContaining({
        level: "info",
        msg: "target reachable again",
        failedPings: 2,
        trace_id: ids[2].traceId,
        span_id: ids[2].spanId,
      }),
    ]);
  });

  test("the peer's pong line names the trace the ping started, so both ends lead to one trace", async () => {
    const b = await start({ POD_NAMESPACE: "pingpong-b", LOG_LEVEL: "debug" });
    const a = await start({
      POD_NAMESPACE: "pingpong-a",
      TICK_MS: "1",
      LOG_LEVEL: "debug",
      TRACE_SAMPLING_PERCENT: "100",
    });
    a.service.startPinging(new URL(b.url("/ping")));
    const pongs = () => b.logs.filter((l) => l.event === "pong");
    await waitFor(() => pingLines(a).length >= 5, 5000, "five pings logged");
    await a.close();

    const pings = pingLines(a);
    expect(pings.length).toBeGreaterThanOrEqual(5);
    pings.forEach((ping, i) => {
      expect(pongs()[i]).toMatchObject({
        level: "debug",
        trace_id: ping.trace_id,
        span_id: ping.span_id,
        trace_sampled: true,
      });
    });
  });
});

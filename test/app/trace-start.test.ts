import { parseTraceparent, startTrace, systemRandom, type TraceRandom } from "../../app/src/trace";
import { scriptedFractions, seededRandom } from "../support/seeded-random";

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

/** How many of `n` traces startTrace samples at `percent` with `random`. */
function sampledOf(n: number, percent: number, random: TraceRandom): number {
  let sampled = 0;
  for (let i = 0; i < n; i++) if (startTrace(percent, random).sampled) sampled++;
  return sampled;
}

describe("startTrace", () => {
  test("a version 00 traceparent of fresh random ids, which parses back to the same trace", () => {
    const traces = Array.from({ length: 1000 }, () => startTrace(50));
    for (const t of traces) {
      expect(t.traceparent).toMatch(TRACEPARENT);
      expect(t.traceparent).toBe(`00-${t.traceId}-${t.spanId}-${t.sampled ? "01" : "00"}`);
      expect(parseTraceparent(t.traceparent)).toEqual({
        traceId: t.traceId,
        spanId: t.spanId,
        sampled: t.sampled,
      });
    }
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(traces.length);
    expect(new Set(traces.map((t) => t.spanId)).size).toBe(traces.length);
  });

  test("draws new ids instead of an all-zero one", () => {
    const draws = [Buffer.alloc(16), Buffer.from("0123456789abcdef0123456789abcdef", "hex")];
    const spans = [Buffer.alloc(8), Buffer.alloc(8), Buffer.from("00000000000000f1", "hex")];
    const random: TraceRandom = {
      fraction: () => 0,
      bytes: (size) => (size === 16 ? draws.shift() : spans.shift()) ?? Buffer.alloc(size, 1),
    };
    expect(startTrace(100, random)).toEqual({
      traceId: "0123456789abcdef0123456789abcdef",
      spanId: "00000000000000f1",
      sampled: true,
      traceparent: "00-0123456789abcdef0123456789abcdef-00000000000000f1-01",
    });
  });

  test("samples when the random fraction is below percent/100", () => {
    const decide = (percent: number, fraction: number) =>
      startTrace(percent, scriptedFractions([fraction])).sampled;
    expect(decide(0, 0)).toBe(false);
    expect(decide(100, 1 - Number.EPSILON / 2)).toBe(true);
    expect(decide(50, 0.4999)).toBe(true);
    expect(decide(50, 0.5)).toBe(false);
    expect(decide(0.5, 0.00499)).toBe(true);
    expect(decide(0.5, 0.005)).toBe(false);
  });

  test("0 percent never samples and 100 percent always does", () => {
    expect(sampledOf(10_000, 0, systemRandom)).toBe(0);
    expect(sampledOf(10_000, 100, systemRandom)).toBe(10_000);
  });

  test("50 and 0.5 percent sample about that share (fixed seeds: the same count on every run)", () => {
    // Binomial standard deviations: 50 for 10000 draws at 50%, about 22 for 100000 at 0.5%.
    expect(Math.abs(sampledOf(10_000, 50, seededRandom(7)) - 5000)).toBeLessThanOrEqual(200);
    expect(Math.abs(sampledOf(100_000, 0.5, seededRandom(11)) - 500)).toBeLessThanOrEqual(90);
  });

  test("with the system's randomness too, within a margin no run can plausibly miss", () => {
    // 100000 draws at 50%: standard deviation 158; 3000 is 19 of them.
    expect(Math.abs(sampledOf(100_000, 50, systemRandom) - 50_000)).toBeLessThan(3000);
  });
});

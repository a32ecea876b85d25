import { holdExpectation, type Clock, type ProbeArgs, type Verdict } from "../../app/src/probe";
import net from "node:net";
import { closePeers, listen, scriptedPeer } from "../support/fake-peers";
import { probe, verdictLine } from "../support/probe-cli";
import { killAll } from "../support/process";
import { PINGPONG_A_ID as CALLER } from "../support/spiffe-ids";

afterEach(async () => {
  await killAll();
  await closePeers();
});

describe("holdExpectation", () => {
  const URL_ = new URL("http://a/ping");
  const resets = (over: Partial<ProbeArgs> = {}): ProbeArgs => ({
    url: URL_,
    expect: "failure",
    expectError: "ECONNRESET",
    timeoutMs: 100,
    attempts: 3,
    intervalMs: 50,
    deadlineMs: 1000,
    ...over,
  });
  const RESET: Verdict = { outcome: "ECONNRESET", caller: null, pass: true, reason: "failure as expected" };
  const OK: Verdict = {
    outcome: "HTTP 200",
    caller: null,
    pass: false,
    reason: "expected ECONNRESET, got HTTP 200",
  };

  /**
   * A fake clock, and attempts that each take `durationMs` of it and return `verdicts` in turn
   * (the last one repeated). Records when each attempt started and every sleep.
   */
  function scripted(verdicts: Verdict[], durationMs = 10) {
    let now = 0;
    const starts: number[] = [];
    const sleeps: number[] = [];
    const clock: Clock = {
      now: () => now,
      sleep: (ms) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    };
    const attempt = () => {
      starts.push(now);
      now += durationMs;
      return Promise.resolve(verdicts[Math.min(starts.length, verdicts.length) - 1]);
    };
    return { clock, attempt, starts, sleeps };
  }

  test("passes once N consecutive attempts match; a mismatch starts the streak over", async () => {
    const s = scripted([RESET, RESET, OK, RESET, RESET, RESET, OK]);
    const result = await holdExpectation(resets(), s.attempt, s.clock);

    expect(result).toEqual({
      pass: true,
      reason: "3 consecutive ECONNRESET as expected",
      last: RESET,
      attempts: 6,
      seen: [
        { outcome: "ECONNRESET", count: 5 },
        { outcome: "HTTP 200", count: 1 },
      ],
      longestStreak: 3,
    });
    expect(s.starts).toEqual([0, 60, 120, 180, 240, 300]);
    expect(s.sleeps).toEqual([50, 50, 50, 50, 50]);
  });

  test("fails when the next attempt's whole timeout no longer fits, naming the longest streak", async () => {
    const s = scripted([RESET, OK, RESET, RESET, OK, OK]);
    const args = resets({ deadlineMs: 400 });
    const result = await holdExpectation(args, s.attempt, s.clock);

    expect(result).toMatchObject({
      pass: false,
      reason:
        "expected 3 consecutive ECONNRESET within 400 ms, longest streak 2; " +
        "last: expected ECONNRESET, got HTTP 200",
      last: OK,
      attempts: 6,
      seen: [
        { outcome: "ECONNRESET", count: 3 },
        { outcome: "HTTP 200", count: 3 },
      ],
      longestStreak: 2,
    });
    // 300 + 100 = 400 still fits; after it, 310 + 50 + 100 does not, and there is no last sleep.
    expect(s.starts).toEqual([0, 60, 120, 180, 240, 300]);
    for (const start of s.starts) expect(start + args.timeoutMs).toBeLessThanOrEqual(args.deadlineMs);
    expect(s.sleeps).toHaveLength(5);
  });

  test("a streak still running at the deadline fails without a last mismatch", async () => {
    const s = scripted([RESET], 100);
    const result = await holdExpectation(resets({ attempts: 5, deadlineMs: 500 }), s.attempt, s.clock);

    expect(s.starts).toEqual([0, 150, 300]);
    expect(result).toMatchObject({
      pass: false,
      reason: "expected 5 consecutive ECONNRESET within 500 ms, longest streak 3",
      attempts: 3,
      seen: [{ outcome: "ECONNRESET", count: 3 }],
    });
  });

  test("the defaults make one attempt whose verdict and reason stand as they are", async () => {
    const one = resets({ attempts: 1, deadlineMs: 100 });
    const failing = scripted([OK]);
    expect(await holdExpectation(one, failing.attempt, failing.clock)).toMatchObject({
      pass: false,
      reason: "expected ECONNRESET, got HTTP 200",
      attempts: 1,
      seen: [{ outcome: "HTTP 200", count: 1 }],
      longestStreak: 0,
    });
    expect(failing.sleeps).toEqual([]);

    const passing = scripted([RESET]);
    expect(await holdExpectation(one, passing.attempt, passing.clock)).toMatchObject({
      pass: true,
      reason: "failure as expected",
      attempts: 1,
    });
  });

  test("one attempt with a longer deadline waits for the first match", async () => {
    const args = resets({ attempts: 1, deadlineMs: 300 });
    const eventually = scripted([OK, OK, RESET]);
    expect(await holdExpectation(args, eventually.attempt, eventually.clock)).toMatchObject({
      pass: true,
      reason: "failure as expected",
      attempts: 3,
    });

    const never = scripted([OK]);
    expect(await holdExpectation(args, never.attempt, never.clock)).toMatchObject({
      pass: false,
      reason: "expected ECONNRESET within 300 ms; last: expected ECONNRESET, got HTTP 200",
      attempts: 4,
    });
  });

  test("reasons name what a streak is made of", async () => {
    const denied: Verdict = {
      outcome: "HTTP 403",
      caller: null,
      pass: false,
      reason: "expected success, got HTTP 403",
    };
    const success = { ...resets(), expect: "success" as const, expectError: undefined, deadlineMs: 100 };
    const withCaller = { ...success, expectCaller: CALLER };
    const failure = { ...resets(), expectError: undefined, deadlineMs: 100 };
    const run = async (args: ProbeArgs, verdict: Verdict) => {
      const s = scripted([verdict]);
      return (await holdExpectation(args, s.attempt, s.clock)).reason;
    };

    expect(await run(success, denied)).toBe(
      "expected 3 consecutive successes within 100 ms, longest streak 0; last: expected success, got HTTP 403",
    );
    expect(await run(withCaller, denied)).toMatch(
      new RegExp(`^expected 3 consecutive successes with caller ${CALLER} within 100 ms, `),
    );
    expect(await run(failure, { ...RESET, pass: false })).toMatch(/^expected 3 consecutive failures within /);
  });
});

describe("probe CLI holding an expectation over consecutive attempts", () => {
  test("200 twice, then resets: passes on the third consecutive ECONNRESET and reports the 200s", async () => {
    const peer = await scriptedPeer((n) => (n <= 2 ? "200" : "reset"));
    const result = await probe(
      ...["--url", peer.url, "--expect", "failure", "--expect-error", "ECONNRESET"],
      ...["--attempts", "3", "--interval", "50"],
    );

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toBe(
      `outcome=ECONNRESET expected=failure:ECONNRESET caller=- url=${peer.url} ` +
        "attempts=5 seen=HTTP 200 x2, ECONNRESET x3 PASS (3 consecutive ECONNRESET as expected)",
    );
    expect(peer.connections()).toBe(5);
  });

  test("--expect-error alternatives: a streak of mixed matching outcomes passes and seen counts each", async () => {
    // Connections 1, 3, 5 are reset; 2 and 4 are answered with a 502, as Envoy's BlackHole route does.
    let connections = 0;
    const port = await listen(
      net.createServer((socket) => {
        const n = ++connections;
        socket.once("data", () => {
          if (n % 2 === 1) socket.resetAndDestroy();
          else socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        });
      }),
    );
    const url = `http://127.0.0.1:${port}/ping`;
    const result = await probe(
      ...["--url", url, "--expect", "failure", "--expect-error", "HTTP 502|ECONNRESET"],
      ...["--attempts", "5", "--interval", "10"],
    );

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toBe(
      `outcome=ECONNRESET expected=failure:HTTP 502|ECONNRESET caller=- url=${url} attempts=5 ` +
        "seen=ECONNRESET x3, HTTP 502 x2 PASS (5 consecutive HTTP 502|ECONNRESET as expected)",
    );
  });

  test("--expect-error alternatives: an outcome outside them breaks the streak", async () => {
    const peer = await scriptedPeer((n) => (n === 2 ? "200" : "reset"));
    const result = await probe(
      ...["--url", peer.url, "--expect", "failure", "--expect-error", "HTTP 502|ECONNRESET"],
      ...["--attempts", "2", "--interval", "10", "--timeout", "500", "--deadline", "2000"],
    );

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toMatch(
      /^outcome=ECONNRESET expected=failure:HTTP 502\|ECONNRESET .* attempts=4 seen=ECONNRESET x3, HTTP 200 x1 PASS /,
    );
  });

  test("a peer flipping between 200 and reset: fails at the deadline, naming the longest streak", async () => {
    const peer = await scriptedPeer((n) => (n % 2 === 1 ? "200" : "reset"));
    const [intervalMs, timeoutMs, deadlineMs] = [50, 200, 800];
    const started = Date.now();
    const result = await probe(
      ...["--url", peer.url, "--expect", "failure", "--expect-error", "ECONNRESET", "--attempts", "3"],
      ...["--interval", String(intervalMs), "--timeout", String(timeoutMs), "--deadline", String(deadlineMs)],
    );
    const elapsed = Date.now() - started;

    expect(result.code).toBe(1);
    const line = verdictLine(result);
    const pattern = new RegExp(
      `^outcome=(?:HTTP 200|ECONNRESET) expected=failure:ECONNRESET caller=- url=${peer.url} ` +
        "attempts=(\\d+) seen=HTTP 200 x(\\d+), ECONNRESET x(\\d+) FAIL " +
        `\\(expected 3 consecutive ECONNRESET within ${deadlineMs} ms, longest streak 1` +
        "(?:; last: expected failure, got HTTP 200)?\\)$",
    );
    expect(line).toMatch(pattern);
    const [attempts, ok, reset] = pattern.exec(line)!.slice(1).map(Number);
    expect(ok + reset).toBe(attempts);
    expect(ok - reset).toBeGreaterThanOrEqual(0);
    expect(ok - reset).toBeLessThanOrEqual(1);
    expect(attempts).toBeGreaterThanOrEqual(4);
    expect(peer.connections()).toBe(attempts);
    // It kept trying until the next attempt's whole timeout no longer fitted.
    expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - intervalMs - timeoutMs);
    expect(elapsed).toBeLessThan(3000);
  });
});

import http from "node:http";
import { describeCounts, judgeBurst, sendBurst } from "../../app/src/burst";
import { parseProbeArgs } from "../../app/src/probe-args";
import { burstPeer } from "../support/burst-peers";
import { createCa, issueServerCert, writePems, type PemDir } from "../support/certs";
import { withDeadline } from "../support/deadlines";
import { closePeers, httpPeer } from "../support/fake-peers";
import { closedPort } from "../support/loopback-ports";
import { probe, verdictLine } from "../support/probe-cli";
import { killAll } from "../support/process";

afterEach(async () => {
  await killAll();
  await closePeers();
});

const rateLimited = (url: string, ...more: string[]) => [
  ...["--url", url, "--expect", "rate-limited"],
  ...more,
];

/** The counts of a burst verdict line's `last=` field, by outcome. */
function lastCounts(line: string): Record<string, number> {
  const last = / last=(.*) (?:PASS|FAIL) \(/.exec(line)?.[1];
  if (last === undefined) throw new Error(`no last= in ${line}`);
  return Object.fromEntries(
    last.split(", ").map((entry) => {
      const [outcome, count] = entry.split(" x");
      return [outcome, Number(count)];
    }),
  );
}

describe("judgeBurst", () => {
  const counts = (entries: Record<string, number>) => new Map(Object.entries(entries));

  test("passes with at least one 429 and only 2xx besides", () => {
    expect(judgeBurst(counts({ "200": 80, "429": 40 }), 120, 120)).toEqual({
      outcome: "200 x80, 429 x40",
      caller: null,
      pass: true,
      reason: "rate-limited as expected",
    });
    expect(judgeBurst(counts({ "429": 5 }), 5, 5).pass).toBe(true);
    expect(judgeBurst(counts({ "204": 1, "200": 2, "429": 1 }), 4, 4)).toMatchObject({
      outcome: "200 x2, 204 x1, 429 x1",
      pass: true,
    });
  });

  test.each([
    [{ "200": 120 }, 120, "no 429 among 120 answers"],
    [{ "200": 60, "429": 50, "503": 10 }, 120, "expected only 2xx and 429, got 503 x10"],
    [{ "429": 3, ECONNRESET: 1, "302": 2 }, 6, "expected only 2xx and 429, got 302 x2, ECONNRESET x1"],
    [{ "200": 4, ABORTED: 2 }, 10, "deadline reached after 4 of 10 requests"],
  ])("%j of %d fails: %s", (entries, requests, reason) => {
    const c = counts(entries);
    const sent = Object.values(entries).reduce((a, b) => a + b, 0);
    expect(judgeBurst(c, requests, sent)).toMatchObject({ pass: false, reason });
  });

  test("a burst cut before every request started fails, even without an aborted request", () => {
    expect(judgeBurst(counts({ "200": 3, "429": 1 }), 10, 4)).toMatchObject({
      pass: false,
      reason: "deadline reached after 4 of 10 requests",
    });
  });

  test("describeCounts: statuses in numeric order, then error codes", () => {
    expect(describeCounts(counts({ ECONNRESET: 1, "429": 2, ABORTED: 3, "200": 4 }))).toBe(
      "200 x4, 429 x2, ABORTED x3, ECONNRESET x1",
    );
  });
});

describe("sendBurst", () => {
  test("keeps exactly C requests in flight over C keep-alive connections", async () => {
    // The peer answers only once 8 requests wait: a burst with fewer in flight would stall.
    const peer = await burstPeer({ holdUntil: 8 });
    const args = parseProbeArgs(rateLimited(peer.url, "--burst", "40", "--concurrency", "8"));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const { counts, sent } = await sendBurst(args, agent, new AbortController().signal);
      expect([sent, Object.fromEntries(counts)]).toEqual([40, { "200": 40 }]);
    } finally {
      agent.destroy();
    }
    expect(peer.maxInFlight()).toBe(8);
    expect(peer.connections()).toBe(8);
    expect(peer.requests()).toBe(40);
  });

  test("an abort ends the requests in flight as ABORTED and starts no more", async () => {
    const peer = await burstPeer({ holdUntil: Infinity });
    const args = parseProbeArgs(rateLimited(peer.url, "--burst", "50", "--concurrency", "5"));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 5 });
    const abort = new AbortController();
    const burst = sendBurst(args, agent, abort.signal);
    try {
      await withDeadline(peer.arrived(5), 5000, "five requests in flight");
      abort.abort();
      const { counts, sent } = await burst;
      expect([sent, Object.fromEntries(counts)]).toEqual([5, { ABORTED: 5 }]);
      expect(judgeBurst(counts, 50, sent).reason).toBe("deadline reached after 0 of 50 requests");
    } finally {
      agent.destroy();
    }
  });
});

describe("probe CLI in burst mode", () => {
  test("a peer answering 429 beyond 10 requests a second passes, over at most C connections", async () => {
    const peer = await burstPeer({ perSecond: 10 });
    const result = await probe(
      ...rateLimited(peer.url, "--burst", "30", "--concurrency", "5", "--attempts", "2", "--interval", "0"),
    );

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const line = verdictLine(result);
    expect(line).toMatch(
      new RegExp(
        `^expected=rate-limited url=${peer.url} burst=30 concurrency=5 bursts=2 ` +
          "last=(?:200 x\\d+, )?429 x\\d+ PASS \\(2 consecutive rate-limited bursts as expected\\)$",
      ),
    );
    const last = lastCounts(line);
    expect((last["200"] ?? 0) + last["429"]).toBe(30);
    // Two one-second windows at most let 20 of the 30 through.
    expect(last["429"]).toBeGreaterThanOrEqual(10);
    expect(peer.requests()).toBe(60);
    expect(peer.maxInFlight()).toBeLessThanOrEqual(5);
    expect(peer.connections()).toBeLessThanOrEqual(5);
  });

  test("bursts without a 429 break the streak until the limit applies", async () => {
    const peer = await burstPeer({ perSecond: 10, limitAfter: 60 });
    const result = await probe(
      ...rateLimited(peer.url, "--burst", "30", "--attempts", "2", "--interval", "10"),
      ...["--timeout", "1000", "--deadline", "8000"],
    );

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toMatch(
      / concurrency=10 bursts=4 last=(?:200 x\d+, )?429 x\d+ PASS \(2 consecutive rate-limited bursts as expected\)$/,
    );
    expect(peer.requests()).toBe(120);
  });

  test("a peer that never answers 429 fails at the deadline", async () => {
    const port = await httpPeer(200, "pong");
    const url = `http://127.0.0.1:${port}/ping`;
    const [intervalMs, timeoutMs, deadlineMs] = [20, 200, 600];
    const started = Date.now();
    const result = await probe(
      ...rateLimited(url, "--burst", "30", "--interval", String(intervalMs), "--timeout", String(timeoutMs)),
      ...["--deadline", String(deadlineMs)],
    );
    const elapsed = Date.now() - started;

    expect(result.code).toBe(1);
    const line = verdictLine(result);
    expect(line).toMatch(
      new RegExp(
        `^expected=rate-limited url=${url} burst=30 concurrency=10 bursts=(\\d+) last=200 x30 FAIL ` +
          `\\(expected a rate-limited burst within ${deadlineMs} ms; last: no 429 among 30 answers\\)$`,
      ),
    );
    expect(Number(/ bursts=(\d+) /.exec(line)?.[1])).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - intervalMs - timeoutMs);
  });

  test("a peer answering 503 now and then fails: every other answer must be a 2xx", async () => {
    const peer = await burstPeer({ perSecond: 10, status: (n) => (n % 7 === 0 ? 503 : 200) });
    const result = await probe(
      ...rateLimited(peer.url, "--burst", "30", "--attempts", "2", "--interval", "10"),
      ...["--timeout", "300", "--deadline", "900"],
    );

    expect(result.code).toBe(1);
    expect(verdictLine(result)).toMatch(
      /^expected=rate-limited .* last=(?:200 x\d+, )?(?:429 x\d+, )?503 x\d+ FAIL \(expected 2 consecutive rate-limited bursts within 900 ms, longest streak 0; last: expected only 2xx and 429, got 503 x\d+\)$/,
    );
  });

  test("network errors fail a burst", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/ping`;
    const result = await probe(...rateLimited(url, "--burst", "20", "--concurrency", "4"));

    expect(result.code).toBe(1);
    expect(verdictLine(result)).toBe(
      `expected=rate-limited url=${url} burst=20 concurrency=4 bursts=1 last=ECONNREFUSED x20 FAIL ` +
        "(expected only 2xx and 429, got ECONNREFUSED x20)",
    );
  });

  test("a burst still running at the deadline is cut short and fails", async () => {
    // 100000 sequential requests cannot all be answered within 300 ms.
    const port = await httpPeer(200, "pong");
    const url = `http://127.0.0.1:${port}/ping`;
    const result = await probe(
      ...rateLimited(url, "--burst", "100000", "--concurrency", "1", "--timeout", "300"),
    );

    expect(result.code).toBe(1);
    expect(verdictLine(result)).toMatch(
      /^expected=rate-limited .* bursts=1 last=200 x\d+(?:, ABORTED x1)? FAIL \(deadline reached after \d+ of 100000 requests\)$/,
    );
  });

  describe("over https", () => {
    let pems: PemDir;
    let server: { cert: string; key: string };

    beforeAll(async () => {
      const ca = await createCa("pingpong-burst-ca");
      server = await issueServerCert(ca);
      pems = writePems({ "ca.pem": ca.cert });
    });
    afterAll(() => pems.remove());

    test("trusts --cacert and reuses its TLS connections", async () => {
      const peer = await burstPeer({ perSecond: 5, tls: server });
      const result = await probe(
        ...rateLimited(peer.url, "--burst", "20", "--concurrency", "4", "--cacert", pems.paths["ca.pem"]),
      );

      expect(result.code).toBe(0);
      expect(verdictLine(result)).toMatch(
        / bursts=1 last=(?:200 x\d+, )?429 x\d+ PASS \(rate-limited as expected\)$/,
      );
      expect(peer.connections()).toBeLessThanOrEqual(4);
    });
  });
});

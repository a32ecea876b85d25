import http from "node:http";
import net from "node:net";
import {
  formatVerdict,
  holdExpectation,
  judge,
  parseProbeArgs,
  UsageError,
  wantsHelp,
  type Clock,
  type ProbeArgs,
  type Verdict,
} from "../../app/src/probe";
import type { Outcome } from "../../app/src/request";
import {
  closedPort,
  killAll,
  listenOnLoopback,
  PROBE_JS,
  runToExit,
  startApp,
  type RunResult,
} from "../support/process";

const CALLER = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
const USAGE_LINE = /^usage: probe --url URL --expect success\|failure /m;

function probe(...args: string[]): Promise<RunResult> {
  return runToExit(PROBE_JS, args, {}, 8000);
}

/** The probe prints exactly one verdict line on stdout; returns it. */
function verdictLine(result: RunResult): string {
  const lines = result.stdout.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  return lines[0];
}

const closers: Array<() => Promise<void>> = [];

function listen(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));
  });
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return listenOnLoopback(server);
}

/** An HTTP server answering every request with `status` and `body`. */
function httpServer(status: number, body: string, contentType = "text/plain"): Promise<number> {
  return listen(
    http.createServer((_req, res) => {
      res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
      res.end(body);
    }),
  );
}

afterEach(async () => {
  await killAll();
  for (const close of closers.splice(0)) await close();
});

describe("probe CLI against real peers", () => {
  test("a running app: --expect success passes with HTTP 200", async () => {
    const app = await startApp();
    const result = await probe("--url", `http://127.0.0.1:${app.port}/ping`, "--expect", "success");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(verdictLine(result)).toMatch(
      new RegExp(
        `^outcome=HTTP 200 expected=success caller=- url=http://127\\.0\\.0\\.1:${app.port}/ping ` +
          `attempts=1 seen=HTTP 200 x1 PASS \\(success as expected\\)$`,
      ),
    );
  });

  test("a running app: --expect failure fails", async () => {
    const app = await startApp();
    const result = await probe("--url", `http://127.0.0.1:${app.port}/ping`, "--expect", "failure");

    expect(result.code).toBe(1);
    expect(verdictLine(result)).toMatch(
      /^outcome=HTTP 200 expected=failure .* FAIL \(expected failure, got HTTP 200\)$/,
    );
  });

  test("a running app: an unknown path is an HTTP 404 failure", async () => {
    const app = await startApp();
    const result = await probe("--url", `http://127.0.0.1:${app.port}/nope`, "--expect", "failure");

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toMatch(/^outcome=HTTP 404 .* PASS /);
  });

  test("a closed port: ECONNREFUSED is the expected failure, and not a success", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/ping`;

    const failure = await probe("--url", url, "--expect", "failure");
    expect(failure.code).toBe(0);
    expect(verdictLine(failure)).toMatch(
      /^outcome=ECONNREFUSED expected=failure .* PASS \(failure as expected\)$/,
    );

    const refused = await probe("--url", url, "--expect", "failure", "--expect-error", "ECONNREFUSED");
    expect(refused.code).toBe(0);

    const success = await probe("--url", url, "--expect", "success");
    expect(success.code).toBe(1);
    expect(verdictLine(success)).toMatch(
      /^outcome=ECONNREFUSED .* FAIL \(expected success, got ECONNREFUSED\)$/,
    );
  });

  test("a peer that resets connections: ECONNRESET matches --expect-error ECONNRESET only", async () => {
    let connections = 0;
    const port = await listen(
      net.createServer((socket) => {
        connections++;
        socket.on("data", () => socket.resetAndDestroy());
      }),
    );
    const url = `http://127.0.0.1:${port}/ping`;

    const reset = await probe("--url", url, "--expect", "failure", "--expect-error", "ECONNRESET");
    expect(reset.code).toBe(0);
    expect(verdictLine(reset)).toMatch(/^outcome=ECONNRESET expected=failure:ECONNRESET .* PASS /);

    const timedOut = await probe("--url", url, "--expect", "failure", "--expect-error", "ETIMEDOUT");
    expect(timedOut.code).toBe(1);
    expect(verdictLine(timedOut)).toMatch(
      /^outcome=ECONNRESET .* FAIL \(expected ETIMEDOUT, got ECONNRESET\)$/,
    );

    expect(connections).toBe(2);
  });

  test("a peer answering HTTP 500: failure expected passes, success expected fails", async () => {
    const port = await httpServer(500, "boom");
    const url = `http://127.0.0.1:${port}/ping`;

    const failure = await probe("--url", url, "--expect", "failure");
    expect(failure.code).toBe(0);
    expect(verdictLine(failure)).toMatch(/^outcome=HTTP 500 expected=failure .* PASS /);

    const success = await probe("--url", url, "--expect", "success");
    expect(success.code).toBe(1);
    expect(verdictLine(success)).toMatch(/^outcome=HTTP 500 .* FAIL \(expected success, got HTTP 500\)$/);
  });

  test("a peer that never answers: ETIMEDOUT after --timeout", async () => {
    let requests = 0;
    const port = await listen(
      net.createServer((socket) => {
        socket.once("data", () => requests++);
      }),
    );
    const url = `http://127.0.0.1:${port}/ping`;

    const started = Date.now();
    const result = await probe(
      "--url",
      url,
      "--expect",
      "failure",
      "--expect-error",
      "ETIMEDOUT",
      "--timeout",
      "200",
    );
    const elapsed = Date.now() - started;

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toMatch(/^outcome=ETIMEDOUT expected=failure:ETIMEDOUT .* PASS /);
    expect(requests).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(3000);
  });

  test("--expect-caller compares the caller the peer reports", async () => {
    const port = await httpServer(
      200,
      JSON.stringify({ message: "pong", caller: CALLER }),
      "application/json",
    );
    const url = `http://127.0.0.1:${port}/ping`;

    const same = await probe("--url", url, "--expect", "success", "--expect-caller", CALLER);
    expect(same.code).toBe(0);
    expect(verdictLine(same)).toBe(
      `outcome=HTTP 200 expected=success caller=${CALLER} url=${url} attempts=1 seen=HTTP 200 x1 ` +
        "PASS (success as expected)",
    );

    const other = "spiffe://cluster.local/ns/pingpong-b/sa/pingpong";
    const different = await probe("--url", url, "--expect", "success", "--expect-caller", other);
    expect(different.code).toBe(1);
    expect(verdictLine(different)).toMatch(
      new RegExp(`^outcome=HTTP 200 .* FAIL \\(expected caller ${other}, got ${CALLER}\\)$`),
    );
  });

  test("--expect-caller fails when the peer reports no caller", async () => {
    const app = await startApp();
    const result = await probe(
      "--url",
      `http://127.0.0.1:${app.port}/ping`,
      "--expect",
      "success",
      "--expect-caller",
      CALLER,
    );

    expect(result.code).toBe(1);
    expect(verdictLine(result)).toMatch(new RegExp(`FAIL \\(expected caller ${CALLER}, got none\\)$`));
  });
});

/** A peer whose n-th connection (counting from 1) gets an HTTP 200 or a reset, as `answer` says. */
async function scriptedPeer(answer: (n: number) => "200" | "reset") {
  let connections = 0;
  const port = await listen(
    net.createServer((socket) => {
      const n = ++connections;
      socket.once("data", () => {
        if (answer(n) === "reset") socket.resetAndDestroy();
        else socket.end("HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\npong");
      });
    }),
  );
  return { url: `http://127.0.0.1:${port}/ping`, connections: () => connections };
}

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

  test("a peer flipping between 200 and reset: fails at the deadline, naming the longest streak", async () => {
    const peer = await scriptedPeer((n) => (n % 2 === 1 ? "200" : "reset"));
    const started = Date.now();
    const result = await probe(
      ...["--url", peer.url, "--expect", "failure", "--expect-error", "ECONNRESET"],
      ...["--attempts", "3", "--interval", "50", "--timeout", "200", "--deadline", "800"],
    );
    const elapsed = Date.now() - started;

    expect(result.code).toBe(1);
    const line = verdictLine(result);
    const pattern = new RegExp(
      `^outcome=(?:HTTP 200|ECONNRESET) expected=failure:ECONNRESET caller=- url=${peer.url} ` +
        "attempts=(\\d+) seen=HTTP 200 x(\\d+), ECONNRESET x(\\d+) FAIL " +
        "\\(expected 3 consecutive ECONNRESET within 800 ms, longest streak 1" +
        "(?:; last: expected failure, got HTTP 200)?\\)$",
    );
    expect(line).toMatch(pattern);
    const [attempts, ok, reset] = pattern.exec(line)!.slice(1).map(Number);
    expect(ok + reset).toBe(attempts);
    expect(ok - reset).toBeGreaterThanOrEqual(0);
    expect(ok - reset).toBeLessThanOrEqual(1);
    expect(attempts).toBeGreaterThanOrEqual(4);
    expect(peer.connections()).toBe(attempts);
    // It kept trying until the next attempt's whole timeout no longer fitted: 800 - 50 - 200 ms.
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(3000);
  });

  test.each(["--help", "-h"])("%s prints the usage on stdout and exits 0", async (flag) => {
    const result = await probe(flag);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(USAGE_LINE);
    expect(result.stdout).toMatch(/^ {2}--attempts N /m);
    expect(result.stdout).toMatch(/^ {2}--deadline MS /m);
  });
});

describe("probe CLI usage errors exit 2", () => {
  let url: string;

  beforeAll(async () => {
    url = `http://127.0.0.1:${await closedPort()}/ping`;
  });

  test.each([
    {
      name: "no arguments",
      args: () => [],
      message: /^probe: --url="": expected an absolute http:\/\/ or https:\/\/ URL$/m,
    },
    {
      name: "--expect maybe",
      args: () => ["--url", url, "--expect", "maybe"],
      message: /^probe: --expect="maybe": expected success or failure$/m,
    },
    {
      name: "--url not-a-url",
      args: () => ["--url", "not-a-url", "--expect", "success"],
      message: /^probe: --url="not-a-url": expected an absolute http:\/\/ or https:\/\/ URL$/m,
    },
    {
      name: "--expect-error with --expect success",
      args: () => ["--url", url, "--expect", "success", "--expect-error", "ECONNRESET"],
      message: /^probe: --expect-error: only meaningful with --expect failure$/m,
    },
    {
      name: "--attempts 0",
      args: () => ["--url", url, "--expect", "failure", "--attempts", "0"],
      message: /^probe: --attempts="0": expected a number of consecutive attempts from 1 to 10000$/m,
    },
    {
      name: "--interval 1s",
      args: () => ["--url", url, "--expect", "failure", "--interval", "1s"],
      message: /^probe: --interval="1s": expected a number of milliseconds from 0 to 86400000$/m,
    },
    {
      name: "--deadline shorter than --timeout",
      args: () => ["--url", url, "--expect", "failure", "--timeout", "2000", "--deadline", "1000"],
      message:
        /^probe: --deadline="1000": expected at least the --timeout \(2000 ms\), so that one attempt fits$/m,
    },
    {
      name: "--cert without --key",
      args: () => ["--url", url, "--expect", "success", "--cert", "/nonexistent/cert.pem"],
      message: /^probe: --cert and --key: expected both or neither$/m,
    },
  ])("$name", async ({ args, message }) => {
    const result = await probe(...args());

    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(USAGE_LINE);
  });
});

describe("parseProbeArgs", () => {
  test("reads every option; defaults: 5000 ms timeout, one attempt, deadline of one timeout", () => {
    expect(parseProbeArgs(["--url", "http://a.example:8080/ping", "--expect", "success"])).toEqual({
      url: new URL("http://a.example:8080/ping"),
      expect: "success",
      expectError: undefined,
      expectCaller: undefined,
      timeoutMs: 5000,
      attempts: 1,
      intervalMs: 1000,
      deadlineMs: 5000,
      cacert: undefined,
      cert: undefined,
      key: undefined,
    });
    expect(
      parseProbeArgs([
        "--url=https://b.example/ping",
        "--expect=failure",
        "--expect-error=ECONNRESET",
        "--timeout=250",
        "--attempts=4",
        "--interval=0",
        "--deadline=250",
        "--cacert=/ca.pem",
        "--cert=/c.pem",
        "--key=/k.pem",
      ]),
    ).toEqual({
      url: new URL("https://b.example/ping"),
      expect: "failure",
      expectError: "ECONNRESET",
      expectCaller: undefined,
      timeoutMs: 250,
      attempts: 4,
      intervalMs: 0,
      deadlineMs: 250,
      cacert: "/ca.pem",
      cert: "/c.pem",
      key: "/k.pem",
    });
    expect(
      parseProbeArgs(["--url", "http://a/", "--expect", "success", "--expect-caller", CALLER]).expectCaller,
    ).toBe(CALLER);
  });

  test("without --deadline, there is room for every attempt to take its whole timeout", () => {
    const base = ["--url", "http://a/", "--expect", "success", "--timeout", "200", "--interval", "100"];
    expect(parseProbeArgs([...base, "--attempts", "3"]).deadlineMs).toBe(3 * 200 + 2 * 100);
    expect(parseProbeArgs([...base, "--attempts", "3", "--deadline", "200"]).deadlineMs).toBe(200);
  });

  test("-h and --help anywhere ask for help; an option's value does not", () => {
    expect(wantsHelp(["--help"])).toBe(true);
    expect(wantsHelp(["-h"])).toBe(true);
    expect(wantsHelp(["--url", "http://a/", "--bogus", "-h"])).toBe(true);
    expect(wantsHelp(["--url", "--help"])).toBe(false);
    expect(wantsHelp(["--url", "http://a/", "--expect", "success"])).toBe(false);
    expect(wantsHelp([])).toBe(false);
  });

  test.each([
    [[]],
    [["--url", "http://a/"]],
    [["--url", "ftp://a/", "--expect", "success"]],
    [["--url", "/relative", "--expect", "success"]],
    [["--url", "http://a/", "--expect", "SUCCESS"]],
    [["--url", "http://a/", "--expect", "success", "--bogus"]],
    [["--url", "http://a/", "--expect", "success", "extra"]],
    [["--url", "http://a/", "--expect", "success", "--expect-error", "ECONNRESET"]],
    [["--url", "http://a/", "--expect", "failure", "--expect-caller", CALLER]],
    [["--url", "http://a/", "--expect", "success", "--timeout", "0"]],
    [["--url", "http://a/", "--expect", "success", "--timeout", "1.5"]],
    [["--url", "http://a/", "--expect", "success", "--timeout", "-1"]],
    [["--url", "http://a/", "--expect", "success", "--timeout", "86400001"]],
    [["--url", "http://a/", "--expect", "success", "--key", "/k.pem"]],
    [["--url", "http://a/", "--expect", "success", "--attempts", "0"]],
    [["--url", "http://a/", "--expect", "success", "--attempts", "2.5"]],
    [["--url", "http://a/", "--expect", "success", "--attempts", "10001"]],
    [["--url", "http://a/", "--expect", "success", "--interval", "-1"]],
    [["--url", "http://a/", "--expect", "success", "--interval", "1s"]],
    [["--url", "http://a/", "--expect", "success", "--deadline", "0"]],
    [["--url", "http://a/", "--expect", "success", "--deadline", "4999"]],
    [["--url", "http://a/", "--expect", "success", "--timeout", "100", "--deadline", "99"]],
    [["--url", "http://a/", "--expect", "success", "--help"]],
  ])("rejects %j", (argv) => {
    expect(() => parseProbeArgs(argv)).toThrow(UsageError);
  });
});

describe("judge", () => {
  const args = (over: Partial<ProbeArgs>): ProbeArgs => ({
    url: new URL("http://a/ping"),
    expect: "success",
    timeoutMs: 1000,
    attempts: 1,
    intervalMs: 1000,
    deadlineMs: 1000,
    ...over,
  });
  const response = (status: number, body = ""): Outcome => ({
    kind: "response",
    status,
    body,
    durationMs: 1,
  });
  const error = (code: string): Outcome => ({ kind: "error", code, message: code, durationMs: 1 });

  test("success means a 2xx answer", () => {
    const success = args({ expect: "success" });
    expect(judge(success, response(200))).toMatchObject({ outcome: "HTTP 200", pass: true });
    expect(judge(success, response(204))).toMatchObject({ pass: true });
    expect(judge(success, response(299))).toMatchObject({ pass: true });
    expect(judge(success, response(199))).toMatchObject({ pass: false });
    expect(judge(success, response(302))).toMatchObject({
      pass: false,
      reason: "expected success, got HTTP 302",
    });
    expect(judge(success, response(503))).toMatchObject({ pass: false });
    expect(judge(success, error("ECONNRESET"))).toEqual({
      outcome: "ECONNRESET",
      caller: null,
      pass: false,
      reason: "expected success, got ECONNRESET",
    });
  });

  test("failure means anything but a 2xx answer, optionally a given error code", () => {
    const failure = args({ expect: "failure" });
    expect(judge(failure, response(200))).toMatchObject({
      pass: false,
      reason: "expected failure, got HTTP 200",
    });
    expect(judge(failure, response(403))).toMatchObject({ outcome: "HTTP 403", pass: true });
    expect(judge(failure, error("ECONNREFUSED"))).toMatchObject({
      pass: true,
      reason: "failure as expected",
    });

    const reset = args({ expect: "failure", expectError: "ECONNRESET" });
    expect(judge(reset, error("ECONNRESET"))).toMatchObject({ pass: true });
    expect(judge(reset, error("ETIMEDOUT"))).toMatchObject({
      pass: false,
      reason: "expected ECONNRESET, got ETIMEDOUT",
    });
    expect(judge(reset, response(500))).toMatchObject({
      pass: false,
      reason: "expected ECONNRESET, got HTTP 500",
    });
    expect(judge(reset, response(200))).toMatchObject({ pass: false });
  });

  test("the caller comes from the JSON body and is compared when expected", () => {
    const body = JSON.stringify({ message: "pong", caller: CALLER });
    expect(judge(args({}), response(200, body))).toMatchObject({ caller: CALLER, pass: true });
    expect(judge(args({ expectCaller: CALLER }), response(200, body))).toMatchObject({ pass: true });
    expect(
      judge(args({ expectCaller: "spiffe://cluster.local/ns/x/sa/y" }), response(200, body)),
    ).toMatchObject({
      pass: false,
      reason: `expected caller spiffe://cluster.local/ns/x/sa/y, got ${CALLER}`,
    });
    expect(judge(args({ expectCaller: CALLER }), response(200, '{"caller":null}'))).toMatchObject({
      caller: null,
      pass: false,
      reason: `expected caller ${CALLER}, got none`,
    });
    expect(judge(args({ expectCaller: CALLER }), response(200, "pong"))).toMatchObject({
      caller: null,
      pass: false,
    });
    expect(judge(args({ expectCaller: CALLER }), response(200, '{"caller":42}'))).toMatchObject({
      caller: null,
      pass: false,
    });
    expect(judge(args({ expectCaller: CALLER }), response(500, body))).toMatchObject({
      caller: CALLER,
      pass: false,
      reason: "expected success, got HTTP 500",
    });
  });
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

  test("formatVerdict: the last outcome and caller, the attempts and what was seen", () => {
    const line = formatVerdict(resets(), {
      pass: true,
      reason: "3 consecutive ECONNRESET as expected",
      last: RESET,
      attempts: 5,
      seen: [
        { outcome: "HTTP 200", count: 2 },
        { outcome: "ECONNRESET", count: 3 },
      ],
      longestStreak: 3,
    });
    expect(line).toBe(
      "outcome=ECONNRESET expected=failure:ECONNRESET caller=- url=http://a/ping attempts=5 " +
        "seen=HTTP 200 x2, ECONNRESET x3 PASS (3 consecutive ECONNRESET as expected)",
    );
  });
});

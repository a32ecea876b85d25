import http from "node:http";
import net from "node:net";
import { judge, parseProbeArgs, UsageError, type ProbeArgs } from "../../app/src/probe";
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
        `^outcome=HTTP 200 expected=success caller=- url=http://127\\.0\\.0\\.1:${app.port}/ping PASS \\(success as expected\\)$`,
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
      `outcome=HTTP 200 expected=success caller=${CALLER} url=${url} PASS (success as expected)`,
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
  test("reads every option and defaults the timeout to 5000 ms", () => {
    expect(parseProbeArgs(["--url", "http://a.example:8080/ping", "--expect", "success"])).toEqual({
      url: new URL("http://a.example:8080/ping"),
      expect: "success",
      expectError: undefined,
      expectCaller: undefined,
      timeoutMs: 5000,
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
      cacert: "/ca.pem",
      cert: "/c.pem",
      key: "/k.pem",
    });
    expect(
      parseProbeArgs(["--url", "http://a/", "--expect", "success", "--expect-caller", CALLER]).expectCaller,
    ).toBe(CALLER);
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
    [["--url", "http://a/", "--expect", "success", "--key", "/k.pem"]],
  ])("rejects %j", (argv) => {
    expect(() => parseProbeArgs(argv)).toThrow(UsageError);
  });
});

describe("judge", () => {
  const args = (over: Partial<ProbeArgs>): ProbeArgs => ({
    url: new URL("http://a/ping"),
    expect: "success",
    timeoutMs: 1000,
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

import { UsageError, parseProbeArgs } from "../../app/src/probe-args";
import { formatVerdict, judge, type ProbeArgs, type Verdict } from "../../app/src/probe";
import type { Outcome } from "../../app/src/request";
import { PINGPONG_A_ID as CALLER } from "../support/spiffe-ids";

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

  test("--expect-error alternatives: an outcome matches when it is any of them", () => {
    const blocked = args({ expect: "failure", expectError: "HTTP 502|ECONNRESET" });
    expect(judge(blocked, response(502))).toMatchObject({
      outcome: "HTTP 502",
      pass: true,
      reason: "failure as expected",
    });
    expect(judge(blocked, error("ECONNRESET"))).toMatchObject({ outcome: "ECONNRESET", pass: true });
    expect(judge(blocked, response(503))).toMatchObject({
      pass: false,
      reason: "expected HTTP 502|ECONNRESET, got HTTP 503",
    });
    expect(judge(blocked, error("ECONNREFUSED"))).toMatchObject({
      pass: false,
      reason: "expected HTTP 502|ECONNRESET, got ECONNREFUSED",
    });
    expect(judge(blocked, response(200))).toMatchObject({
      pass: false,
      reason: "expected failure, got HTTP 200",
    });
    // Outcomes are compared whole: neither a prefix nor another case matches.
    expect(judge(blocked, response(50))).toMatchObject({ pass: false });
    expect(judge(args({ expect: "failure", expectError: "http 502" }), response(502))).toMatchObject({
      pass: false,
    });
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

describe("formatVerdict", () => {
  const RESET: Verdict = { outcome: "ECONNRESET", caller: null, pass: true, reason: "failure as expected" };

  test("the last outcome and caller, the attempts and what was seen", () => {
    const args: ProbeArgs = {
      url: new URL("http://a/ping"),
      expect: "failure",
      expectError: "ECONNRESET",
      timeoutMs: 100,
      attempts: 3,
      intervalMs: 50,
      deadlineMs: 1000,
    };
    const line = formatVerdict(args, {
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

describe("--expect reached", () => {
  const reached = parseProbeArgs(["--url", "https://example.com/", "--expect", "reached"]);

  test("any HTTP answer passes, whatever its status; a network error fails", () => {
    for (const status of [200, 301, 404, 503]) {
      expect(judge(reached, { kind: "response", status, body: "", durationMs: 1 }).pass).toBe(true);
    }
    const reset = judge(reached, { kind: "error", code: "ECONNRESET", message: "reset", durationMs: 1 });
    expect(reset.pass).toBe(false);
    expect(reset.reason).toContain("ECONNRESET");
  });

  test("it takes none of the options that only other expectations use", () => {
    for (const extra of [
      ["--expect-error", "ECONNRESET"],
      ["--expect-caller", "spiffe://x/ns/a/sa/b"],
      ["--burst", "10"],
    ]) {
      expect(() =>
        parseProbeArgs(["--url", "https://example.com/", "--expect", "reached", ...extra]),
      ).toThrow(UsageError);
    }
  });
});

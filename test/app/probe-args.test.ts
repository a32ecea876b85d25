import { parseProbeArgs, UsageError, wantsHelp } from "../../app/src/probe-args";
import { PINGPONG_A_ID as CALLER } from "../support/spiffe-ids";

const REQUIRED = ["--url", "http://a/", "--expect", "success"];
/** What parseProbeArgs makes of the required options alone. */
const DEFAULTS = parseProbeArgs(REQUIRED);

/** The UsageError parseProbeArgs throws for `argv`. */
function usageError(argv: string[]): UsageError {
  try {
    parseProbeArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`parseProbeArgs(${JSON.stringify(argv)}) did not throw`);
}

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
      burst: undefined,
      concurrency: undefined,
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
      burst: undefined,
      concurrency: undefined,
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
    [["--url", "http://a/", "--expect", "success", "--key", "/k.pem"]],
    [["--url", "http://a/", "--expect", "success", "--attempts", "0"]],
    [["--url", "http://a/", "--expect", "success", "--attempts", "2.5"]],
    [["--url", "http://a/", "--expect", "success", "--interval", "-1"]],
    [["--url", "http://a/", "--expect", "success", "--interval", "1s"]],
    [["--url", "http://a/", "--expect", "success", "--deadline", "0"]],
    [[...REQUIRED, "--deadline", String(DEFAULTS.timeoutMs - 1)]],
    [["--url", "http://a/", "--expect", "success", "--timeout", "100", "--deadline", "99"]],
    [["--url", "http://a/", "--expect", "success", "--help"]],
  ])("rejects %j", (argv) => {
    expect(() => parseProbeArgs(argv)).toThrow(UsageError);
  });
});

describe("parseProbeArgs: --expect-error alternatives", () => {
  const failure = (expectError: string) =>
    parseProbeArgs(["--url", "http://a/", "--expect", "failure", "--expect-error", expectError]);

  test("keeps one outcome as it is and joins alternatives with |, trimmed", () => {
    expect(failure("ECONNRESET").expectError).toBe("ECONNRESET");
    expect(failure("HTTP 502|ECONNRESET").expectError).toBe("HTTP 502|ECONNRESET");
    expect(failure(" HTTP 502 | ECONNRESET ").expectError).toBe("HTTP 502|ECONNRESET");
    expect(failure("HTTP 502|HTTP 503|ECONNRESET").expectError).toBe("HTTP 502|HTTP 503|ECONNRESET");
  });

  test.each(["", "|", "ECONNRESET|", "|ECONNRESET", "HTTP 502||ECONNRESET", "HTTP 502| |ECONNRESET"])(
    "rejects %j: an empty alternative",
    (value) => {
      expect(usageError(["--url", "http://a/", "--expect", "failure", "--expect-error", value]).message).toBe(
        `--expect-error=${JSON.stringify(value)}: expected outcomes separated by |, none empty, ` +
          'e.g. "HTTP 502|ECONNRESET"',
      );
    },
  );
});

describe("parseProbeArgs: burst mode", () => {
  const RATE = ["--url", "http://a/", "--expect", "rate-limited"];

  test("--burst N with --expect rate-limited; --concurrency defaults to 10", () => {
    expect(parseProbeArgs([...RATE, "--burst", "120"])).toMatchObject({
      expect: "rate-limited",
      burst: 120,
      concurrency: 10,
      attempts: 1,
      timeoutMs: 5000,
    });
    expect(parseProbeArgs([...RATE, "--burst=7", "--concurrency=3", "--attempts=2"])).toMatchObject({
      burst: 7,
      concurrency: 3,
      attempts: 2,
    });
  });

  test.each([
    [[...RATE], "--expect rate-limited: requires --burst N"],
    [
      ["--url", "http://a/", "--expect", "success", "--burst", "10"],
      "--burst: only meaningful with --expect rate-limited",
    ],
    [
      ["--url", "http://a/", "--expect", "failure", "--burst", "10"],
      "--burst: only meaningful with --expect rate-limited",
    ],
    [[...RATE, "--concurrency", "5"], "--expect rate-limited: requires --burst N"],
    [[...REQUIRED, "--concurrency", "5"], "--concurrency: only meaningful with --burst"],
    [
      [...RATE, "--burst", "10", "--expect-error", "ECONNRESET"],
      "--expect-error: only meaningful with --expect failure",
    ],
    [
      [...RATE, "--burst", "10", "--expect-caller", CALLER],
      "--expect-caller: only meaningful with --expect success",
    ],
    [[...RATE, "--burst", "0"], '--burst="0": expected a number of requests from 1 to 100000'],
    [[...RATE, "--burst", "1e3"], '--burst="1e3": expected a number of requests from 1 to 100000'],
    [
      [...RATE, "--burst", "5", "--concurrency", "0"],
      '--concurrency="0": expected a number of requests in flight from 1 to 1000',
    ],
  ])("rejects %j", (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });

  test("the flags of the existing modes are unaffected", () => {
    expect(parseProbeArgs(REQUIRED)).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ burst: undefined, concurrency: undefined });
  });
});

describe("parseProbeArgs bounds", () => {
  // Each option's message names its range; a value outside it gets the same explanation.
  test.each([
    { option: "timeout", context: [] },
    { option: "attempts", context: [] },
    { option: "interval", context: [] },
    { option: "deadline", context: ["--timeout", "1"] },
    { option: "burst", context: ["--expect", "rate-limited"] },
    { option: "concurrency", context: ["--expect", "rate-limited", "--burst", "5"] },
  ])("--$option accepts exactly the range its message names", ({ option, context }) => {
    const argv = (value: string) => [...REQUIRED, ...context, `--${option}=${value}`];
    const explanation = (value: string) => usageError(argv(value)).message.split(": expected ")[1];
    const named = explanation("x");
    const range = /from (\d+) to (\d+)$/.exec(named) ?? /^a positive .*, at most (\d+)$/.exec(named);
    if (range === null) throw new Error(`no range in ${JSON.stringify(named)}`);
    const [min, max] = range.length === 3 ? [Number(range[1]), Number(range[2])] : [1, Number(range[1])];

    expect(() => parseProbeArgs(argv(String(min)))).not.toThrow();
    expect(() => parseProbeArgs(argv(String(max)))).not.toThrow();
    expect(explanation(String(min - 1))).toBe(named);
    expect(explanation(String(max + 1))).toBe(named);
  });
});

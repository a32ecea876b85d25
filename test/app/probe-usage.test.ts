import { HELP, parseProbeArgs, USAGE } from "../../app/src/probe-args";
import { closedPort } from "../support/loopback-ports";
import { probe } from "../support/probe-cli";
import { killAll } from "../support/process";

afterEach(killAll);

/** The message of the UsageError parseProbeArgs throws for `argv`. */
function usageMessage(argv: string[]): string {
  try {
    parseProbeArgs(argv);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`parseProbeArgs(${JSON.stringify(argv)}) did not throw`);
}

describe("probe CLI help", () => {
  test.each(["--help", "-h"])("%s prints the usage on stdout and exits 0", async (flag) => {
    const result = await probe(flag);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(`${HELP}\n`);
    expect(HELP.startsWith(`${USAGE}\n`)).toBe(true);
    // Every option of the usage line is described on an option line of the help.
    const described = HELP.split("\n").filter((l) => /^ {2}-/.test(l));
    for (const [option] of USAGE.matchAll(/--[a-z-]+/g)) {
      expect(described.filter((l) => new RegExp(`${option}\\b`).test(l))).not.toEqual([]);
    }
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
      message: /^probe: --expect="maybe": expected success, failure, reached or rate-limited$/m,
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
      message: /^probe: --attempts="0": expected a number of consecutive attempts from 1 to \d+$/m,
    },
    {
      name: "--interval 1s",
      args: () => ["--url", url, "--expect", "failure", "--interval", "1s"],
      message: /^probe: --interval="1s": expected a number of milliseconds from 0 to \d+$/m,
    },
    {
      name: "--deadline shorter than --timeout",
      args: () => ["--url", url, "--expect", "failure", "--timeout", "2000", "--deadline", "1000"],
      message:
        /^probe: --deadline="1000": expected at least the --timeout \(2000 ms\), so that one attempt fits$/m,
    },
    {
      name: "--expect rate-limited without --burst",
      args: () => ["--url", url, "--expect", "rate-limited"],
      message: /^probe: --expect rate-limited: requires --burst N$/m,
    },
    {
      name: "--burst with --expect success",
      args: () => ["--url", url, "--expect", "success", "--burst", "10"],
      message: /^probe: --burst: only meaningful with --expect rate-limited$/m,
    },
    {
      name: "--burst 100001",
      args: () => ["--url", url, "--expect", "rate-limited", "--burst", "100001"],
      message: /^probe: --burst="100001": expected a number of requests from 1 to 100000$/m,
    },
    {
      name: "--concurrency 1001",
      args: () => ["--url", url, "--expect", "rate-limited", "--burst", "10", "--concurrency", "1001"],
      message: /^probe: --concurrency="1001": expected a number of requests in flight from 1 to 1000$/m,
    },
    {
      name: "--expect-error with an empty alternative",
      args: () => ["--url", url, "--expect", "failure", "--expect-error", "HTTP 502|"],
      message: /^probe: --expect-error="HTTP 502\|": expected outcomes separated by \|, none empty, /m,
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
    // The parser's own message, then the usage line.
    expect(result.stderr).toBe(`probe: ${usageMessage(args())}\n${USAGE}\n`);
  });
});

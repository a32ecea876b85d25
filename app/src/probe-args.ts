import { parseArgs, type ParseArgsConfig } from "node:util";

/** The probe's command line: usage, help and the parsed, validated arguments (see probe.ts). */

const MAX_BURST = 100_000;
const MAX_CONCURRENCY = 1000;
const DEFAULT_CONCURRENCY = 10;

export const USAGE =
  "usage: probe --url URL --expect success|failure|reached|rate-limited [--expect-error CODE[|CODE...]] " +
  "[--expect-caller SPIFFE_ID] [--burst N [--concurrency C]] [--timeout MS] [--attempts N] [--interval MS] " +
  "[--deadline MS] [--cacert FILE] [--cert FILE --key FILE]";

export const HELP = `${USAGE}

  --url URL              http:// or https:// URL to GET
  --expect success       a 2xx answer
  --expect failure       anything else: an HTTP error status or a network error
  --expect reached       any HTTP answer, whatever its status: the host was reached (e.g. through an egress gateway)
  --expect rate-limited  with --burst: some answers HTTP 429, every other one 2xx
  --expect-error CODES   with failure: that network error (ECONNRESET, ECONNREFUSED, ETIMEDOUT) or "HTTP 403";
                         alternatives separated by |, e.g. "HTTP 502|ECONNRESET"
  --expect-caller ID     with success: the caller SPIFFE ID the peer reports in its JSON answer
  --burst N              an attempt is a burst of N requests (1 to ${MAX_BURST}) over keep-alive connections
  --concurrency C        with --burst: at most C requests in flight (1 to ${MAX_CONCURRENCY}, default ${DEFAULT_CONCURRENCY})
  --timeout MS           one request: connect, headers and body (default 5000)
  --attempts N           consecutive matching attempts required; a mismatch starts over (default 1)
  --interval MS          pause between attempts (default 1000)
  --deadline MS          overall budget, at least --timeout; an attempt starts only if one request's whole
                         timeout still fits, and a burst still running at it fails
                         (default attempts*timeout + (attempts-1)*interval: one timeout for one attempt)
  --cacert FILE          CA bundle for https URLs
  --cert FILE --key FILE client certificate for https URLs
  -h, --help             this text

Prints one line: outcome=... expected=... caller=... url=... attempts=N seen=... PASS|FAIL (reason);
with --burst: expected=rate-limited url=... burst=N concurrency=C bursts=K last=... PASS|FAIL (reason).
Exit 0 on PASS, 1 on FAIL, 2 on a usage error.`;

export interface ProbeArgs {
  url: URL;
  expect: "success" | "failure" | "reached" | "rate-limited";
  /** With failure: the outcomes that match, separated by "|" (see errorAlternatives). */
  expectError?: string;
  expectCaller?: string;
  timeoutMs: number;
  /** Consecutive attempts that must match the expectation. */
  attempts: number;
  /** Pause after each attempt before the next. */
  intervalMs: number;
  /** From the first attempt's start; no attempt starts unless its whole timeout fits before it. */
  deadlineMs: number;
  cacert?: string;
  cert?: string;
  key?: string;
  /** With rate-limited: requests per burst, and at most this many in flight. */
  burst?: number;
  concurrency?: number;
}

export class UsageError extends Error {}

const OPTIONS = {
  url: { type: "string" },
  expect: { type: "string" },
  "expect-error": { type: "string" },
  "expect-caller": { type: "string" },
  timeout: { type: "string", default: "5000" },
  attempts: { type: "string", default: "1" },
  interval: { type: "string", default: "1000" },
  deadline: { type: "string" },
  cacert: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  burst: { type: "string" },
  concurrency: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

/** Longer waits than a day are a mistake, and Node's timers cannot hold more than ~24.8 days. */
const MAX_MS = 24 * 60 * 60 * 1000;
const MAX_ATTEMPTS = 10_000;

/** The outcomes an --expect-error value names: "HTTP 502|ECONNRESET" is HTTP 502 or ECONNRESET. */
export function errorAlternatives(expectError: string): string[] {
  return expectError.split("|").map((alternative) => alternative.trim());
}

function wholeNumber(option: string, raw: string, min: number, max: number, expected: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${option}=${JSON.stringify(raw)}: expected ${expected}`);
  }
  return Number(raw);
}

/** Whether the command line asks for the help text (-h or --help, wherever it appears). */
export function wantsHelp(argv: string[]): boolean {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    options: { ...OPTIONS, help: { type: "boolean", short: "h" } },
  });
  return values.help === true;
}

export function parseProbeArgs(argv: string[]): ProbeArgs {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: OPTIONS }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let url: URL;
  try {
    url = new URL(values.url ?? "");
  } catch {
    throw new UsageError(
      `--url=${JSON.stringify(values.url ?? "")}: expected an absolute http:// or https:// URL`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url=${JSON.stringify(values.url)}: expected an http:// or https:// URL`);
  }
  const expect = values.expect;
  if (expect !== "success" && expect !== "failure" && expect !== "reached" && expect !== "rate-limited") {
    throw new UsageError(
      `--expect=${JSON.stringify(expect ?? "")}: expected success, failure, reached or rate-limited`,
    );
  }
  const rawError = values["expect-error"];
  if (rawError !== undefined && expect !== "failure") {
    throw new UsageError("--expect-error: only meaningful with --expect failure");
  }
  const alternatives = rawError === undefined ? undefined : errorAlternatives(rawError);
  if (alternatives?.includes("")) {
    throw new UsageError(
      `--expect-error=${JSON.stringify(rawError)}: expected outcomes separated by |, none empty, ` +
        'e.g. "HTTP 502|ECONNRESET"',
    );
  }
  if (values.burst !== undefined && expect !== "rate-limited") {
    throw new UsageError("--burst: only meaningful with --expect rate-limited");
  }
  if (values.burst === undefined && expect === "rate-limited") {
    throw new UsageError("--expect rate-limited: requires --burst N");
  }
  if (values.concurrency !== undefined && values.burst === undefined) {
    throw new UsageError("--concurrency: only meaningful with --burst");
  }
  const burst =
    values.burst === undefined
      ? undefined
      : wholeNumber("burst", values.burst, 1, MAX_BURST, `a number of requests from 1 to ${MAX_BURST}`);
  const concurrency =
    burst === undefined
      ? undefined
      : wholeNumber(
          "concurrency",
          values.concurrency ?? String(DEFAULT_CONCURRENCY),
          1,
          MAX_CONCURRENCY,
          `a number of requests in flight from 1 to ${MAX_CONCURRENCY}`,
        );
  if (values["expect-caller"] !== undefined && values.expect !== "success") {
    throw new UsageError("--expect-caller: only meaningful with --expect success");
  }
  const timeoutMs = wholeNumber(
    "timeout",
    values.timeout,
    1,
    MAX_MS,
    `a positive number of milliseconds, at most ${MAX_MS}`,
  );
  const attempts = wholeNumber(
    "attempts",
    values.attempts,
    1,
    MAX_ATTEMPTS,
    `a number of consecutive attempts from 1 to ${MAX_ATTEMPTS}`,
  );
  const intervalMs = wholeNumber(
    "interval",
    values.interval,
    0,
    MAX_MS,
    `a number of milliseconds from 0 to ${MAX_MS}`,
  );
  const deadlineMs =
    values.deadline === undefined
      ? attempts * timeoutMs + (attempts - 1) * intervalMs
      : wholeNumber(
          "deadline",
          values.deadline,
          1,
          MAX_MS,
          `a positive number of milliseconds, at most ${MAX_MS}`,
        );
  if (deadlineMs < timeoutMs) {
    throw new UsageError(
      `--deadline=${JSON.stringify(values.deadline)}: expected at least the --timeout (${timeoutMs} ms), ` +
        "so that one attempt fits",
    );
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key: expected both or neither");
  }
  return {
    url,
    expect,
    expectError: alternatives?.join("|"),
    expectCaller: values["expect-caller"],
    timeoutMs,
    attempts,
    intervalMs,
    deadlineMs,
    cacert: values.cacert,
    cert: values.cert,
    key: values.key,
    burst,
    concurrency,
  };
}

import { readFileSync } from "node:fs";
import https from "node:https";
import { parseArgs } from "node:util";
import { describeOutcome, isSuccess, request, type Outcome } from "./request";

/**
 * One request, one verdict. Used by the mTLS verification Jobs (from the app image) and by hand:
 *
 *   node dist/probe.js --url URL --expect success|failure [--expect-error CODE] [--expect-caller SPIFFE_ID]
 *                      [--timeout MS] [--cacert FILE] [--cert FILE --key FILE]
 *
 * success means a 2xx answer; failure is anything else (an HTTP error status, or a network error
 * such as ECONNRESET, ECONNREFUSED or ETIMEDOUT). Exit 0 when the outcome matches the expectation,
 * 1 when it does not, 2 on a usage error.
 */

export const USAGE =
  "usage: probe --url URL --expect success|failure [--expect-error CODE] [--expect-caller SPIFFE_ID] " +
  "[--timeout MS] [--cacert FILE] [--cert FILE --key FILE]";

export interface ProbeArgs {
  url: URL;
  expect: "success" | "failure";
  expectError?: string;
  expectCaller?: string;
  timeoutMs: number;
  cacert?: string;
  cert?: string;
  key?: string;
}

export class UsageError extends Error {}

export function parseProbeArgs(argv: string[]): ProbeArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: "string" },
        expect: { type: "string" },
        "expect-error": { type: "string" },
        "expect-caller": { type: "string" },
        timeout: { type: "string", default: "5000" },
        cacert: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
      },
    }));
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
  if (values.expect !== "success" && values.expect !== "failure") {
    throw new UsageError(`--expect=${JSON.stringify(values.expect ?? "")}: expected success or failure`);
  }
  if (values["expect-error"] !== undefined && values.expect !== "failure") {
    throw new UsageError("--expect-error: only meaningful with --expect failure");
  }
  if (values["expect-caller"] !== undefined && values.expect !== "success") {
    throw new UsageError("--expect-caller: only meaningful with --expect success");
  }
  if (!/^\d+$/.test(values.timeout) || Number(values.timeout) < 1) {
    throw new UsageError(
      `--timeout=${JSON.stringify(values.timeout)}: expected a positive number of milliseconds`,
    );
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError("--cert and --key: expected both or neither");
  }
  return {
    url,
    expect: values.expect,
    expectError: values["expect-error"],
    expectCaller: values["expect-caller"],
    timeoutMs: Number(values.timeout),
    cacert: values.cacert,
    cert: values.cert,
    key: values.key,
  };
}

export interface Verdict {
  outcome: string;
  caller: string | null;
  pass: boolean;
  reason: string;
}

function callerOf(outcome: Outcome): string | null {
  if (outcome.kind !== "response") return null;
  try {
    const body = JSON.parse(outcome.body) as { caller?: unknown };
    return typeof body.caller === "string" ? body.caller : null;
  } catch {
    return null;
  }
}

export function judge(args: ProbeArgs, outcome: Outcome): Verdict {
  const described = describeOutcome(outcome);
  const caller = callerOf(outcome);
  const succeeded = isSuccess(outcome);
  const base = { outcome: described, caller };
  if (args.expect === "success") {
    if (!succeeded) return { ...base, pass: false, reason: `expected success, got ${described}` };
    if (args.expectCaller !== undefined && caller !== args.expectCaller) {
      return {
        ...base,
        pass: false,
        reason: `expected caller ${args.expectCaller}, got ${caller ?? "none"}`,
      };
    }
    return { ...base, pass: true, reason: "success as expected" };
  }
  if (succeeded) return { ...base, pass: false, reason: `expected failure, got ${described}` };
  if (args.expectError !== undefined && described !== args.expectError) {
    return { ...base, pass: false, reason: `expected ${args.expectError}, got ${described}` };
  }
  return { ...base, pass: true, reason: "failure as expected" };
}

export async function runProbe(args: ProbeArgs): Promise<Verdict> {
  const read = (file?: string) => (file === undefined ? undefined : readFileSync(file));
  const agent =
    args.url.protocol === "https:"
      ? new https.Agent({
          ca: read(args.cacert),
          cert: read(args.cert),
          key: read(args.key),
          keepAlive: false,
        })
      : undefined;
  const outcome = await request({
    url: args.url,
    timeoutMs: args.timeoutMs,
    agent,
    headers: { accept: "application/json", "user-agent": "pingpong-probe" },
  });
  agent?.destroy();
  return judge(args, outcome);
}

async function main(argv: string[]): Promise<number> {
  let args: ProbeArgs;
  try {
    args = parseProbeArgs(argv);
  } catch (err) {
    process.stderr.write(`probe: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let verdict: Verdict;
  try {
    verdict = await runProbe(args);
  } catch (err) {
    process.stderr.write(`probe: ${(err as Error).message}\n`);
    return 2;
  }
  const line = [
    `outcome=${verdict.outcome}`,
    `expected=${args.expect}${args.expectError ? `:${args.expectError}` : ""}`,
    `caller=${verdict.caller ?? "-"}`,
    `url=${args.url.href}`,
    verdict.pass ? "PASS" : "FAIL",
    `(${verdict.reason})`,
  ].join(" ");
  process.stdout.write(`${line}\n`);
  return verdict.pass ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`probe: ${String(err)}\n`);
      process.exit(2);
    },
  );
}

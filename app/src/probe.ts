import { readFileSync } from "node:fs";
import https from "node:https";
import { formatBurstVerdict, runBurstProbe } from "./burst";
import { holdExpectation, systemClock, type Clock, type ProbeResult, type Verdict } from "./hold";
import {
  HELP,
  USAGE,
  UsageError,
  errorAlternatives,
  parseProbeArgs,
  wantsHelp,
  type ProbeArgs,
} from "./probe-args";
import { describeOutcome, isSuccess, request, type Outcome } from "./request";

export { HELP, USAGE, UsageError, parseProbeArgs, wantsHelp, type ProbeArgs };
export { holdExpectation, systemClock, type Clock, type ProbeResult, type Verdict };

/**
 * Requests until an expectation has held over consecutive attempts, then one verdict. Used by the
 * verification Jobs (from the app image) and by hand:
 *
 *   node dist/probe.js --url URL --expect success|failure [--expect-error CODE[|CODE...]] [--expect-caller SPIFFE_ID]
 *                      [--timeout MS] [--attempts N] [--interval MS] [--deadline MS]
 *                      [--cacert FILE] [--cert FILE --key FILE]
 *   node dist/probe.js --url URL --expect rate-limited --burst N [--concurrency C] [...the same options]
 *
 * success means a 2xx answer; failure is anything else (an HTTP error status, or a network error
 * such as ECONNRESET, ECONNREFUSED or ETIMEDOUT), optionally one of the --expect-error outcomes.
 * rate-limited judges bursts of requests (burst.ts). Exit 0 when --attempts consecutive attempts
 * matched the expectation before the deadline, 1 when they did not, 2 on a usage error.
 */

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
  if (args.expect === "reached") {
    return outcome.kind === "response"
      ? { ...base, pass: true, reason: "an HTTP answer as expected" }
      : { ...base, pass: false, reason: `expected an HTTP answer, got ${described}` };
  }
  if (succeeded) return { ...base, pass: false, reason: `expected failure, got ${described}` };
  if (args.expectError !== undefined && !errorAlternatives(args.expectError).includes(described)) {
    return { ...base, pass: false, reason: `expected ${args.expectError}, got ${described}` };
  }
  return { ...base, pass: true, reason: "failure as expected" };
}

export async function runProbe(args: ProbeArgs, clock: Clock = systemClock): Promise<ProbeResult> {
  const read = (file?: string) => (file === undefined ? undefined : readFileSync(file));
  // keepAlive off: every attempt is a new connection, which is what the mesh's policy applies to.
  const agent =
    args.url.protocol === "https:"
      ? new https.Agent({
          ca: read(args.cacert),
          cert: read(args.cert),
          key: read(args.key),
          keepAlive: false,
        })
      : undefined;
  const attempt = async () =>
    judge(
      args,
      await request({
        url: args.url,
        timeoutMs: args.timeoutMs,
        agent,
        headers: { accept: "application/json", "user-agent": "pingpong-probe" },
      }),
    );
  try {
    return await holdExpectation(args, attempt, clock);
  } finally {
    agent?.destroy();
  }
}

/** The one line the probe prints. */
export function formatVerdict(args: ProbeArgs, result: ProbeResult): string {
  return [
    `outcome=${result.last.outcome}`,
    `expected=${args.expect}${args.expectError ? `:${args.expectError}` : ""}`,
    `caller=${result.last.caller ?? "-"}`,
    `url=${args.url.href}`,
    `attempts=${result.attempts}`,
    `seen=${result.seen.map((s) => `${s.outcome} x${s.count}`).join(", ")}`,
    result.pass ? "PASS" : "FAIL",
    `(${result.reason})`,
  ].join(" ");
}

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  let args: ProbeArgs;
  try {
    args = parseProbeArgs(argv);
  } catch (err) {
    process.stderr.write(`probe: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let result: ProbeResult;
  try {
    result = args.burst === undefined ? await runProbe(args) : await runBurstProbe(args);
  } catch (err) {
    process.stderr.write(`probe: ${(err as Error).message}\n`);
    return 2;
  }
  const line = args.burst === undefined ? formatVerdict(args, result) : formatBurstVerdict(args, result);
  process.stdout.write(`${line}\n`);
  return result.pass ? 0 : 1;
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

import { readFileSync } from "node:fs";
import https from "node:https";
import { HELP, USAGE, UsageError, parseProbeArgs, wantsHelp, type ProbeArgs } from "./probe-args";
import { describeOutcome, isSuccess, request, type Outcome } from "./request";

export { HELP, USAGE, UsageError, parseProbeArgs, wantsHelp, type ProbeArgs };

/**
 * Requests until an expectation has held over consecutive attempts, then one verdict. Used by the
 * mTLS verification Jobs (from the app image) and by hand:
 *
 *   node dist/probe.js --url URL --expect success|failure [--expect-error CODE] [--expect-caller SPIFFE_ID]
 *                      [--timeout MS] [--attempts N] [--interval MS] [--deadline MS]
 *                      [--cacert FILE] [--cert FILE --key FILE]
 *
 * success means a 2xx answer; failure is anything else (an HTTP error status, or a network error
 * such as ECONNRESET, ECONNREFUSED or ETIMEDOUT). Exit 0 when --attempts consecutive outcomes
 * matched the expectation before the deadline, 1 when they did not, 2 on a usage error.
 */

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

/** Time as the attempt loop sees it; tests pass a fake one. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ProbeResult {
  pass: boolean;
  reason: string;
  /** The verdict on the last attempt. */
  last: Verdict;
  /** Attempts made. */
  attempts: number;
  /** How often each outcome was seen, in order of first appearance. */
  seen: Array<{ outcome: string; count: number }>;
  longestStreak: number;
}

/** What a streak consists of, for the verdict's reason: "ECONNRESET", "successes", ... */
function expectation(args: ProbeArgs, plural: boolean): string {
  if (args.expect === "failure") return args.expectError ?? (plural ? "failures" : "a failure");
  const what = plural ? "successes" : "a success";
  return args.expectCaller === undefined ? what : `${what} with caller ${args.expectCaller}`;
}

function conclude(
  args: ProbeArgs,
  pass: boolean,
  last: Verdict,
  attempts: number,
  seen: Map<string, number>,
  longestStreak: number,
): ProbeResult {
  let reason: string;
  if (args.attempts === 1 && (pass || attempts === 1)) {
    reason = last.reason;
  } else if (pass) {
    reason = `${args.attempts} consecutive ${expectation(args, true)} as expected`;
  } else {
    const wanted =
      args.attempts === 1
        ? `expected ${expectation(args, false)} within ${args.deadlineMs} ms`
        : `expected ${args.attempts} consecutive ${expectation(args, true)} within ${args.deadlineMs} ms, ` +
          `longest streak ${longestStreak}`;
    reason = last.pass ? wanted : `${wanted}; last: ${last.reason}`;
  }
  return {
    pass,
    reason,
    last,
    attempts,
    seen: [...seen].map(([outcome, count]) => ({ outcome, count })),
    longestStreak,
  };
}

/**
 * Runs `attempt` until `args.attempts` consecutive verdicts pass or the deadline leaves no room for
 * another whole attempt. A failed verdict resets the streak. The first attempt always runs.
 */
export async function holdExpectation(
  args: ProbeArgs,
  attempt: () => Promise<Verdict>,
  clock: Clock = systemClock,
): Promise<ProbeResult> {
  const end = clock.now() + args.deadlineMs;
  const seen = new Map<string, number>();
  let attempts = 0;
  let streak = 0;
  let longestStreak = 0;
  for (;;) {
    const verdict = await attempt();
    attempts++;
    seen.set(verdict.outcome, (seen.get(verdict.outcome) ?? 0) + 1);
    streak = verdict.pass ? streak + 1 : 0;
    longestStreak = Math.max(longestStreak, streak);
    if (streak >= args.attempts) return conclude(args, true, verdict, attempts, seen, longestStreak);
    // An attempt cut short by the deadline could not tell a timeout from a slow answer: start
    // one only when its whole timeout fits.
    if (clock.now() + args.intervalMs + args.timeoutMs > end) {
      return conclude(args, false, verdict, attempts, seen, longestStreak);
    }
    await clock.sleep(args.intervalMs);
  }
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
    result = await runProbe(args);
  } catch (err) {
    process.stderr.write(`probe: ${(err as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`${formatVerdict(args, result)}\n`);
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

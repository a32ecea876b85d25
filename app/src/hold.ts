import type { ProbeArgs } from "./probe-args";

/**
 * The probe's attempt loop: attempts (one request, or one burst) until an expectation has held
 * over consecutive attempts or the deadline leaves no room for another, then one result.
 */

export interface Verdict {
  outcome: string;
  caller: string | null;
  pass: boolean;
  reason: string;
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
  if (args.expect === "rate-limited") return plural ? "rate-limited bursts" : "a rate-limited burst";
  if (args.expect === "reached") return plural ? "HTTP answers" : "an HTTP answer";
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

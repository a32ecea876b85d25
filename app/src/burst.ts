import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { holdExpectation, systemClock, type Clock, type ProbeResult, type Verdict } from "./hold";
import type { ProbeArgs } from "./probe-args";
import { request, type Outcome } from "./request";

/**
 * Burst mode of the probe (--expect rate-limited --burst N [--concurrency C]): an attempt is a
 * burst of N GET requests with at most C in flight. It passes when at least one answer is HTTP 429
 * and every other one is a 2xx: the rate limit took effect, and nothing else went wrong.
 */

/** Outcomes of one burst: the HTTP status ("200", "429") or the network error code, and how often. */
export type BurstCounts = Map<string, number>;

/** Set on the requests still in flight when the deadline cuts a burst short. */
const CUT = "ABORTED";

function label(outcome: Outcome): string {
  return outcome.kind === "response" ? String(outcome.status) : outcome.code;
}

const is2xx = (label: string) => /^2\d\d$/.test(label);

/** Statuses in numeric order, then error codes in alphabetical order: `200 x80, 429 x40`. */
export function describeCounts(counts: BurstCounts): string {
  const status = (l: string) => (/^\d+$/.test(l) ? Number(l) : Infinity);
  return [...counts]
    .sort(([a], [b]) => status(a) - status(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([l, n]) => `${l} x${n}`)
    .join(", ");
}

/** The verdict on one burst of `requests` requests; `sent` of them were started before any cut. */
export function judgeBurst(counts: BurstCounts, requests: number, sent: number): Verdict {
  const base = { outcome: describeCounts(counts), caller: null };
  const cut = counts.get(CUT) ?? 0;
  if (cut > 0 || sent < requests) {
    const answered = sent - cut;
    return { ...base, pass: false, reason: `deadline reached after ${answered} of ${requests} requests` };
  }
  const others = new Map([...counts].filter(([l]) => l !== "429" && !is2xx(l)));
  if (others.size > 0) {
    return {
      ...base,
      pass: false,
      reason: `expected only 2xx and 429, got ${describeCounts(others)}`,
    };
  }
  if (!counts.has("429")) return { ...base, pass: false, reason: `no 429 among ${requests} answers` };
  return { ...base, pass: true, reason: "rate-limited as expected" };
}

/**
 * Sends one burst: `concurrency` workers take the next request number until all are sent or
 * `signal` aborts (then the requests in flight end as ABORTED and no more start).
 */
export async function sendBurst(
  args: ProbeArgs,
  agent: http.Agent,
  signal: AbortSignal,
): Promise<{ counts: BurstCounts; sent: number }> {
  const requests = args.burst ?? 1;
  const counts: BurstCounts = new Map();
  let sent = 0;
  const worker = async () => {
    while (sent < requests && !signal.aborted) {
      sent++;
      const outcome = await request({
        url: args.url,
        timeoutMs: args.timeoutMs,
        agent,
        signal,
        headers: { "user-agent": "pingpong-probe" },
      });
      const l = label(outcome);
      counts.set(l, (counts.get(l) ?? 0) + 1);
    }
  };
  const workers = Math.min(args.concurrency ?? 1, requests);
  // Every request in flight listens on the signal: that many listeners are expected, not a leak.
  setMaxListeners(Math.max(workers, 10), signal);
  await Promise.all(Array.from({ length: workers }, worker));
  return { counts, sent };
}

/**
 * Bursts until `args.attempts` consecutive ones pass or the deadline comes (see holdExpectation).
 * One keep-alive agent serves every burst, so the bursts measure the server, not connection set-up.
 */
export async function runBurstProbe(args: ProbeArgs, clock: Clock = systemClock): Promise<ProbeResult> {
  const read = (file?: string) => (file === undefined ? undefined : readFileSync(file));
  const options = { keepAlive: true, maxSockets: args.concurrency };
  const agent =
    args.url.protocol === "https:"
      ? new https.Agent({ ...options, ca: read(args.cacert), cert: read(args.cert), key: read(args.key) })
      : new http.Agent(options);
  const end = clock.now() + args.deadlineMs;
  const attempt = async () => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), Math.max(0, end - clock.now()));
    try {
      const { counts, sent } = await sendBurst(args, agent, deadline.signal);
      return judgeBurst(counts, args.burst ?? 1, sent);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    return await holdExpectation(args, attempt, clock);
  } finally {
    agent.destroy();
  }
}

/** The one line the probe prints in burst mode; `last` is the last burst's outcomes. */
export function formatBurstVerdict(args: ProbeArgs, result: ProbeResult): string {
  return [
    `expected=${args.expect}`,
    `url=${args.url.href}`,
    `burst=${args.burst}`,
    `concurrency=${args.concurrency}`,
    `bursts=${result.attempts}`,
    `last=${result.last.outcome}`,
    result.pass ? "PASS" : "FAIL",
    `(${result.reason})`,
  ].join(" ");
}

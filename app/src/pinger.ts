import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import type { TargetTls } from "./config";
import type { Logger } from "./logger";
import type { PingpongMetrics } from "./metrics";
import { describeOutcome, isSuccess, request, type Outcome } from "./request";
import { startTrace, systemRandom, type StartedTrace, type TraceRandom } from "./trace";

export interface PingerOptions {
  target: URL;
  tickMs: number;
  timeoutMs: number;
  /** Percentage of pings whose trace is sampled (see startTrace). */
  samplingPercent: number;
  /** Where trace ids and sampling decisions come from; tests pass their own. */
  random?: TraceRandom;
  tls?: TargetTls;
  metrics: PingpongMetrics;
  logger: Logger;
  /** Sent as User-Agent, so the peer's logs name the caller even without a mesh. */
  userAgent: string;
}

/** While a target keeps failing, repeat the warning every this many failures. */
const REPEAT_WARNING_EVERY = 60;

/**
 * Pings the target every tick, never more than one request in flight: when a ping takes longer
 * than a tick, the next one starts as soon as it ends. Failures are counted and logged, never thrown.
 */
export class Pinger {
  private readonly agent: http.Agent;
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private failureStreak = 0;

  constructor(private readonly opts: PingerOptions) {
    const agentOptions = { keepAlive: true, maxSockets: 1 };
    this.agent =
      opts.target.protocol === "https:"
        ? new https.Agent({ ...agentOptions, cert: opts.tls?.cert, key: opts.tls?.key, ca: opts.tls?.ca })
        : new http.Agent(agentOptions);
  }

  start(): void {
    if (this.loop) return;
    this.opts.logger.info(
      { event: "pinger_started", target: this.opts.target.href, tickMs: this.opts.tickMs },
      "pinging target",
    );
    this.loop = this.run();
  }

  /** Stops pinging: aborts the ping in flight and resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.agent.destroy();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const started = Date.now();
      // Each ping is a trace of its own; traceparent only, so no sidecar has two contexts to pick from.
      const trace = startTrace(this.opts.samplingPercent, this.opts.random ?? systemRandom);
      const outcome = await request({
        url: this.opts.target,
        timeoutMs: this.opts.timeoutMs,
        agent: this.agent,
        signal,
        headers: {
          accept: "application/json",
          "user-agent": this.opts.userAgent,
          traceparent: trace.traceparent,
        },
      });
      if (signal.aborted) break;
      this.record(outcome, trace);
      const wait = this.opts.tickMs - (Date.now() - started);
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          break;
        }
      }
    }
  }

  private record(outcome: Outcome, trace: StartedTrace): void {
    const result = isSuccess(outcome) ? "success" : "failure";
    const { metrics, logger, target } = this.opts;
    metrics.pings.inc({ result });
    metrics.pingDuration.observe({ result }, outcome.durationMs / 1000);
    const fields = {
      event: "ping",
      target: target.href,
      result,
      outcome: describeOutcome(outcome),
      durationMs: outcome.durationMs,
      trace_id: trace.traceId,
      span_id: trace.spanId,
      trace_sampled: trace.sampled,
    };
    if (result === "success") {
      if (this.failureStreak > 0)
        logger.info({ ...fields, failedPings: this.failureStreak }, "target reachable again");
      else logger.debug(fields, "ping");
      this.failureStreak = 0;
      return;
    }
    this.failureStreak++;
    const detail = outcome.kind === "error" ? outcome.message : undefined;
    if (this.failureStreak === 1 || this.failureStreak % REPEAT_WARNING_EVERY === 0) {
      logger.warn({ ...fields, detail, failedPings: this.failureStreak }, "ping failed");
    } else {
      logger.debug({ ...fields, detail, failedPings: this.failureStreak }, "ping failed");
    }
  }
}

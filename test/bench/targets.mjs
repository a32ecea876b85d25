// Targets of the ping benchmark. Every target but start to ready compares the app with the bare
// node:http server measured in the same run under the same load.
import { MB, MiB, fixed } from "./report.mjs";

export const TARGETS = {
  throughputRatio: 0.9,
  p99Ratio: 1.2,
  rssRatio: 1.15,
  startMs: 200,
  cpuPerRequestRatio: 1.05,
};

/** Ratios app/bare and the verdict on every target, from the start and load measurements. */
export function evaluate(start, l) {
  const ratios = {
    throughput: l.app.best.requestsPerSec / l.bare.best.requestsPerSec,
    p50: l.app.best.p50Ms / l.bare.best.p50Ms,
    p99: l.app.best.p99Ms / l.bare.best.p99Ms,
    rss: l.app.rss.maxBytes / l.bare.rss.maxBytes,
    cpuPerRequest: l.cpu.median,
  };
  const rss = (bytes) => `${fixed(bytes / MB, 1)} MB (${fixed(bytes / MiB, 1)} MiB)`;
  const targets = [
    {
      name: "throughput",
      value: ratios.throughput,
      limit: TARGETS.throughputRatio,
      pass: ratios.throughput >= TARGETS.throughputRatio,
      detail:
        `app/bare ${fixed(ratios.throughput, 3)} (need >= ${TARGETS.throughputRatio}): ` +
        `${fixed(l.app.best.requestsPerSec, 0)} vs ${fixed(l.bare.best.requestsPerSec, 0)} req/s`,
    },
    {
      name: "p99",
      value: ratios.p99,
      limit: TARGETS.p99Ratio,
      pass: ratios.p99 <= TARGETS.p99Ratio,
      detail:
        `app/bare ${fixed(ratios.p99, 3)} (need <= ${TARGETS.p99Ratio}): ` +
        `${fixed(l.app.best.p99Ms, 2)} vs ${fixed(l.bare.best.p99Ms, 2)} ms`,
    },
    {
      name: "RSS",
      value: ratios.rss,
      limit: TARGETS.rssRatio,
      pass: ratios.rss <= TARGETS.rssRatio,
      detail:
        `app/bare ${fixed(ratios.rss, 3)} (need <= ${TARGETS.rssRatio}): ` +
        `app max ${rss(l.app.rss.maxBytes)}, bare max ${rss(l.bare.rss.maxBytes)} under load`,
    },
    {
      name: "CPU/req",
      value: ratios.cpuPerRequest,
      limit: TARGETS.cpuPerRequestRatio,
      pass: ratios.cpuPerRequest <= TARGETS.cpuPerRequestRatio,
      detail:
        `app/bare ${fixed(ratios.cpuPerRequest, 3)} (need <= ${TARGETS.cpuPerRequestRatio}): median of ` +
        `${l.cpu.judgedPairs} round pairs, spread ${fixed(l.cpu.min, 3)}-${fixed(l.cpu.max, 3)}`,
    },
    {
      name: "start",
      value: start.app.maxMs,
      limit: TARGETS.startMs,
      pass: start.app.maxMs <= TARGETS.startMs,
      detail:
        `slowest of ${start.app.readyMs.length} starts ${fixed(start.app.maxMs, 0)} ms, ` +
        `median ${fixed(start.app.medianMs, 0)} ms (need <= ${TARGETS.startMs} ms)`,
    },
  ];
  return { ratios, targets };
}

// Settings of the ping benchmark, read from the environment, and the constants its modules share.
//
// Settings (environment):
//   BENCH_DURATION_S    seconds per measured round (default 3)
//   BENCH_WARMUP_S      seconds of warm-up per target before the rounds (default 3, 0 to skip)
//   BENCH_ROUNDS        measured rounds per target (default 8)
//   BENCH_CONNECTIONS   autocannon connections (default 50)
//   BENCH_PIPELINING    autocannon pipelining factor (default 1)
//   BENCH_STARTS        start-to-ready measurements, each a new process (default 5)
//   BENCH_RETRIES       repeats of a round disturbed by other processes' CPU use (default 2)
//   BENCH_XFCC          1: every request carries the X-Forwarded-Client-Cert an Istio sidecar adds (default 0)
//   BENCH_RSS_SOURCE    auto | proc | fallback (default auto: /proc when readable)
//   BENCH_CPU_SOURCE    auto | proc | fallback (default auto: /proc when readable)
//   BENCH_APP_MAIN      the app's entry point (default app/dist/main.js)
//   BENCH_APP_NODE_ARGS extra node flags for the loaded app process, e.g. "--cpu-prof"
//   BENCH_JSON_OUT      also write the results as JSON to this path
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const HOST = "127.0.0.1";
export const POLL_MS = 5;
export const READY_TIMEOUT_MS = 15_000;
export const RSS_SAMPLE_MS = 100;
export const STOP_TIMEOUT_MS = 5_000;
export const OTHER_CPU_WARN_PCT = 20;

/** What an Istio sidecar in pingpong-b puts in front of a request from pingpong-a. */
export const XFCC =
  "By=spiffe://cluster.local/ns/pingpong-b/sa/pingpong;" +
  "Hash=9ba61d0425c8d2cd6b5d2d7f3c2e8a6ff2a2e0a1cb1c0e25c4ba2b1c8d3e4f5a;" +
  'Subject="";URI=spiffe://cluster.local/ns/pingpong-a/sa/pingpong';

/** Thrown for a benchmark that could not run; the message is printed without a stack. */
export class BenchError extends Error {}

function intSetting(name, def, min) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return def;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new BenchError(`${name}=${JSON.stringify(raw)}: expected an integer >= ${min}`);
  }
  return value;
}

function sourceSetting(name) {
  const source = (process.env[name] ?? "auto").trim() || "auto";
  if (!["auto", "proc", "fallback"].includes(source)) {
    throw new BenchError(`${name}=${JSON.stringify(source)}: expected auto, proc or fallback`);
  }
  return source;
}

export function settingsFromEnv() {
  return {
    durationS: intSetting("BENCH_DURATION_S", 3, 1),
    warmupS: intSetting("BENCH_WARMUP_S", 3, 0),
    rounds: intSetting("BENCH_ROUNDS", 8, 1),
    connections: intSetting("BENCH_CONNECTIONS", 50, 1),
    pipelining: intSetting("BENCH_PIPELINING", 1, 1),
    starts: intSetting("BENCH_STARTS", 5, 1),
    retries: intSetting("BENCH_RETRIES", 2, 0),
    xfcc: intSetting("BENCH_XFCC", 0, 0) > 0,
    rssSource: sourceSetting("BENCH_RSS_SOURCE"),
    cpuSource: sourceSetting("BENCH_CPU_SOURCE"),
    appMain: path.resolve(ROOT, process.env.BENCH_APP_MAIN?.trim() || "app/dist/main.js"),
    appNodeArgs: (process.env.BENCH_APP_NODE_ARGS ?? "").split(/\s+/).filter(Boolean),
    jsonOut: process.env.BENCH_JSON_OUT?.trim() || undefined,
  };
}

export function progress(message) {
  process.stderr.write(`ping-bench: ${message}\n`);
}

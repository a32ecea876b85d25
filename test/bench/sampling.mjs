// Resident memory and CPU time of the app and the bare server: read from /proc where it can be
// read, else from the app's metrics endpoint and the bare server's IPC channel (BENCH_RSS_SOURCE,
// BENCH_CPU_SOURCE); RSS is sampled every RSS_SAMPLE_MS during the load, the maximum kept.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { get } from "./processes.mjs";
import { BenchError, HOST, RSS_SAMPLE_MS } from "./settings.mjs";

function procRssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on every common Linux build). */
const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * User + system CPU time in ms of a whole process from /proc/<pid>/stat: every thread counts,
 * V8's parallel GC helpers included (/proc/<pid>/schedstat would count the main thread only).
 */
function procCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Field 2 (the command) may contain spaces; fields 14 and 15, utime and stime, follow it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** Machine-wide CPU time in ms since boot, busy and stolen, from /proc/stat. */
export function machineCpuMs() {
  try {
    const fields = /^cpu\s+(.*)$/m.exec(readFileSync("/proc/stat", "utf8"))[1].split(/\s+/).map(Number);
    const [user, nice, system, , , irq, softirq, steal = 0] = fields;
    const ms = 1000 / CLOCK_TICKS_PER_S;
    return { busy: (user + nice + system + irq + softirq) * ms, steal: steal * ms };
  } catch {
    return undefined;
  }
}

async function appMetricsRssBytes(app) {
  const { status, body } = await get(`http://${HOST}:${app.metricsPort}/metrics`);
  const match = /^process_resident_memory_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(body);
  if (status !== 200 || !match) throw new Error("no process_resident_memory_bytes on /metrics");
  return Number(match[1]);
}

async function appMetricsCpuMs(app) {
  const { status, body } = await get(`http://${HOST}:${app.metricsPort}/metrics`);
  const match = /^process_cpu_seconds_total(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(body);
  if (status !== 200 || !match) throw new Error("no process_cpu_seconds_total on /metrics");
  return Number(match[1]) * 1000;
}

/** Asks the bare server over its IPC channel; resolves with the number in its answer's `field`. */
function bareIpc(bare, field) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      bare.child.off("message", onMessage);
      reject(new Error(`bare server: no ${field} answer over IPC`));
    }, 1_000);
    const onMessage = (msg) => {
      if (typeof msg?.[field] !== "number") return;
      clearTimeout(timer);
      bare.child.off("message", onMessage);
      resolve(msg[field]);
    };
    bare.child.on("message", onMessage);
    bare.child.send(field);
  });
}

const bareIpcRssBytes = (bare) => bareIpc(bare, "rss");
const bareIpcCpuMs = (bare) => bareIpc(bare, "cpuMs");

function readable(read) {
  try {
    read();
    return true;
  } catch {
    return false;
  }
}

/**
 * How the CPU time of a target is read: /proc/<pid>/stat, else the app's process_cpu_seconds_total
 * or the bare server's process.cpuUsage() over IPC (both user + system of the whole process).
 */
export function cpuReader(target, kind, settings) {
  const procReadable = readable(() => procCpuMs(target.pid));
  if (settings.cpuSource === "proc" && !procReadable) {
    throw new BenchError(`BENCH_CPU_SOURCE=proc but /proc/${target.pid}/stat is not readable`);
  }
  if (settings.cpuSource !== "fallback" && procReadable) {
    return { source: "/proc/<pid>/stat utime+stime", read: async () => procCpuMs(target.pid) };
  }
  return kind === "app"
    ? { source: "process_cpu_seconds_total from /metrics", read: () => appMetricsCpuMs(target) }
    : { source: "process.cpuUsage() over IPC", read: () => bareIpcCpuMs(target) };
}

/** How RSS is read for a target: /proc/<pid>/status, else the app's metric or the bare server's IPC answer. */
export function rssReader(target, kind, settings) {
  const procReadable = readable(() => procRssBytes(target.pid));
  if (settings.rssSource === "proc" && !procReadable) {
    throw new BenchError(`BENCH_RSS_SOURCE=proc but /proc/${target.pid}/status is not readable`);
  }
  if (settings.rssSource !== "fallback" && procReadable) {
    return { source: "/proc/<pid>/status VmRSS", read: async () => procRssBytes(target.pid) };
  }
  return kind === "app"
    ? { source: "process_resident_memory_bytes from /metrics", read: () => appMetricsRssBytes(target) }
    : { source: "process.memoryUsage.rss() over IPC", read: () => bareIpcRssBytes(target) };
}

/** Samples RSS every RSS_SAMPLE_MS and keeps the maximum. */
export function rssSampler(reader) {
  let max = 0;
  let samples = 0;
  let failures = 0;
  let lastError;
  let inFlight = false;
  const sample = () => {
    if (inFlight) return;
    inFlight = true;
    reader.read().then(
      (bytes) => {
        inFlight = false;
        samples++;
        if (bytes > max) max = bytes;
      },
      (err) => {
        inFlight = false;
        failures++;
        lastError = err;
      },
    );
  };
  sample();
  const timer = setInterval(sample, RSS_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return { maxBytes: max, samples, failures, lastError: lastError?.message };
    },
  };
}

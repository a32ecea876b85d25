// Benchmark of GET /ping: the compiled app (app/dist/main.js) against a bare node:http server
// (bare-server.mjs), both as child processes on 127.0.0.1, loaded with autocannon in alternating
// rounds. Also measures the app's start-to-ready time. Reports figures and PASS/MISS per target;
// exits 0 whenever the benchmark ran, non-zero when it could not (see docs/benchmarks.md).
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
import autocannon from "autocannon";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HOST = "127.0.0.1";
const POLL_MS = 5;
const READY_TIMEOUT_MS = 15_000;
const RSS_SAMPLE_MS = 100;
const STOP_TIMEOUT_MS = 5_000;
const OTHER_CPU_WARN_PCT = 20;

/** What an Istio sidecar in pingpong-b puts in front of a request from pingpong-a. */
const XFCC =
  "By=spiffe://cluster.local/ns/pingpong-b/sa/pingpong;" +
  "Hash=9ba61d0425c8d2cd6b5d2d7f3c2e8a6ff2a2e0a1cb1c0e25c4ba2b1c8d3e4f5a;" +
  'Subject="";URI=spiffe://cluster.local/ns/pingpong-a/sa/pingpong';

const TARGETS = { throughputRatio: 0.9, p99Ratio: 1.2, rssMB: 80, startMs: 200, cpuPerRequestRatio: 1.05 };

/** Thrown for a benchmark that could not run; the message is printed without a stack. */
class BenchError extends Error {}

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

function settingsFromEnv() {
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

function progress(message) {
  process.stderr.write(`ping-bench: ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Child processes: every child is tracked and killed when this process ends, however it ends.

const children = new Set();

const isRunning = (child) => child.exitCode === null && child.signalCode === null;

function killAll(signal) {
  for (const child of children) {
    if (isRunning(child)) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }
}

/** Kills every child, waits (briefly) until they have exited, then exits with `code`. */
function killAllAndExit(code) {
  const exits = [...children]
    .filter(isRunning)
    .map((child) => new Promise((resolve) => child.once("exit", resolve)));
  killAll("SIGKILL");
  const timer = setTimeout(() => process.exit(code), 2_000);
  void Promise.all(exits).then(() => {
    clearTimeout(timer);
    process.exit(code);
  });
}

process.on("exit", () => killAll("SIGKILL"));
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
]) {
  process.on(signal, () => {
    progress(`${signal}: stopping`);
    killAllAndExit(code);
  });
}

/** Calls `onLine` for every line of `stream`, and keeps the last lines for error messages. */
function readLines(stream, onLine) {
  const tail = [];
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    pending += chunk;
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      onLine(line);
      nl = pending.indexOf("\n");
    }
  });
  return tail;
}

/** One GET on a fresh connection; resolves with the status and body, rejects on network errors. */
function get(url, timeoutMs = 2_000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/**
 * Spawns `node <args>` and waits until it is ready: the process prints a JSON line with
 * event "listening" and a port, then GET `readyPath` is polled every POLL_MS until it answers 200.
 * Times are measured from just before the spawn.
 */
function startProcess({ name, args, env, ipc = false, readyPath }) {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe", ...(ipc ? ["ipc"] : [])],
  });
  children.add(child);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  void exited.then(() => children.delete(child));

  let ports;
  let listeningMs;
  const stdoutTail = readLines(child.stdout, (line) => {
    if (ports || !line.startsWith("{")) return;
    try {
      const entry = JSON.parse(line);
      if (entry.event === "listening" && Number.isInteger(entry.port)) {
        listeningMs = performance.now() - started;
        ports = { port: entry.port, metricsPort: entry.metricsPort };
      }
    } catch {
      // not a JSON log line
    }
  });
  const stderrTail = readLines(child.stderr, () => {});
  const output = () =>
    [...stderrTail, ...stdoutTail]
      .filter(Boolean)
      .map((l) => `    ${l}`)
      .join("\n");

  const handle = {
    name,
    child,
    pid: child.pid,
    exited,
    output,
    get running() {
      return isRunning(child);
    },
    /** SIGTERM, then SIGKILL if the process has not exited after STOP_TIMEOUT_MS. */
    async stop() {
      if (!handle.running) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };

  return new Promise((resolve, reject) => {
    let inFlight = false;
    let settled = false;
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      clearTimeout(deadline);
      if (err) {
        void handle.stop();
        reject(err);
      } else {
        resolve(handle);
      }
    };
    child.once("error", (err) => finish(new BenchError(`${name}: cannot start: ${err.message}`)));
    void exited.then(({ code, signal }) =>
      finish(
        new BenchError(
          `${name} exited (code ${code}, signal ${signal}) before it was ready; its last output:\n${output()}`,
        ),
      ),
    );
    const deadline = setTimeout(
      () =>
        finish(
          new BenchError(`${name} not ready within ${READY_TIMEOUT_MS} ms; its last output:\n${output()}`),
        ),
      READY_TIMEOUT_MS,
    );
    const poll = setInterval(() => {
      if (!ports || inFlight || settled) return;
      inFlight = true;
      get(`http://${HOST}:${ports.port}${readyPath}`, 1_000).then(
        ({ status }) => {
          inFlight = false;
          if (status !== 200) return;
          Object.assign(handle, ports, { listeningMs, readyMs: performance.now() - started });
          finish();
        },
        () => (inFlight = false),
      );
    }, POLL_MS);
  });
}

function appEnv() {
  const env = { ...process.env, HOST, PORT: "0", METRICS_PORT: "0", LOG_LEVEL: "info" };
  // Plain HTTP, no pinging, immediate shutdown: whatever the caller's environment says.
  for (const name of [
    "TARGET",
    "TLS_CERT_FILE",
    "TLS_KEY_FILE",
    "TLS_CLIENT_CA_FILE",
    "TARGET_CERT_FILE",
    "TARGET_KEY_FILE",
    "TARGET_CA_FILE",
    "DRAIN_DELAY_MS",
    "SHUTDOWN_TIMEOUT_MS",
  ]) {
    delete env[name];
  }
  return env;
}

function startApp(settings, nodeArgs = []) {
  return startProcess({
    name: "app",
    args: [...nodeArgs, settings.appMain],
    env: appEnv(),
    readyPath: "/readyz",
  });
}

function startBare() {
  const env = { ...process.env };
  delete env.BARE_PORT;
  return startProcess({
    name: "bare",
    args: [path.join(ROOT, "test/bench/bare-server.mjs")],
    env,
    ipc: true,
    readyPath: "/",
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics and sampling.

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Latencies in ms at full resolution (autocannon's own histogram keeps whole milliseconds). */
class Latencies {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.count = 0;
  }

  add(ms) {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  /** Nearest-rank percentiles of everything recorded. */
  percentiles(...ps) {
    const sorted = this.values.subarray(0, this.count).sort();
    return ps.map((p) =>
      this.count === 0 ? NaN : sorted[Math.max(0, Math.ceil((p / 100) * this.count) - 1)],
    );
  }
}

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
function machineCpuMs() {
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
function cpuReader(target, kind, settings) {
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
function rssReader(target, kind, settings) {
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
function rssSampler(reader) {
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

// ---------------------------------------------------------------------------------------------
// Load.

/** One autocannon run of GET /ping against `target`; fails unless every answer was a 200. */
async function load(target, durationS, settings) {
  const url = `http://${HOST}:${target.port}/ping`;
  const latencies = new Latencies();
  const serverCpu0 = await target.cpu.read();
  const clientCpu0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  const wall0 = performance.now();

  const instance = autocannon({
    url,
    method: "GET",
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: durationS,
    headers: settings.xfcc ? { "x-forwarded-client-cert": XFCC } : {},
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    if (statusCode === 200) latencies.add(responseTime);
  });
  const result = await instance;

  const wallMs = performance.now() - wall0;
  const clientCpu = process.cpuUsage(clientCpu0);
  const machine1 = machineCpuMs();
  if (!target.running) {
    const { exitCode, signalCode } = target.child;
    throw new BenchError(
      `${target.name} exited (code ${exitCode}, signal ${signalCode}) during the load; ` +
        `its last output:\n${target.output()}`,
    );
  }
  const serverCpu1 = await target.cpu.read();
  const bad = result.errors + result.timeouts + result.non2xx;
  if (result["2xx"] === 0 || bad > 0) {
    throw new BenchError(
      `${target.name}: ${result["2xx"]} answers 200, ${result.non2xx} other statuses, ` +
        `${result.errors} errors, ${result.timeouts} timeouts (${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  const [p50, p99] = latencies.percentiles(50, 99);
  const serverCpuMs = serverCpu1 - serverCpu0;
  const serverCpuPct = (100 * serverCpuMs) / wallMs;
  const clientCpuPct = (100 * (clientCpu.user + clientCpu.system)) / 1000 / wallMs;
  // CPU used by everything but the loaded server and this process (other processes, interrupts);
  // a busy neighbour shows here, and steal is CPU the hypervisor gave to other machines.
  const otherCpuPct =
    machine0 && machine1
      ? Math.max(0, (100 * (machine1.busy - machine0.busy)) / wallMs - serverCpuPct - clientCpuPct)
      : undefined;
  const stealPct = machine0 && machine1 ? (100 * (machine1.steal - machine0.steal)) / wallMs : undefined;
  return {
    requestsPerSec: result["2xx"] / result.duration,
    requests: result["2xx"],
    durationS: result.duration,
    p50Ms: p50,
    p99Ms: p99,
    maxMs: latencies.percentiles(100)[0],
    autocannon: {
      requestsAverage: result.requests.average,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
    },
    serverCpuMs,
    serverCpuPct,
    serverCpuUsPerRequest: (1000 * serverCpuMs) / result["2xx"],
    clientCpuPct,
    otherCpuPct,
    stealPct,
  };
}

/**
 * CPU per answered request, app/bare, round by round, from the kept try of each round (the
 * undisturbed one when a retry helped). Rounds run bare 1, app 1, bare 2, app 2, ...; each app
 * round is compared with the mean of the bare rounds just before and just after it (the last one
 * with the bare round before it only), so that a slow drift of the machine cancels out. The
 * median over the rounds is judged; rounds with a disturbed side are left out of it while an
 * undisturbed one exists.
 */
function cpuPerRequest(rounds, count) {
  const kept = (name, round) => rounds[name].filter((r) => r.round === round).at(-1);
  const pairs = [];
  for (let round = 1; round <= count; round++) {
    const app = kept("app", round);
    const bares = [kept("bare", round), ...(round < count ? [kept("bare", round + 1)] : [])];
    const bareUs = bares.reduce((a, r) => a + r.serverCpuUsPerRequest, 0) / bares.length;
    pairs.push({
      round,
      appUs: app.serverCpuUsPerRequest,
      bareUs,
      ratio: app.serverCpuUsPerRequest / bareUs,
      disturbed: app.disturbed || bares.some((r) => r.disturbed),
    });
  }
  const quiet = pairs.filter((p) => !p.disturbed);
  const judged = quiet.length > 0 ? quiet : pairs;
  const sum = (list, key) => list.reduce((a, p) => a + p[key], 0);
  const ratios = judged.map((p) => p.ratio);
  return {
    pairs,
    judgedPairs: judged.length,
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    // Mean us/req of the judged rounds, app over bare (each round weighs the same).
    pooled: sum(judged, "appUs") / sum(judged, "bareUs"),
  };
}

// ---------------------------------------------------------------------------------------------
// Report.

const MB = 1e6;

function fixed(value, digits) {
  return value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))),
    )
    .map((cells) => cells.join("  ").trimEnd())
    .join("\n");
}

function report(results) {
  const { settings, machine, start, load: l, ratios, targets } = results;
  const lines = [];
  lines.push(
    `pingpong GET /ping benchmark: node ${machine.node}, ${machine.platform}, ` +
      `${machine.cpus} x ${machine.cpuModel}, autocannon ${machine.autocannon}`,
  );
  lines.push(
    `load: ${settings.connections} connections, pipelining ${settings.pipelining}, ` +
      `${settings.xfcc ? "an Istio X-Forwarded-Client-Cert header on every request, " : ""}` +
      `${settings.rounds} rounds x ${settings.durationS} s per target, alternating bare/app, ` +
      `${settings.warmupS} s warm-up per target; each target's row is its best undisturbed round ` +
      "(highest requests/s)",
  );
  lines.push("");
  const row = (name, t) => [
    name,
    fixed(t.best.requestsPerSec, 0),
    fixed(t.best.p50Ms, 2),
    fixed(t.best.p99Ms, 2),
    fixed(t.rss.maxBytes / MB, 1),
    `${fixed(t.best.serverCpuPct, 0)}%`,
    `${fixed(t.best.clientCpuPct, 0)}%`,
    fixed(t.best.serverCpuUsPerRequest, 1),
  ];
  lines.push(
    table([
      ["target", "req/s", "p50 ms", "p99 ms", "max RSS MB", "server CPU", "client CPU", "server us/req"],
      row("bare", l.bare),
      row("app", l.app),
      [
        "app/bare",
        fixed(ratios.throughput, 3),
        fixed(ratios.p50, 3),
        fixed(ratios.p99, 3),
        fixed(ratios.rss, 3),
        "",
        "",
        "(below)",
      ],
    ]),
  );
  lines.push("");
  lines.push(
    `server CPU per answered request, app/bare, round by round (user+sys of the whole server process: ` +
      `app ${l.cpu.source.app}, bare ${l.cpu.source.bare}; app round n against the mean of bare rounds n and n+1):`,
  );
  for (const p of l.cpu.pairs) {
    lines.push(
      `  round ${p.round}${p.disturbed ? "*" : ""}: app ${fixed(p.appUs, 2)} us / bare ${fixed(p.bareUs, 2)} us ` +
        `= ${fixed(p.ratio, 3)}`,
    );
  }
  lines.push(
    `  median ${fixed(l.cpu.median, 3)}, spread ${fixed(l.cpu.min, 3)}-${fixed(l.cpu.max, 3)} over ` +
      `${l.cpu.judgedPairs} ${l.cpu.judgedPairs === l.cpu.pairs.length ? "" : "undisturbed "}round pairs; ` +
      `mean us/req app/bare ${fixed(l.cpu.pooled, 3)}`,
  );
  lines.push("");
  lines.push("rounds (in the order run):");
  lines.push(
    table([
      [
        "  round",
        "try",
        "target",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server CPU",
        "client CPU",
        "other CPU",
        "steal",
        "server us/req",
      ],
      ...l.order.map(({ target, index }) => {
        const r = l[target].rounds[index];
        return [
          `  ${r.round}${r.disturbed ? "*" : ""}${r === l[target].best ? " best" : ""}`,
          r.attempt,
          target,
          fixed(r.requestsPerSec, 0),
          fixed(r.p50Ms, 2),
          fixed(r.p99Ms, 2),
          `${fixed(r.serverCpuPct, 0)}%`,
          `${fixed(r.clientCpuPct, 0)}%`,
          `${fixed(r.otherCpuPct, 0)}%`,
          `${fixed(r.stealPct, 0)}%`,
          fixed(r.serverCpuUsPerRequest, 1),
        ];
      }),
    ]),
  );
  lines.push(
    "  (CPU: 100% is one core; other: machine busy time minus server and client; " +
      "server us/req: server CPU time per answered request;",
    `  *: disturbed, other > ${OTHER_CPU_WARN_PCT}%, repeated up to ${settings.retries} times ` +
      "and not chosen as best while an undisturbed round exists)",
  );
  for (const name of ["bare", "app"]) {
    if (l[name].best.disturbed) {
      lines.push(
        `  warning: every ${name} round was disturbed (other processes used ` +
          `${fixed(l[name].best.otherCpuPct, 0)}% CPU in the best one): rerun on a quiet machine`,
      );
    }
  }
  lines.push("");
  const ms = (values) => values.map((v) => fixed(v, 0)).join(", ");
  lines.push(
    `start to ready, app (spawn to first 200 on /readyz, ${start.app.readyMs.length} processes): ` +
      `median ${fixed(start.app.medianMs, 0)} ms, max ${fixed(start.app.maxMs, 0)} ms [${ms(start.app.readyMs)}]`,
  );
  lines.push(
    `  of which to the "listening" log line: median ${fixed(median(start.app.listeningMs), 0)} ms ` +
      `[${ms(start.app.listeningMs)}]`,
  );
  lines.push(
    `start to ready, bare (spawn to first 200 on /, for reference): median ${fixed(start.bare.medianMs, 0)} ms, ` +
      `max ${fixed(start.bare.maxMs, 0)} ms`,
  );
  lines.push(
    `RSS (MB = 10^6 bytes): ${l.app.rss.source} (app), ${l.bare.rss.source} (bare), ` +
      `every ${RSS_SAMPLE_MS} ms during warm-up and rounds; before the load: ` +
      `app ${fixed(l.app.rss.idleBytes / MB, 1)} MB, bare ${fixed(l.bare.rss.idleBytes / MB, 1)} MB`,
  );
  lines.push("");
  lines.push("targets:");
  for (const t of targets) lines.push(`${t.pass ? "PASS" : "MISS"}  ${t.name.padEnd(11)} ${t.detail}`);
  return lines.join("\n");
}

function evaluate(start, l) {
  const ratios = {
    throughput: l.app.best.requestsPerSec / l.bare.best.requestsPerSec,
    p50: l.app.best.p50Ms / l.bare.best.p50Ms,
    p99: l.app.best.p99Ms / l.bare.best.p99Ms,
    rss: l.app.rss.maxBytes / l.bare.rss.maxBytes,
    cpuPerRequest: l.cpu.median,
  };
  const rssMB = l.app.rss.maxBytes / MB;
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
      value: rssMB,
      limit: TARGETS.rssMB,
      pass: rssMB <= TARGETS.rssMB,
      detail:
        `app max ${fixed(rssMB, 1)} MB (${fixed(l.app.rss.maxBytes / 2 ** 20, 1)} MiB) under load ` +
        `(need <= ${TARGETS.rssMB} MB)`,
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

// ---------------------------------------------------------------------------------------------

async function measureStarts(count, startOne) {
  const readyMs = [];
  const listeningMs = [];
  for (let i = 0; i < count; i++) {
    const handle = await startOne();
    readyMs.push(handle.readyMs);
    if (handle.listeningMs !== undefined) listeningMs.push(handle.listeningMs);
    await handle.stop();
  }
  return { readyMs, listeningMs, medianMs: median(readyMs), maxMs: Math.max(...readyMs) };
}

function autocannonVersion() {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "node_modules/autocannon/package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

async function main() {
  const settings = settingsFromEnv();
  if (!existsSync(settings.appMain)) {
    throw new BenchError(`${settings.appMain} does not exist (\`npm run build\` compiles app/dist/main.js)`);
  }
  const machine = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGB: Number((os.totalmem() / 1e9).toFixed(1)),
    autocannon: autocannonVersion(),
  };

  progress(`start to ready: ${settings.starts} app processes, then ${settings.starts} bare ones`);
  const start = {
    app: await measureStarts(settings.starts, () => startApp(settings)),
    bare: await measureStarts(settings.starts, () => startBare()),
  };

  progress("starting the app and the bare server for the load");
  const app = await startApp(settings, settings.appNodeArgs);
  const bare = await startBare();
  const running = { app, bare };
  app.cpu = cpuReader(app, "app", settings);
  bare.cpu = cpuReader(bare, "bare", settings);

  const samplers = {
    app: rssReader(app, "app", settings),
    bare: rssReader(bare, "bare", settings),
  };
  const idle = { app: await samplers.app.read(), bare: await samplers.bare.read() };
  const sampling = { app: rssSampler(samplers.app), bare: rssSampler(samplers.bare) };

  if (settings.warmupS > 0) {
    for (const name of ["bare", "app"]) {
      progress(`warm-up ${name}: ${settings.warmupS} s`);
      await load(running[name], settings.warmupS, settings);
    }
  }
  const rounds = { bare: [], app: [] };
  const order = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const name of ["bare", "app"]) {
      for (let attempt = 1; ; attempt++) {
        progress(`round ${round}/${settings.rounds} ${name}: ${settings.durationS} s`);
        const r = await load(running[name], settings.durationS, settings);
        r.round = round;
        r.attempt = attempt;
        r.disturbed = r.otherCpuPct !== undefined && r.otherCpuPct > OTHER_CPU_WARN_PCT;
        rounds[name].push(r);
        order.push({ target: name, index: rounds[name].length - 1 });
        progress(
          `  ${fixed(r.requestsPerSec, 0)} req/s, p50 ${fixed(r.p50Ms, 2)} ms, p99 ${fixed(r.p99Ms, 2)} ms`,
        );
        if (!r.disturbed || attempt > settings.retries) break;
        progress(`  other processes used ${fixed(r.otherCpuPct, 0)}% CPU: round disturbed, repeating it`);
      }
    }
  }

  const l = { order };
  for (const name of ["bare", "app"]) {
    const rss = { source: samplers[name].source, idleBytes: idle[name], ...sampling[name].stop() };
    if (rss.samples === 0) {
      throw new BenchError(`${name}: no RSS sample succeeded (${rss.lastError ?? "no sample taken"})`);
    }
    const quiet = rounds[name].filter((r) => !r.disturbed);
    const best = (quiet.length > 0 ? quiet : rounds[name]).reduce((a, b) =>
      b.requestsPerSec > a.requestsPerSec ? b : a,
    );
    l[name] = { best, rounds: rounds[name], rss };
  }

  l.cpu = cpuPerRequest(rounds, settings.rounds);
  l.cpu.source = { app: app.cpu.source, bare: bare.cpu.source };

  await Promise.all([app.stop(), bare.stop()]);

  const { ratios, targets } = evaluate(start, l);
  const results = {
    date: new Date().toISOString(),
    machine,
    settings: {
      ...settings,
      appMain: path.relative(ROOT, settings.appMain),
      roundChoice: "best (highest requests/s) of the undisturbed rounds",
    },
    start,
    load: l,
    ratios,
    targets,
  };
  process.stdout.write(`${report(results)}\n`);

  if (settings.jsonOut) {
    const out = path.resolve(settings.jsonOut);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`results written to ${out}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(
      `ping-bench: could not run: ${err instanceof BenchError ? err.message : err.stack}\n`,
    );
    killAllAndExit(1);
  },
);

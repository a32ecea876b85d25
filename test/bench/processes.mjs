// Child processes of the benchmark: the app and the bare server, started and polled until ready.
// Every child is tracked and killed when this process ends, however it ends.
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { BenchError, HOST, POLL_MS, READY_TIMEOUT_MS, ROOT, STOP_TIMEOUT_MS, progress } from "./settings.mjs";
import { median } from "./stats.mjs";

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
export function killAllAndExit(code) {
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

/** Kills every child when this process exits or is stopped by a signal. */
export function installExitHandlers() {
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
export function get(url, timeoutMs = 2_000) {
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

export function startApp(settings, nodeArgs = []) {
  return startProcess({
    name: "app",
    args: [...nodeArgs, settings.appMain],
    env: appEnv(),
    readyPath: "/readyz",
  });
}

export function startBare() {
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

/**
 * Start to ready of `count` processes made by `startOne`, one after the other, each stopped before
 * the next is started.
 */
export async function measureStarts(count, startOne) {
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

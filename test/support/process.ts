import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:net";
import path from "node:path";

/** The repository root; app/dist is built there by the jest globalSetup. */
export const ROOT = path.resolve(__dirname, "../..");
export const MAIN_JS = path.join(ROOT, "app/dist/main.js");
export const PROBE_JS = path.join(ROOT, "app/dist/probe.js");

/** Loopback only, OS-chosen ports: what every test run of the app starts from. */
export const APP_BASE_ENV: Readonly<Record<string, string>> = {
  HOST: "127.0.0.1",
  PORT: "0",
  METRICS_PORT: "0",
};

export type LogLine = Record<string, unknown>;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the first signal sent with kill() to the exit; from the spawn when none was sent. */
  elapsedMs: number;
}

export interface RunningApp {
  proc: ChildProcess;
  port: number;
  metricsPort: number;
  /** The JSON log lines written on stdout so far. */
  logs(): LogLine[];
  stderr(): string;
  exited: Promise<Exit>;
  /** Sends a signal (SIGTERM by default); returns false when the process had already exited. */
  kill(signal?: NodeJS.Signals): boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

/** Only PATH from the developer's environment, plus what the test gives. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env };
}

function track(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  live.add(proc);
  return new Promise((resolve, reject) => {
    proc.once("error", (err) => {
      live.delete(proc);
      reject(err);
    });
    proc.once("close", (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });
}

function parseLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
        out.push(parsed as LogLine);
    } catch {
      // not a log line
    }
  }
  return out;
}

/**
 * Starts `node app/dist/main.js` on loopback with OS-chosen ports and resolves once it has logged
 * its "listening" line. Rejects (and kills the process) when it exits or stays silent first.
 */
export async function startApp(
  env: Record<string, string> = {},
  readyTimeoutMs = 10_000,
): Promise<RunningApp> {
  const proc = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: cleanEnv({ ...APP_BASE_ENV, ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const spawnedAt = Date.now();
  let signalledAt: number | undefined;
  let stdout = "";
  let stderr = "";
  proc.stdout?.setEncoding("utf8");
  proc.stderr?.setEncoding("utf8");
  proc.stderr?.on("data", (chunk: string) => (stderr += chunk));

  const closed = track(proc);
  const exited = closed.then(({ code, signal }) => ({
    code,
    signal,
    elapsedMs: Date.now() - (signalledAt ?? spawnedAt),
  }));
  // The caller may never await `exited`; a spawn error is reported through the listening promise.
  exited.catch(() => undefined);

  const logs = () => parseLines(stdout);
  const kill = (signal: NodeJS.Signals = "SIGTERM") => {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    signalledAt ??= Date.now();
    return proc.kill(signal);
  };

  const listening = new Promise<LogLine>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `no "listening" log line within ${readyTimeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, readyTimeoutMs);
    const onData = (chunk: string) => {
      stdout += chunk;
      const line = logs().find((l) => l.event === "listening");
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    proc.stdout?.on("data", onData);
    closed.then(
      ({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `app exited (code ${String(code)}, signal ${String(signal)}) before listening\n` +
              `stdout:\n${stdout}\nstderr:\n${stderr}`,
          ),
        );
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });

  let line: LogLine;
  try {
    line = await listening;
  } catch (err) {
    proc.kill("SIGKILL");
    await closed.catch(() => undefined);
    throw err;
  }
  if (typeof line.port !== "number" || typeof line.metricsPort !== "number") {
    proc.kill("SIGKILL");
    await closed.catch(() => undefined);
    throw new Error(`"listening" log line without numeric ports: ${JSON.stringify(line)}`);
  }
  return {
    proc,
    port: line.port,
    metricsPort: line.metricsPort,
    logs,
    stderr: () => stderr,
    exited,
    kill,
  };
}

/**
 * Runs `node <file> ...args` to completion with a clean environment (PATH plus `env`). `file` is
 * relative to the repository root unless absolute. Kills the process and rejects after `timeoutMs`.
 */
export function runToExit(
  file: string,
  args: string[] = [],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<RunResult> {
  const proc = spawn(process.execPath, [path.resolve(ROOT, file), ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = captureOutput(proc);
  const closed = track(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(
        new Error(
          `${file} ${args.join(" ")} still running after ${timeoutMs} ms\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`,
        ),
      );
    }, timeoutMs);
    closed.then(
      ({ code, signal }) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: out.stdout, stderr: out.stderr });
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** SIGKILLs every child started here that is still running and waits for them; for afterEach. */
export async function killAll(): Promise<void> {
  const procs = [...live];
  await Promise.all(
    procs.map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (!live.has(proc)) return resolve();
          proc.once("close", () => resolve());
          proc.kill("SIGKILL");
        }),
    ),
  );
}

/** Collects a child's stdout and stderr as text, as they arrive. */
function captureOutput(proc: ChildProcess): { stdout: string; stderr: string } {
  const out = { stdout: "", stderr: "" };
  proc.stdout?.setEncoding("utf8");
  proc.stderr?.setEncoding("utf8");
  proc.stdout?.on("data", (chunk: string) => (out.stdout += chunk));
  proc.stderr?.on("data", (chunk: string) => (out.stderr += chunk));
  return out;
}

/** Parses JSON log lines from a captured stdout. */
export function parseLogLines(stdout: string): LogLine[] {
  return parseLines(stdout);
}

/** A loopback port that nothing listens on: the OS picks it, then it is closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

/** Listens on an OS-chosen loopback port and resolves with it. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") return reject(new Error("no TCP address"));
      resolve(address.port);
    });
  });
}

/** Process groups started by startGroup and not yet ended by killGroups. */
const groups = new Set<number>();

export interface ProcessGroup {
  /** The leader's pid, which is also the group's id. */
  pid: number;
  stdout(): string;
  stderr(): string;
  /** The JSON log lines written on stdout so far. */
  logs(): LogLine[];
  /** The leader's exit. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `command ...args` as the leader of a new process group with a clean environment (PATH
 * plus `env`), so that a test can see, and killGroups can end, every process it starts: a launcher
 * such as npm and whatever its shell spawns.
 */
export function startGroup(command: string, args: string[], env: Record<string, string> = {}): ProcessGroup {
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (proc.pid === undefined) throw new Error(`could not start ${command}`);
  groups.add(proc.pid);
  const out = captureOutput(proc);
  const exited = track(proc);
  exited.catch(() => undefined);
  return {
    pid: proc.pid,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    logs: () => parseLines(out.stdout),
    exited,
  };
}

/** Whether any process of the group `pgid` still exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** Resolves with the first truthy value of `poll`, checked every 20 ms; rejects after `timeoutMs`. */
export async function waitFor<T>(what: string, poll: () => T, timeoutMs: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = poll();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGKILLs every process of every group started by startGroup and waits until they are gone; for afterEach. */
export async function killGroups(): Promise<void> {
  for (const pgid of [...groups]) {
    if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
    await waitFor(`process group ${pgid} gone after SIGKILL`, () => !groupAlive(pgid), 5000);
    groups.delete(pgid);
  }
}

import { spawn, type ChildProcess } from "node:child_process";
import { within } from "./deadlines";
import { get } from "./loopback-get";
import {
  APP_BASE_ENV,
  captureOutput,
  cleanEnv,
  MAIN_JS,
  parseLogLines,
  ROOT,
  track,
  type LogLine,
} from "./process";

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
  /**
   * Resolves with the first log line that matches, already written or still to come, as soon as it
   * is read from stdout. Rejects, naming `what`, when the app exits without it or after `timeoutMs`.
   */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
}

/** Matches the log lines of one event; for waitForLog. */
export const isEvent =
  (name: string) =>
  (line: LogLine): boolean =>
    line.event === name;

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
  const out = captureOutput(proc);
  const logs = () => parseLogLines(out.stdout);

  // Each waitForLog call looks again whenever stdout grows, and once more when the app has ended.
  const waiters = new Set<() => void>();
  let ended: string | undefined;
  const recheck = () => {
    for (const waiter of [...waiters]) waiter();
  };
  proc.stdout?.on("data", recheck);

  const closed = track(proc);
  closed.then(
    ({ code, signal }) => {
      ended = `the app exited (code ${String(code)}, signal ${String(signal)})`;
      recheck();
    },
    (err: unknown) => {
      ended = `the app could not run: ${String(err)}`;
      recheck();
    },
  );
  const exited = closed.then(({ code, signal }) => ({
    code,
    signal,
    elapsedMs: Date.now() - (signalledAt ?? spawnedAt),
  }));
  // The caller may never await `exited`; a spawn error is reported through waitForLog.
  exited.catch(() => undefined);

  const kill = (signal: NodeJS.Signals = "SIGTERM") => {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    signalledAt ??= Date.now();
    return proc.kill(signal);
  };

  const waitForLog = (what: string, match: (line: LogLine) => boolean, timeoutMs: number) =>
    new Promise<LogLine>((resolve, reject) => {
      const output = () => `\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`;
      const settle = (done: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        done();
      };
      const check = () => {
        const line = logs().find(match);
        if (line) settle(() => resolve(line));
        else if (ended !== undefined) settle(() => reject(new Error(`${what}: ${ended} first${output()}`)));
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`${what}: not within ${timeoutMs} ms${output()}`))),
        timeoutMs,
      );
      waiters.add(check);
      check();
    });

  let line: LogLine;
  try {
    line = await waitForLog('the "listening" log line', isEvent("listening"), readyTimeoutMs);
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
    stderr: () => out.stderr,
    exited,
    kill,
    waitForLog,
  };
}

/** The app's exit; rejects when it is still running `ms` after the call. */
export async function exitWithin(app: RunningApp, ms: number): Promise<Exit> {
  const exit = await within(app.exited, ms, undefined);
  if (exit === undefined) {
    throw new Error(`still running ${ms} ms later; logs:\n${JSON.stringify(app.logs())}`);
  }
  return exit;
}

/** The log lines of one event. */
export function events(logs: LogLine[], name: string): LogLine[] {
  return logs.filter(isEvent(name));
}

/**
 * Starts the app and waits for one answered request: by then main() has run past its start-up
 * code, so the signal handlers are installed.
 */
export async function startServing(env: Record<string, string>): Promise<RunningApp> {
  const app = await startApp(env);
  const health = await get(app.port, "/healthz");
  if (health.status !== 200) throw new Error(`GET /healthz: ${JSON.stringify(health)}`);
  return app;
}

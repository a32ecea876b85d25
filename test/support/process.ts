import { spawn, type ChildProcess } from "node:child_process";
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

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Children started by the helpers of this directory and still running; killAll ends them. */
const live = new Set<ChildProcess>();

/** Only PATH from the developer's environment, plus what the test gives. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env };
}

/** Registers a child for killAll; resolves when it has exited and its output is closed. */
export function track(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
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

/** Collects a child's stdout and stderr as text, as they arrive. */
export function captureOutput(proc: ChildProcess): { stdout: string; stderr: string } {
  const out = { stdout: "", stderr: "" };
  proc.stdout?.setEncoding("utf8");
  proc.stderr?.setEncoding("utf8");
  proc.stdout?.on("data", (chunk: string) => (out.stdout += chunk));
  proc.stderr?.on("data", (chunk: string) => (out.stderr += chunk));
  return out;
}

/** Parses the JSON log lines of a captured stdout; other lines are skipped. */
export function parseLogLines(stdout: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of stdout.split("\n")) {
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

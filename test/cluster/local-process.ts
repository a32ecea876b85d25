import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";

/**
 * One program of the tier run as a local process: its output appended to a log file, stopped with
 * SIGTERM (SIGKILL after a grace period) or killed outright, and the log's end for error messages.
 */
export class LocalProcess {
  private proc?: ChildProcess;

  constructor(readonly log: string) {}

  start(binary: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): void {
    const out = createWriteStream(this.log, { flags: "a" });
    const proc = spawn(binary, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout?.pipe(out);
    proc.stderr?.pipe(out);
    this.proc = proc;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Throws, with the log's end, if the process has exited: for readiness waits. */
  assertAlive(name: string): void {
    if (this.proc && !this.running) {
      throw new Error(`${name} exited with ${this.proc.exitCode ?? this.proc.signalCode}\n${this.tail()}`);
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }

  tail(lines = 20): string {
    try {
      return readFileSync(this.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

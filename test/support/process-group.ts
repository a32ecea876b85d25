import { spawn } from "node:child_process";
import { waitFor } from "./deadlines";
import { captureOutput, cleanEnv, parseLogLines, ROOT, track, type LogLine } from "./process";

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
    logs: () => parseLogLines(out.stdout),
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

/** SIGKILLs every process of every group started by startGroup and waits until they are gone; for afterEach. */
export async function killGroups(): Promise<void> {
  for (const pgid of [...groups]) {
    if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
    await waitFor(`process group ${pgid} gone after SIGKILL`, () => !groupAlive(pgid), 5000);
    groups.delete(pgid);
  }
}

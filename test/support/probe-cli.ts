import { PROBE_JS, runToExit, type RunResult } from "./process";

/** Runs the built probe, app/dist/probe.js, with `args` to completion. */
export function probe(...args: string[]): Promise<RunResult> {
  return runToExit(PROBE_JS, args, {}, 8000);
}

/** The probe prints exactly one verdict line on stdout; returns it, or throws. */
export function verdictLine(result: RunResult): string {
  const lines = result.stdout.split("\n").filter((l) => l !== "");
  if (lines.length !== 1) throw new Error(`expected one verdict line, got ${JSON.stringify(result.stdout)}`);
  return lines[0];
}

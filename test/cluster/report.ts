import { appendFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../support/process";

/** Where the tier appends its timings and footprint, one JSON line per record, for docs/benchmarks.md. */
export const REPORT_FILE = process.env.PINGPONG_CLUSTER_REPORT ?? path.join(ROOT, ".cluster-report.jsonl");

export function record(kind: string, name: string, data: Record<string, unknown>): void {
  appendFileSync(REPORT_FILE, `${JSON.stringify({ kind, name, ...data })}\n`);
}

export function recordPhases(name: string, phases: Record<string, number>): void {
  record("phases", name, { phases });
  const line = Object.entries(phases)
    .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
    .join(", ");
  process.stdout.write(`tier: ${name}: ${line}\n`);
}

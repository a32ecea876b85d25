/**
 * What `npm run upstream:fetch` (fetch.ts) reports: the outcome of each file, one progress line per
 * group of files (an upstream repository at a ref, or a derived file) and the closing summary.
 */
import { isAbsolute, relative } from "node:path";
import { MANIFEST } from "./cache";
import { sourceLabel } from "./download";
import { inputsOf, type ReferenceFile } from "./sources";

export interface FetchSummary {
  files: number;
  /** Files written by this run (downloaded or derived). */
  written: number;
  /** Files already present with the pinned checksum. */
  present: number;
  /** Upstream files downloaded (a derived file needs several). */
  downloads: number;
  /** Files (dest) written without a pinned checksum to check them against. */
  unverified: string[];
  /** One line per failed file; empty when the run succeeded. */
  failures: string[];
}

export interface Outcome {
  file: ReferenceFile;
  status: "present" | "written" | "failed";
  downloads: number;
  unverified: boolean;
  sha256?: string;
}

export function group(file: ReferenceFile): string {
  return file.kind === "copy" ? sourceLabel(file.source) : file.dest;
}

export function describeGroup(members: Outcome[]): string {
  const count = (status: Outcome["status"]) => members.filter((o) => o.status === status).length;
  const derived = members[0].file.kind !== "copy";
  const parts = [
    derived ? `derived from ${[...new Set(inputsOf(members[0].file).map(sourceLabel))].join(", ")}` : "",
    count("written") ? (derived ? "written" : `${count("written")} downloaded`) : "",
    count("present") ? (derived ? "already present" : `${count("present")} already present`) : "",
    count("failed") ? (derived ? "failed" : `${count("failed")} failed`) : "",
    members.some((o) => o.unverified && o.status !== "failed") ? "unverified (no sha256 pinned)" : "",
  ].filter((part) => part !== "");
  return derived
    ? parts.join(", ")
    : `${members.length} file${members.length === 1 ? "" : "s"}, ${parts.join(", ")}`;
}

/** `dir` relative to the working directory when it lies inside it, else as it is. */
export function shownDir(dir: string): string {
  const where = relative(process.cwd(), dir);
  return where && !where.startsWith("..") && !isAbsolute(where) ? where : dir;
}

export function summaryLine(summary: FetchSummary, dir: string): string {
  const shown = shownDir(dir);
  const counts = `${summary.written} written (${summary.downloads} downloads), ${summary.present} already present`;
  const unverified = summary.unverified.length ? `, ${summary.unverified.length} unverified` : "";
  if (summary.failures.length > 0) {
    return (
      `upstream:fetch: ${summary.failures.length} of ${summary.files} files failed (${counts}${unverified}); ` +
      `no ${MANIFEST} written, so ${shown} is not used as reference data`
    );
  }
  return `upstream:fetch: ${summary.files} files in ${shown}: ${counts}${unverified}`;
}

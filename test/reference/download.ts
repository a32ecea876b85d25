/**
 * Downloads for `npm run upstream:fetch` (fetch.ts, fetch-charts.ts): the raw URL of a pinned GitHub
 * file, one HTTP GET with a timeout, and the check of what came back against its pinned sha256.
 */
import { createHash } from "node:crypto";
import type { GitHubFile } from "./sources";

export const DEFAULT_BASE_URL = "https://raw.githubusercontent.com";

/** The host could not be reached at all: the run stops at the first such error. */
export class UnreachableError extends Error {
  constructor(host: string, reason: string) {
    super(`could not reach ${host}: ${reason}`);
    this.name = "UnreachableError";
  }
}

/** A failure of one file: the run goes on with the others. */
export class FileError extends Error {}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `<base>/<owner>/<name>/<ref>/<path>`, each segment URL-encoded. */
export function rawUrl(file: GitHubFile, baseUrl: string = DEFAULT_BASE_URL): string {
  const segments = [...file.repository.split("/"), file.ref, ...file.path.split("/")];
  return `${baseUrl.replace(/\/+$/, "")}/${segments.map(encodeURIComponent).join("/")}`;
}

/** `owner/name@ref`, with a full commit shortened to 9 digits as the reference data names it. */
export function sourceLabel(file: GitHubFile): string {
  const ref = /^[0-9a-f]{40}$/.test(file.ref) ? file.ref.slice(0, 9) : file.ref;
  return `${file.repository}@${ref}`;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Duck-typed: fetch's errors come from another realm under jest, so `instanceof Error` fails. */
function errorLike(value: unknown): value is ErrorLike {
  return typeof value === "object" && value !== null;
}

/** The one line naming the cause of a network failure (fetch wraps it in `fetch failed`). */
function networkReason(err: unknown, timeoutMs: number): string {
  if (errorLike(err) && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return `no response within ${timeoutMs / 1000} s`;
  }
  let cause: unknown = err;
  while (errorLike(cause) && errorLike(cause.cause)) cause = cause.cause;
  // Several addresses tried (IPv4 and IPv6): an AggregateError with one error each.
  if (errorLike(cause) && Array.isArray(cause.errors) && errorLike(cause.errors[0])) cause = cause.errors[0];
  if (errorLike(cause) && typeof cause.message === "string" && cause.message !== "") return cause.message;
  if (errorLike(cause) && typeof cause.code === "string") return cause.code;
  return String(cause);
}

/**
 * One GET of `url`: the body, a FileError for an HTTP error status, an UnreachableError when no
 * answer came (connection refused, DNS, timeout, or `stop` aborted).
 */
export async function download(url: string, timeoutMs: number, stop: AbortSignal): Promise<Buffer> {
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    throw new UnreachableError(new URL(url).host, networkReason(err, timeoutMs));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new FileError(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  try {
    return Buffer.from(await response.arrayBuffer());
  } catch (err) {
    throw new UnreachableError(new URL(url).host, networkReason(err, timeoutMs));
  }
}

/** Downloads `input` from `baseUrl` and checks it against its pinned sha256, if any. */
export async function downloadVerified(
  input: GitHubFile,
  baseUrl: string,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<Buffer> {
  const url = rawUrl(input, baseUrl);
  const data = await download(url, timeoutMs, stop);
  const actual = sha256(data);
  if (input.sha256 !== undefined && actual !== input.sha256) {
    throw new FileError(`checksum mismatch for ${url}: expected sha256 ${input.sha256}, got ${actual}`);
  }
  return data;
}

/**
 * Loopback HTTP servers for the fetch tests: one serving the fixture upstream files as
 * raw.githubusercontent.com would, one that never answers, and a port nobody listens on. Every
 * wait is on a server event, never on a fixed delay.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { fetchReference, type FetchOptions, type FetchSummary } from "./fetch";
import { close, listen, useFileServer, type FileServer } from "./file-server";
import { SOURCES, UPSTREAM } from "./fixtures";

/** A loopback port that was just freed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

/** The decoded path of a request. */
const pathOf = (url: string | undefined) => decodeURIComponent(new URL(url ?? "/", "http://x").pathname);

/** A server that takes every request and never answers; records the request paths (decoded). */
export async function silentServer(): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req) => requests.push(pathOf(req.url)));
  const port = await listen(server);
  return { port, requests, close: () => close(server) };
}

export interface FetchRun {
  summary: FetchSummary;
  /** Progress lines. */
  log: string[];
  /** Error lines, one per failed file. */
  errors: string[];
}

/** The upstream server of a test file and the reference directory of the current test. */
export interface Upstream {
  /** `http://127.0.0.1:<port>`: where the server serves UPSTREAM. */
  readonly baseUrl: string;
  /** The current test's reference directory, empty at its start and removed after it. */
  readonly dir: string;
  /** Request paths (decoded) since the test started or since `clearRequests`. */
  readonly requests: readonly string[];
  clearRequests(): void;
  /** Serves `body` at `path` instead of the upstream file, until the test ends. */
  override(path: string, body: string): void;
  /** Runs the fetch of SOURCES (unless `options` say otherwise) into `dir`, quietly. */
  run(options?: Partial<FetchOptions>): Promise<FetchRun>;
  /** A file of `dir`, as text. */
  read(...segments: string[]): string;
  /** Every file under `dir`, relative, sorted. */
  listFiles(): string[];
}

/**
 * Starts the upstream server for the calling test file (hooks around all its tests) and gives each
 * test a fresh reference directory. Read the properties inside tests or hooks, not at load time.
 */
export function useUpstream(): Upstream {
  const overrides = new Map<string, string>();
  const upstream = useFileServer({
    prefix: "reference-fetch-",
    lookup: (path) => overrides.get(path) ?? UPSTREAM[path.slice(1)],
    contentType: "text/plain",
    reset: () => overrides.clear(),
    pathOf,
    typedNotFound: true,
  });
  const own: Omit<Upstream, keyof FileServer> = {
    override: (path, body) => {
      overrides.set(path, body);
    },
    run: async (options = {}) => {
      const log: string[] = [];
      const errors: string[] = [];
      const summary = await fetchReference({
        dir: upstream.dir,
        sources: SOURCES,
        baseUrl: upstream.baseUrl,
        log: (line) => log.push(line),
        error: (line) => errors.push(line),
        ...options,
      });
      return { summary, log, errors };
    },
    read: (...segments) => readFileSync(join(upstream.dir, ...segments), "utf8"),
  };
  return Object.assign(upstream, own);
}

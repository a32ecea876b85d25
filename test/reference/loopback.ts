/**
 * Loopback HTTP servers for the fetch tests: one serving the fixture upstream files as
 * raw.githubusercontent.com would, one that never answers, and a port nobody listens on. Every
 * wait is on a server event, never on a fixed delay.
 */
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchReference, type FetchOptions, type FetchSummary } from "./fetch";
import { SOURCES, UPSTREAM } from "./fixtures";

/** Listens on an ephemeral loopback port; resolves with the port once the server listens. */
export async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** Closes `server`, dropping open connections; resolves once it is closed. */
export async function close(server: Server): Promise<void> {
  const closed = once(server, "close");
  server.closeAllConnections();
  server.close();
  await closed;
}

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
  let server: Server | undefined;
  let baseUrl = "";
  let dir = "";
  const requests: string[] = [];
  const overrides = new Map<string, string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = pathOf(req.url);
      requests.push(path);
      const body = overrides.get(path) ?? UPSTREAM[path.slice(1)];
      if (body === undefined) {
        res.writeHead(404, { "content-type": "text/plain" }).end("404: Not Found");
      } else {
        res.writeHead(200, { "content-type": "text/plain" }).end(body);
      }
    });
    baseUrl = `http://127.0.0.1:${await listen(server)}`;
  });

  afterAll(async () => {
    if (server) await close(server);
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "reference-fetch-"));
    requests.length = 0;
    overrides.clear();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  return {
    get baseUrl() {
      return baseUrl;
    },
    get dir() {
      return dir;
    },
    get requests() {
      return requests;
    },
    clearRequests: () => {
      requests.length = 0;
    },
    override: (path, body) => {
      overrides.set(path, body);
    },
    run: async (options = {}) => {
      const log: string[] = [];
      const errors: string[] = [];
      const summary = await fetchReference({
        dir,
        sources: SOURCES,
        baseUrl,
        log: (line) => log.push(line),
        error: (line) => errors.push(line),
        ...options,
      });
      return { summary, log, errors };
    },
    read: (...segments) => readFileSync(join(dir, ...segments), "utf8"),
    listFiles: () =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
        .sort(),
  };
}

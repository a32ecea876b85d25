/**
 * A file server on a loopback port for the calling test file, and a fresh temporary directory for
 * each of its tests: the part the upstream server (loopback.ts) and the chart repository
 * (chart-repo.ts) share. Every wait is on a server event, never on a fixed delay.
 */
import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

export interface FileServerOptions {
  /** Name prefix of each test's directory (under the system's temporary directory). */
  prefix: string;
  /** The body served at a request path, or `undefined` for a 404 "404: Not Found". */
  lookup: (path: string) => string | Buffer | undefined;
  /** The content type of every 200 answer. */
  contentType: string;
  /** Clears the caller's per-test state; runs before each test, after the requests are cleared. */
  reset: () => void;
  /** The path of a request, as recorded and looked up (default: the URL's pathname, not decoded). */
  pathOf?: (url: string | undefined) => string;
  /** Whether a 404 carries `contentType` too (default: a 404 has no content type). */
  typedNotFound?: boolean;
}

/** The server of a test file and the directory of the current test. */
export interface FileServer {
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** The current test's directory, empty at its start and removed after it. */
  readonly dir: string;
  /** Request paths since the test started or since `clearRequests`. */
  readonly requests: readonly string[];
  clearRequests(): void;
  /** Every file under `dir`, relative, sorted. */
  listFiles(): string[];
}

/**
 * Starts the server for the calling test file (hooks around all its tests) and gives each test a
 * fresh directory. Read the properties inside tests or hooks, not at load time.
 */
export function useFileServer(options: FileServerOptions): FileServer {
  const { prefix, lookup, contentType, reset, typedNotFound = false } = options;
  const pathOf = options.pathOf ?? ((url) => new URL(url ?? "/", "http://x").pathname);
  let server: Server | undefined;
  let baseUrl = "";
  let dir = "";
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = pathOf(req.url);
      requests.push(path);
      const body = lookup(path);
      if (body === undefined) {
        res.writeHead(404, typedNotFound ? { "content-type": contentType } : {}).end("404: Not Found");
      } else {
        res.writeHead(200, { "content-type": contentType }).end(body);
      }
    });
    baseUrl = `http://127.0.0.1:${await listen(server)}`;
  });

  afterAll(async () => {
    if (server) await close(server);
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    requests.length = 0;
    reset();
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
    listFiles: () =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
        .sort(),
  };
}

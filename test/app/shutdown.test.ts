import http from "node:http";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createCa, issueServerCert, writePems } from "../support/certs";
import {
  killAll,
  startApp,
  type Exit,
  type LogLine,
  type RunningApp,
  listenOnLoopback,
} from "../support/process";

interface Outcome {
  status?: number;
  connection?: string;
  body?: string;
  error?: string;
  socket?: net.Socket;
}

function get(
  port: number,
  path: string,
  agent: http.Agent | false = false,
  timeoutMs = 3000,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      const socket = res.socket;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode, connection: res.headers.connection, body, socket }),
      );
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
}

/** Resolves with the promise's value, or with `fallback` after `ms` (the timer is always cleared). */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<F>((resolve) => (timer = setTimeout(resolve, ms, fallback))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The exit of a signalled app; throws when it is still running `ms` after the call. */
async function exitOf(app: RunningApp, ms = 5000): Promise<Exit> {
  const exit = await within(app.exited, ms, undefined);
  if (exit === undefined)
    throw new Error(`still running ${ms} ms later; logs:\n${JSON.stringify(app.logs())}`);
  return exit;
}

function event(logs: LogLine[], name: string): LogLine[] {
  return logs.filter((l) => l.event === name);
}

const cleanups: Array<() => void | Promise<void>> = [];

/**
 * Starts the app and waits for one answered request: by then main() has run past its start-up
 * code, so the signal handlers are installed.
 */
async function startServing(env: Record<string, string>): Promise<RunningApp> {
  const app = await startApp(env);
  expect((await get(app.port, "/healthz")).status).toBe(200);
  return app;
}

afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("graceful shutdown", () => {
  test("SIGTERM under steady keep-alive load: no request lost, readiness withdrawn during the drain delay, exit 0", async () => {
    const drainDelayMs = 300;
    const shutdownTimeoutMs = 10_000;
    const app = await startServing({
      DRAIN_DELAY_MS: String(drainDelayMs),
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    });
    expect((await get(app.port, "/readyz")).status).toBe(200);

    interface Sample extends Outcome {
      sentAt: number;
    }
    const loops = 8;
    const samples: Sample[][] = Array.from({ length: loops }, () => []);
    const hardStop = Date.now() + 8000;
    const client = async (mine: Sample[]) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (Date.now() < hardStop) {
          const sentAt = Date.now();
          const { socket: _s, ...outcome } = await get(app.port, "/ping", agent);
          mine.push({ sentAt, ...outcome });
          if (outcome.error === "ECONNREFUSED") return;
        }
      } finally {
        agent.destroy();
      }
    };
    const clients = Promise.all(samples.map(client));

    const warm = () => samples.every((mine) => mine.filter((x) => x.status === 200).length >= 5);
    for (const until = Date.now() + 5000; !warm() && Date.now() < until;) await sleep(20);
    await sleep(100);
    const signalAt = Date.now();
    expect(app.kill("SIGTERM")).toBe(true);

    const readiness: Outcome[] = [];
    while (Date.now() < signalAt + 3000) {
      const r = await get(app.port, "/readyz");
      readiness.push(r);
      if (r.status !== 200) break;
      await sleep(10);
    }

    const exit = await exitOf(app);
    await clients;

    expect(readiness.at(-1)).toMatchObject({ status: 503, body: "draining", connection: "close" });
    expect(readiness.slice(0, -1).every((r) => r.status === 200)).toBe(true);

    const all = samples.flat();
    const before = all.filter((s) => s.sentAt < signalAt);
    expect(before.length).toBeGreaterThanOrEqual(loops * 5);
    expect(before.filter((s) => s.status !== 200)).toEqual([]);
    expect(all.filter((s) => s.status !== undefined && s.status !== 200)).toEqual([]);
    expect(
      all.filter((s) => s.status === 200 && s.sentAt >= signalAt).some((s) => s.connection === "close"),
    ).toBe(true);
    const errors = all.filter((s) => s.error !== undefined);
    expect(errors.every((s) => s.sentAt >= signalAt)).toBe(true);
    expect(errors.filter((s) => s.error !== "ECONNREFUSED" && s.error !== "ECONNRESET")).toEqual([]);
    for (const mine of samples) expect(mine.at(-1)?.error).toBe("ECONNREFUSED");

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeGreaterThanOrEqual(drainDelayMs);
    expect(exit.elapsedMs).toBeLessThan(3000);

    const logs = app.logs();
    expect(event(logs, "shutdown_started")).toEqual([
      expect.objectContaining({ signal: "SIGTERM", deadlineMs: shutdownTimeoutMs }),
    ]);
    expect(event(logs, "shutdown_complete")).toEqual([
      expect.objectContaining({ level: "info", forcedConnections: 0 }),
    ]);
    expect(app.stderr()).toBe("");
  });

  test("SIGINT also drains and exits 0", async () => {
    const app = await startServing({ SHUTDOWN_TIMEOUT_MS: "5000" });
    expect((await get(app.port, "/ping")).status).toBe(200);

    expect(app.kill("SIGINT")).toBe(true);
    const exit = await exitOf(app);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(2000);
    const logs = app.logs();
    expect(event(logs, "shutdown_started")).toEqual([expect.objectContaining({ signal: "SIGINT" })]);
    expect(event(logs, "shutdown_complete")).toEqual([expect.objectContaining({ forcedConnections: 0 })]);
  });

  test("a second signal while draining is logged and ignored", async () => {
    const app = await startServing({ DRAIN_DELAY_MS: "300", SHUTDOWN_TIMEOUT_MS: "5000" });

    app.kill("SIGTERM");
    await sleep(100);
    app.proc.kill("SIGINT");
    const exit = await exitOf(app);

    expect(exit).toMatchObject({ code: 0, signal: null });
    const logs = app.logs();
    expect(event(logs, "shutdown_started")).toEqual([expect.objectContaining({ signal: "SIGTERM" })]);
    expect(event(logs, "signal_ignored")).toEqual([
      expect.objectContaining({ level: "warn", signal: "SIGINT" }),
    ]);
    expect(event(logs, "shutdown_complete")).toHaveLength(1);
  });

  test("an idle keep-alive connection is closed at once and does not delay the exit", async () => {
    const shutdownTimeoutMs = 5000;
    const app = await startServing({ SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());

    const first = await get(app.port, "/ping", agent);
    const second = await get(app.port, "/ping", agent);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.socket).toBe(first.socket);
    const socket = first.socket;
    if (socket === undefined) throw new Error("no socket");
    expect(socket.destroyed).toBe(false);
    const socketClosed = new Promise<string>((resolve) => socket.once("close", () => resolve("closed")));

    app.kill("SIGTERM");
    const exit = await exitOf(app);

    await expect(within(socketClosed, 2000, "still open")).resolves.toBe("closed");
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(1500);
    expect(event(app.logs(), "shutdown_complete")).toEqual([
      expect.objectContaining({ level: "info", forcedConnections: 0 }),
    ]);
  });

  test("a request that never finishes sending is cut off at the deadline", async () => {
    const shutdownTimeoutMs = 800;
    const app = await startServing({ SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });

    const socket = net.connect(app.port, "127.0.0.1");
    cleanups.push(() => void socket.destroy());
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", () => undefined);
    const socketClosed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    socket.write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n");
    // The complete request on a second connection proves the server has read the partial one by now.
    expect((await get(app.port, "/healthz")).status).toBe(200);

    app.kill("SIGTERM");
    const exit = await exitOf(app);
    await socketClosed;

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeGreaterThanOrEqual(shutdownTimeoutMs - 150);
    expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + 700);
    expect(received).toBe("");
    const complete = event(app.logs(), "shutdown_complete");
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatchObject({ level: "warn" });
    expect(complete[0].forcedConnections).toBeGreaterThanOrEqual(1);
  });

  test("a ping in flight to a peer that never answers is aborted on SIGTERM", async () => {
    const peerSockets = new Set<net.Socket>();
    let peerReceived = "";
    let gotRequest!: () => void;
    const requestArrived = new Promise<void>((resolve) => (gotRequest = resolve));
    const peerSocketClosed: Array<Promise<void>> = [];
    const peer = net.createServer((socket) => {
      peerSockets.add(socket);
      peerSocketClosed.push(new Promise((resolve) => socket.once("close", () => resolve())));
      socket.on("error", () => undefined);
      socket.on("data", (chunk) => {
        peerReceived += chunk.toString("utf8");
        if (peerReceived.includes("\r\n\r\n")) gotRequest();
      });
    });
    cleanups.push(async () => {
      for (const s of peerSockets) s.destroy();
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    });
    const peerPort = await listenOnLoopback(peer);

    const shutdownTimeoutMs = 5000;
    const app = await startServing({
      TARGET: `http://127.0.0.1:${peerPort}/ping`,
      PING_TIMEOUT_MS: "60000",
      TICK_MS: "1000",
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    });
    await requestArrived;
    expect(peerReceived).toMatch(/^GET \/ping HTTP\/1\.1\r\n/);

    app.kill("SIGTERM");
    const exit = await exitOf(app);
    await Promise.all(peerSocketClosed);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(1500);
    const logs = app.logs();
    expect(event(logs, "pinger_started")).toHaveLength(1);
    expect(event(logs, "ping")).toEqual([]);
    expect(event(logs, "shutdown_complete")).toEqual([
      expect.objectContaining({ level: "info", forcedConnections: 0 }),
    ]);
  });

  test("SIGTERM sent the moment the app reports listening still drains and exits 0", async () => {
    for (let i = 0; i < 5; i++) {
      const app = await startApp();
      app.kill("SIGTERM");
      const exit = await exitOf(app);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(event(app.logs(), "shutdown_complete")).toHaveLength(1);
    }
  });

  test("with TLS, a connection stuck before its handshake completes is destroyed at the deadline", async () => {
    const ca = await createCa("shutdown-test-ca");
    const server = await issueServerCert(ca);
    const pems = writePems({ "cert.pem": server.cert, "key.pem": server.key });
    cleanups.push(() => pems.remove());
    const shutdownTimeoutMs = 800;
    const app = await startApp({
      TLS_CERT_FILE: pems.paths["cert.pem"],
      TLS_KEY_FILE: pems.paths["key.pem"],
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    });
    const socket = net.connect(app.port, "127.0.0.1");
    cleanups.push(() => void socket.destroy());
    socket.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    await sleep(100);

    app.kill("SIGTERM");
    const exit = await exitOf(app);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + 700);
    expect(event(app.logs(), "shutdown_complete")[0].forcedConnections).toBeGreaterThanOrEqual(1);
  });
});

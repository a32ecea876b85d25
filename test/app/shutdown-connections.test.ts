import http from "node:http";
import net from "node:net";
import { events, exitWithin, startApp, startServing } from "../support/app-process";
import { createCa, issueServerCert, writePems } from "../support/certs";
import { within } from "../support/deadlines";
import { get } from "../support/loopback-get";
import { listenOnLoopback } from "../support/loopback-ports";
import { killAll } from "../support/process";
import { httpRequest } from "../support/service";

const cleanups: Array<() => void | Promise<void>> = [];

afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw TCP connection to the app's main port, once connected. */
async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, "127.0.0.1");
  cleanups.push(() => void socket.destroy());
  socket.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

describe("open connections at shutdown", () => {
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
    const exit = await exitWithin(app, 5000);

    await expect(within(socketClosed, 2000, "still open")).resolves.toBe("closed");
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(1500);
    expect(events(app.logs(), "shutdown_complete")).toEqual([
      expect.objectContaining({ level: "info", forcedConnections: 0 }),
    ]);
  });

  test("a request that never finishes sending is cut off at the deadline", async () => {
    const shutdownTimeoutMs = 800;
    const app = await startServing({ SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });

    const socket = await connect(app.port);
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    const socketClosed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n");
    // The complete request on a second connection proves the server has read the partial one by now.
    expect((await get(app.port, "/healthz")).status).toBe(200);

    app.kill("SIGTERM");
    const exit = await exitWithin(app, 5000);
    await socketClosed;

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeGreaterThanOrEqual(shutdownTimeoutMs - 150);
    expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + 700);
    expect(received).toBe("");
    const complete = events(app.logs(), "shutdown_complete");
    expect(complete).toHaveLength(1);
    expect(complete[0]).toMatchObject({ level: "warn" });
    expect(complete[0].forcedConnections).toBeGreaterThanOrEqual(1);
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
    await connect(app.port);
    // The server accepts connections in the order they were established: a whole TLS request
    // answered on a second connection proves it has accepted the silent one.
    const health = await httpRequest(`https://127.0.0.1:${app.port}/healthz`, { ca: ca.cert });
    expect(health.status).toBe(200);

    app.kill("SIGTERM");
    const exit = await exitWithin(app, 5000);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(shutdownTimeoutMs + 700);
    expect(events(app.logs(), "shutdown_complete")[0].forcedConnections).toBeGreaterThanOrEqual(1);
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
    const exit = await exitWithin(app, 5000);
    await Promise.all(peerSocketClosed);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(1500);
    const logs = app.logs();
    expect(events(logs, "pinger_started")).toHaveLength(1);
    expect(events(logs, "ping")).toEqual([]);
    expect(events(logs, "shutdown_complete")).toEqual([
      expect.objectContaining({ level: "info", forcedConnections: 0 }),
    ]);
  });
});

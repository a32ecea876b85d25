import http from "node:http";
import net from "node:net";
import {
  httpRequest,
  metricValue,
  pingResults,
  startService,
  waitFor,
  type RunningService,
} from "../support/service";

interface Target {
  port: number;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listenOn(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function tracked(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return sockets;
}

async function serve(server: net.Server, port = 0): Promise<Target> {
  const sockets = tracked(server);
  const bound = await listenOn(server, port);
  const target = { port: bound, close: () => closeServer(server, sockets) };
  cleanups.push(() => (server.listening ? target.close() : Promise.resolve()));
  return target;
}

/** A loopback port that was listened on and closed: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listenOn(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function start(env: Record<string, string>): Promise<RunningService> {
  const s = await startService({ TICK_MS: "50", PING_TIMEOUT_MS: "1000", LOG_LEVEL: "info", ...env });
  cleanups.push(() => s.close());
  return s;
}

async function expectServing(s: RunningService): Promise<void> {
  const health = await httpRequest(s.url("/healthz"));
  expect([health.status, health.body]).toEqual([200, "ok"]);
  const ready = await httpRequest(s.url("/readyz"));
  expect([ready.status, ready.body]).toEqual([200, "ready"]);
  const ping = await httpRequest(s.url("/ping"));
  expect([ping.status, ping.body]).toEqual([200, "pong"]);
}

type Log = Record<string, unknown>;
const warnings = (s: RunningService): Log[] =>
  s.logs.filter((l) => l.level === "warn" && l.event === "ping" && l.msg === "ping failed");

/** What the target does wrong, how to set it up, the outcome logged, and extra environment. */
const FAILURES: Array<[string, () => Promise<number>, string, Record<string, string>]> = [
  ["down", closedPort, "ECONNREFUSED", {}],
  [
    "hanging past PING_TIMEOUT_MS",
    async () => (await serve(net.createServer(() => undefined))).port,
    "ETIMEDOUT",
    { PING_TIMEOUT_MS: "100" },
  ],
  [
    "answering 500",
    async () =>
      (
        await serve(
          http.createServer((_req, res) => {
            res.statusCode = 500;
            res.end("boom");
          }),
        )
      ).port,
    "HTTP 500",
    {},
  ],
  [
    "resetting the connection",
    async () =>
      (await serve(net.createServer((socket) => socket.once("data", () => socket.resetAndDestroy())))).port,
    "ECONNRESET",
    {},
  ],
];

describe("a failing TARGET", () => {
  it.each(FAILURES)(
    "%s: failures are counted and the service keeps serving",
    async (_what, makeTarget, outcome, env) => {
      const port = await makeTarget();
      const s = await start({ POD_NAMESPACE: "pingpong-a", ...env });
      s.service.startPinging(new URL(`http://127.0.0.1:${port}/ping`));

      await waitFor(async () => pingResults(await s.metricsText()).failure >= 3, 5000, "three failed pings");
      await expectServing(s);

      const text = await s.metricsText();
      const pings = pingResults(text);
      expect(pings.success).toBe(0);
      expect(pings.failure).toBeGreaterThanOrEqual(3);
      expect(metricValue(text, "pingpong_ping_duration_seconds_count", { result: "failure" })).toBe(
        pings.failure,
      );
      expect(metricValue(text, "pingpong_ping_duration_seconds_count", { result: "success" })).toBe(0);
      expect(metricValue(text, "pingpong_ready")).toBe(1);

      // The first failure is a warning naming the outcome; the following ones are not repeated.
      const warned = warnings(s);
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ result: "failure", outcome, failedPings: 1 });
    },
  );

  it("times a hanging target out at PING_TIMEOUT_MS", async () => {
    const { port } = await serve(net.createServer(() => undefined));
    const s = await start({ PING_TIMEOUT_MS: "100" });
    s.service.startPinging(new URL(`http://127.0.0.1:${port}/ping`));
    await waitFor(async () => pingResults(await s.metricsText()).failure >= 3, 5000, "three timeouts");
    const text = await s.metricsText();
    const failures = metricValue(text, "pingpong_ping_duration_seconds_count", { result: "failure" });
    expect(
      metricValue(text, "pingpong_ping_duration_seconds_bucket", { result: "failure", le: "0.05" }),
    ).toBe(0);
    expect(metricValue(text, "pingpong_ping_duration_seconds_bucket", { result: "failure", le: "1" })).toBe(
      failures,
    );
  });

  it("recovers when the target comes up on the same port", async () => {
    const port = await closedPort();
    const s = await start({});
    s.service.startPinging(new URL(`http://127.0.0.1:${port}/ping`));
    await waitFor(async () => pingResults(await s.metricsText()).failure >= 3, 5000, "three failed pings");
    expect(pingResults(await s.metricsText()).success).toBe(0);

    await serve(
      http.createServer((_req, res) => res.end("pong")),
      port,
    );
    await waitFor(
      async () => pingResults(await s.metricsText()).success >= 3,
      5000,
      "three successful pings",
    );

    const failures = pingResults(await s.metricsText()).failure;
    await waitFor(async () => pingResults(await s.metricsText()).success >= 5, 5000, "two more successes");
    expect(pingResults(await s.metricsText()).failure).toBe(failures);

    const recovered = s.logs.filter((l) => l.msg === "target reachable again");
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ level: "info", result: "success", failedPings: failures });
    await expectServing(s);
  });

  it("keeps counting while the target goes down again", async () => {
    const target = await serve(http.createServer((_req, res) => res.end("pong")));
    const s = await start({});
    s.service.startPinging(new URL(`http://127.0.0.1:${target.port}/ping`));
    await waitFor(
      async () => pingResults(await s.metricsText()).success >= 3,
      5000,
      "three successful pings",
    );
    await target.close();
    await waitFor(async () => pingResults(await s.metricsText()).failure >= 3, 5000, "three failed pings");
    await expectServing(s);
  });
});

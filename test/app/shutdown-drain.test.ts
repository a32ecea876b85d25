import http from "node:http";
import { events, exitWithin, isEvent, startApp, startServing } from "../support/app-process";
import { withDeadline } from "../support/deadlines";
import { get, type GetOutcome } from "../support/loopback-get";
import { killAll } from "../support/process";

afterEach(killAll);

describe("graceful shutdown", () => {
  test("SIGTERM under steady keep-alive load: no request lost, readiness withdrawn during the drain delay, exit 0", async () => {
    const drainDelayMs = 300;
    const shutdownTimeoutMs = 10_000;
    const app = await startServing({
      DRAIN_DELAY_MS: String(drainDelayMs),
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    });
    expect((await get(app.port, "/readyz")).status).toBe(200);

    interface Sample extends GetOutcome {
      sentAt: number;
    }
    const loops = 8;
    /** Answered pings every client has had before the signal is sent. */
    const warmAfter = 5;
    const samples: Sample[][] = Array.from({ length: loops }, () => []);
    let warmClients = 0;
    let allWarm!: () => void;
    const warm = new Promise<void>((resolve) => (allWarm = resolve));
    const hardStop = Date.now() + 8000;
    const client = async (mine: Sample[]) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let answered = 0;
      try {
        while (Date.now() < hardStop) {
          const sentAt = Date.now();
          const { socket: _s, ...outcome } = await get(app.port, "/ping", agent);
          mine.push({ sentAt, ...outcome });
          if (outcome.status === 200 && ++answered === warmAfter && ++warmClients === loops) allWarm();
          if (outcome.error === "ECONNREFUSED") return;
        }
      } finally {
        agent.destroy();
      }
    };
    const clients = Promise.all(samples.map(client));

    await withDeadline(warm, 5000, `${warmAfter} answered pings on each of ${loops} clients`);
    expect((await get(app.port, "/readyz")).status).toBe(200);
    const signalAt = Date.now();
    expect(app.kill("SIGTERM")).toBe(true);

    // The app logs shutdown_started and turns unready in one synchronous step: a request sent once
    // the line is read is handled after it. The listeners stay open for the drain delay.
    await app.waitForLog("the shutdown_started log line", isEvent("shutdown_started"), drainDelayMs);
    const readiness = await get(app.port, "/readyz");

    const exit = await exitWithin(app, 5000);
    await clients;

    expect(readiness).toMatchObject({ status: 503, body: "draining", connection: "close" });

    const all = samples.flat();
    const before = all.filter((s) => s.sentAt < signalAt);
    expect(before.length).toBeGreaterThanOrEqual(loops * warmAfter);
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
    expect(events(logs, "shutdown_started")).toEqual([
      expect.objectContaining({ signal: "SIGTERM", deadlineMs: shutdownTimeoutMs }),
    ]);
    expect(events(logs, "shutdown_complete")).toEqual([
      expect.objectContaining({ level: "info", forcedConnections: 0 }),
    ]);
    expect(app.stderr()).toBe("");
  });

  test("SIGINT also drains and exits 0", async () => {
    const app = await startServing({ SHUTDOWN_TIMEOUT_MS: "5000" });
    expect((await get(app.port, "/ping")).status).toBe(200);

    expect(app.kill("SIGINT")).toBe(true);
    const exit = await exitWithin(app, 5000);

    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.elapsedMs).toBeLessThan(2000);
    const logs = app.logs();
    expect(events(logs, "shutdown_started")).toEqual([expect.objectContaining({ signal: "SIGINT" })]);
    expect(events(logs, "shutdown_complete")).toEqual([expect.objectContaining({ forcedConnections: 0 })]);
  });

  test("a second signal while draining is logged and ignored", async () => {
    const drainDelayMs = 300;
    const app = await startServing({ DRAIN_DELAY_MS: String(drainDelayMs), SHUTDOWN_TIMEOUT_MS: "5000" });

    app.kill("SIGTERM");
    // Logged when the first signal is handled; the app then drains for drainDelayMs before it exits.
    await app.waitForLog("the shutdown_started log line", isEvent("shutdown_started"), drainDelayMs);
    expect(app.proc.kill("SIGINT")).toBe(true);
    await app.waitForLog("the signal_ignored log line", isEvent("signal_ignored"), 5000);
    const exit = await exitWithin(app, 5000);

    expect(exit).toMatchObject({ code: 0, signal: null });
    const logs = app.logs();
    expect(events(logs, "shutdown_started")).toEqual([expect.objectContaining({ signal: "SIGTERM" })]);
    expect(events(logs, "signal_ignored")).toEqual([
      expect.objectContaining({ level: "warn", signal: "SIGINT" }),
    ]);
    expect(events(logs, "shutdown_complete")).toHaveLength(1);
  });

  test("SIGTERM sent the moment the app reports listening still drains and exits 0", async () => {
    for (let i = 0; i < 5; i++) {
      const app = await startApp();
      app.kill("SIGTERM");
      const exit = await exitWithin(app, 5000);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(events(app.logs(), "shutdown_complete")).toHaveLength(1);
    }
  });
});

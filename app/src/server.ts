import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createApp, type App } from "./app";
import { instanceIdentity, type Config } from "./config";
import type { Logger } from "./logger";
import { createMetrics, type PingpongMetrics } from "./metrics";
import { Pinger } from "./pinger";

export interface ListeningPorts {
  port: number;
  metricsPort: number;
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closed(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/**
 * One pingpong instance: the main port, the metrics port and the pinger. It owns listening and
 * draining; the process (main.ts) owns signals and the exit code.
 */
export class PingpongServer {
  readonly app: App;
  readonly metrics: PingpongMetrics;
  private readonly server: http.Server;
  private readonly metricsServer: http.Server;
  private pinger?: Pinger;
  private readonly sockets = new Set<Socket>();
  private shuttingDown?: Promise<{ forced: number }>;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    const identity = instanceIdentity(config);
    this.metrics = createMetrics(identity);
    this.app = createApp({
      identity,
      metrics: this.metrics,
      appMtls: config.tls?.clientCa !== undefined,
      logger,
    });
    const tls = config.tls;
    this.server = tls
      ? https.createServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: tls.clientCa,
            requestCert: tls.clientCa !== undefined,
            rejectUnauthorized: tls.clientCa !== undefined,
            minVersion: "TLSv1.2",
          },
          this.app.handler,
        )
      : http.createServer(this.app.handler);
    // Longer than the idle timeouts of the proxies in front of us, so they close first.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.metricsServer = http.createServer(this.app.metricsHandler);
    // closeAllConnections() only knows HTTP connections; a TLS handshake that never completes
    // would hold the process until its own timeout, so every raw socket is tracked.
    for (const server of [this.server, this.metricsServer]) {
      server.on("connection", (socket: Socket) => {
        this.sockets.add(socket);
        socket.once("close", () => this.sockets.delete(socket));
      });
    }
  }

  /** Listens on both ports, then reports ready. */
  async listen(): Promise<ListeningPorts> {
    const port = await listen(this.server, this.config.port, this.config.host);
    const metricsPort = await listen(this.metricsServer, this.config.metricsPort, this.config.host);
    this.app.markReady();
    return { port, metricsPort };
  }

  /** Starts pinging `target` (by default the configured TARGET); without a target, does nothing. */
  startPinging(target: URL | undefined = this.config.target): void {
    if (!target || this.pinger || this.shuttingDown) return;
    this.pinger = new Pinger({
      target,
      tickMs: this.config.tickMs,
      timeoutMs: this.config.pingTimeoutMs,
      samplingPercent: this.config.traceSamplingPercent,
      tls: this.config.targetTls,
      metrics: this.metrics,
      logger: this.logger,
      userAgent: `pingpong/${this.config.version} (${this.config.namespace}/${this.config.podName})`,
    });
    this.pinger.start();
  }

  /**
   * Drains: readiness turns 503 and pinging stops at once; after the drain delay the listeners
   * close, idle keep-alive connections are closed and requests in flight complete (answered with
   * `Connection: close`). Connections still open at the deadline are destroyed. Resolves with the
   * number of connections that had to be destroyed.
   */
  shutdown(deadlineMs = this.config.shutdownTimeoutMs): Promise<{ forced: number }> {
    this.shuttingDown ??= this.drain(deadlineMs);
    return this.shuttingDown;
  }

  private async drain(deadlineMs: number): Promise<{ forced: number }> {
    const started = Date.now();
    this.app.startDraining();
    const pingerStopped = this.pinger?.stop() ?? Promise.resolve();
    if (this.config.drainDelayMs > 0) await sleep(this.config.drainDelayMs);

    const servers = [this.server, this.metricsServer];
    const allClosed = Promise.all([...servers.map(closed), pingerStopped]);
    for (const s of servers) s.closeIdleConnections();

    let timer: NodeJS.Timeout | undefined;
    const remaining = Math.max(0, deadlineMs - (Date.now() - started) - 50);
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), remaining);
    });
    const result = await Promise.race([allClosed, timedOut]);
    clearTimeout(timer);
    if (result !== "timeout") return { forced: 0 };

    const forced = await Promise.all(
      servers.map((s) => new Promise<number>((r) => s.getConnections((_e, n) => r(n ?? 0)))),
    );
    for (const s of servers) s.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await allClosed;
    return { forced: forced.reduce((a, b) => a + b, 0) };
  }
}

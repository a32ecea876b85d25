import { ConfigError, instanceIdentity, loadConfig, type Config } from "./config";
import { createLogger } from "./logger";
import { PingpongServer } from "./server";

/** Exit code for a configuration the service refuses to start with. */
export const EXIT_CONFIG = 2;

function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pingpong: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel, instanceIdentity(config));
  const service = new PingpongServer(config, logger);
  // Handlers first: a signal that arrives while the ports open must still drain, not kill.
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ event: "signal_ignored", signal }, "already shutting down");
      return;
    }
    signalled = true;
    const started = Date.now();
    logger.info({ event: "shutdown_started", signal, deadlineMs: config.shutdownTimeoutMs }, "draining");
    service.shutdown().then(
      ({ forced }) => {
        const fields = {
          event: "shutdown_complete",
          durationMs: Date.now() - started,
          forcedConnections: forced,
        };
        if (forced > 0) logger.warn(fields, "deadline reached, open connections closed");
        else logger.info(fields, "drained");
        process.exit(0);
      },
      (err: unknown) => {
        logger.fatal({ event: "shutdown_failed", err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  let ports;
  try {
    ports = await service.listen();
  } catch (err) {
    logger.fatal({ event: "listen_failed", err }, "cannot listen");
    process.exit(1);
  }
  if (signalled) return;
  logger.info(
    {
      event: "listening",
      host: config.host,
      port: ports.port,
      metricsPort: ports.metricsPort,
      tls: config.tls ? (config.tls.clientCa ? "mtls" : "tls") : "off",
      target: config.target?.href ?? null,
      tickMs: config.tickMs,
    },
    "ready",
  );
  service.startPinging();
}

process.on("unhandledRejection", (reason) => {
  process.stderr.write(`pingpong: unhandled rejection: ${String(reason)}\n`);
  process.exit(1);
});

void main();

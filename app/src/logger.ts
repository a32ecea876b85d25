import pino, { type DestinationStream, type Logger } from "pino";
import type { InstanceIdentity, LogLevel } from "./config";

export type { Logger };

export type LogContext = InstanceIdentity;

/** One JSON object per line on stdout, written synchronously so nothing is lost on exit. */
export function createLogger(
  level: LogLevel,
  context: LogContext,
  destination: DestinationStream = pino.destination({ fd: 1, sync: true }),
): Logger {
  return pino(
    {
      level,
      base: context,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from "node:http";
import type { InstanceIdentity } from "./config";
import { PATHS } from "./contract";
import { CallerLabels, callerIdentity } from "./identity";
import type { Logger } from "./logger";
import type { PingpongMetrics } from "./metrics";
import { traceContext } from "./trace";

export { PATHS };

export type AppIdentity = InstanceIdentity;

export interface AppOptions {
  identity: AppIdentity;
  metrics: PingpongMetrics;
  /** True when the main port requires client certificates: the caller is then read from the certificate. */
  appMtls: boolean;
  /** With debug enabled, every answered /ping is logged with the trace context it came with. */
  logger?: Logger;
}

export type Phase = "starting" | "ready" | "draining";

export interface App {
  /** Handler of the main port: /ping, /healthz, /readyz. */
  handler: RequestListener;
  /** Handler of the metrics port: /metrics. */
  metricsHandler: RequestListener;
  readonly phase: Phase;
  markReady(): void;
  startDraining(): void;
}

const TEXT = "text/plain; charset=utf-8";

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": TEXT,
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** An answer that never changes, headers included. */
interface Fixed {
  status: number;
  body: string;
  headers: OutgoingHttpHeaders;
}

function fixed(status: number, body: string, headers: Record<string, string> = {}): Fixed {
  return {
    status,
    body,
    headers: { "content-type": TEXT, "content-length": String(Buffer.byteLength(body)), ...headers },
  };
}

/**
 * Sends a fixed answer. Its headers object is shared by every response: writeHead only reads it
 * (headers set earlier with setHeader, such as `connection: close` while draining, are merged
 * into the response's own copy), so nothing is built per request.
 */
function answer(res: ServerResponse, a: Fixed): void {
  res.writeHead(a.status, a.headers);
  res.end(a.body);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}

function wantsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept !== undefined && /\bapplication\/json\b/i.test(accept);
}

const READ_METHODS = "GET, HEAD";

const ANSWERS = {
  pong: fixed(200, "pong"),
  ok: fixed(200, "ok"),
  ready: fixed(200, "ready"),
  starting: fixed(503, "starting"),
  draining: fixed(503, "draining"),
  notFound: fixed(404, "not found"),
  methodNotAllowed: fixed(405, "method not allowed", { allow: READ_METHODS }),
} as const;

/** Builds the request handlers; listening, signals and draining belong to the server. */
export function createApp({ identity, metrics, appMtls, logger }: AppOptions): App {
  let phase: Phase = "starting";
  const callers = new CallerLabels();
  metrics.ready.set(0);
  // Decided once: the level never changes at run time, and /ping then checks one variable.
  const pongLog = logger?.isLevelEnabled("debug") ? logger : undefined;

  const ping = (req: IncomingMessage, res: ServerResponse) => {
    const caller = callerIdentity(req, appMtls);
    metrics.countPong(callers.label(caller));
    const json = wantsJson(req);
    // Only the log line and the JSON answer show the trace context: without them it is not read.
    const trace = json || pongLog ? traceContext(req.headers) : undefined;
    pongLog?.debug(
      {
        event: "pong",
        caller: caller ?? null,
        trace_id: trace?.traceId ?? null,
        span_id: trace?.spanId ?? null,
        trace_sampled: trace?.sampled ?? null,
      },
      "pong",
    );
    if (json) {
      const reply = { message: "pong", ...identity, caller: caller ?? null };
      const body = JSON.stringify(trace ? { ...reply, traceId: trace.traceId } : reply);
      send(res, 200, body, { "content-type": "application/json" });
    } else {
      answer(res, ANSWERS.pong);
    }
  };

  const handler: RequestListener = (req, res) => {
    if (phase === "draining") res.setHeader("connection", "close");
    const path = pathOf(req);
    const known = path === PATHS.ping || path === PATHS.healthz || path === PATHS.readyz;
    if (!known) return answer(res, ANSWERS.notFound);
    if (req.method !== "GET" && req.method !== "HEAD") return answer(res, ANSWERS.methodNotAllowed);
    if (path === PATHS.ping) return ping(req, res);
    if (path === PATHS.healthz) return answer(res, ANSWERS.ok);
    return answer(res, ANSWERS[phase]);
  };

  const metricsHandler: RequestListener = (req, res) => {
    if (pathOf(req) !== PATHS.metrics) return answer(res, ANSWERS.notFound);
    if (req.method !== "GET" && req.method !== "HEAD") return answer(res, ANSWERS.methodNotAllowed);
    metrics.registry.metrics().then(
      (text) => send(res, 200, text, { "content-type": metrics.registry.contentType }),
      (err: Error) => send(res, 500, `metrics collection failed: ${err.message}`),
    );
  };

  return {
    handler,
    metricsHandler,
    get phase() {
      return phase;
    },
    markReady() {
      if (phase === "starting") {
        phase = "ready";
        metrics.ready.set(1);
      }
    },
    startDraining() {
      phase = "draining";
      metrics.ready.set(0);
    },
  };
}

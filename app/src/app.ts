import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { PATHS } from "./contract";
import { CallerLabels, callerIdentity } from "./identity";
import type { PingpongMetrics } from "./metrics";

export { PATHS };

export interface AppIdentity {
  service: string;
  namespace: string;
  pod: string;
  version: string;
}

export interface AppOptions {
  identity: AppIdentity;
  metrics: PingpongMetrics;
  /** True when the main port requires client certificates: the caller is then read from the certificate. */
  appMtls: boolean;
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

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
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

/** Builds the request handlers; listening, signals and draining belong to the server. */
export function createApp({ identity, metrics, appMtls }: AppOptions): App {
  let phase: Phase = "starting";
  const callers = new CallerLabels();
  metrics.ready.set(0);

  const ping = (req: IncomingMessage, res: ServerResponse) => {
    const caller = callerIdentity(req, appMtls);
    metrics.pongs.inc({ caller: callers.label(caller) });
    if (wantsJson(req)) {
      const body = JSON.stringify({ message: "pong", ...identity, caller: caller ?? null });
      send(res, 200, body, { "content-type": "application/json" });
    } else {
      send(res, 200, "pong");
    }
  };

  const handler: RequestListener = (req, res) => {
    if (phase === "draining") res.setHeader("connection", "close");
    const path = pathOf(req);
    const known = path === PATHS.ping || path === PATHS.healthz || path === PATHS.readyz;
    if (!known) return send(res, 404, "not found");
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(res, 405, "method not allowed", { allow: READ_METHODS });
    if (path === PATHS.ping) return ping(req, res);
    if (path === PATHS.healthz) return send(res, 200, "ok");
    return phase === "ready" ? send(res, 200, "ready") : send(res, 503, phase);
  };

  const metricsHandler: RequestListener = (req, res) => {
    if (pathOf(req) !== PATHS.metrics) return send(res, 404, "not found");
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(res, 405, "method not allowed", { allow: READ_METHODS });
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

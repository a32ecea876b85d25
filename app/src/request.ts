import http from "node:http";
import https from "node:https";

export type Outcome =
  | { kind: "response"; status: number; body: string; durationMs: number }
  | { kind: "error"; code: string; message: string; durationMs: number };

export interface RequestOptions {
  url: URL;
  timeoutMs: number;
  headers?: http.OutgoingHttpHeaders;
  /** An http.Agent for http: URLs or an https.Agent for https: URLs; a fresh connection when omitted. */
  agent?: http.Agent;
  /** Aborts the request early, e.g. on shutdown; the outcome is then an error with code ABORTED. */
  signal?: AbortSignal;
}

const MAX_BODY = 64 * 1024;

/** A short text for an outcome: the HTTP status, or the network error code. */
export function describeOutcome(outcome: Outcome): string {
  return outcome.kind === "response" ? `HTTP ${outcome.status}` : outcome.code;
}

export function isSuccess(outcome: Outcome): boolean {
  return outcome.kind === "response" && outcome.status >= 200 && outcome.status < 300;
}

function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return typeof e?.code === "string" ? e.code : "EUNKNOWN";
}

function once(opts: RequestOptions, started: number): Promise<Outcome & { reusedSocket: boolean }> {
  return new Promise((resolve) => {
    const lib = opts.url.protocol === "https:" ? https : http;
    let settled = false;
    let reusedSocket = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({ ...o, reusedSocket });
    };
    const fail = (code: string, message: string) =>
      finish({ kind: "error", code, message, durationMs: Date.now() - started });

    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      res.on("end", () =>
        finish({
          kind: "response",
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_BODY),
          durationMs: Date.now() - started,
        }),
      );
      res.on("error", (err) => fail(errorCode(err), err.message));
      res.on("aborted", () => fail("ECONNRESET", "response aborted"));
    };
    let req: http.ClientRequest;
    try {
      req = lib.request(
        opts.url,
        { method: "GET", headers: opts.headers, agent: opts.agent ?? false },
        onResponse,
      );
    } catch (err) {
      // Invalid headers or options throw synchronously: an outcome like any other failure.
      resolve({
        kind: "error",
        code: errorCode(err),
        message: (err as Error).message,
        durationMs: 0,
        reusedSocket: false,
      });
      return;
    }
    req.on("socket", () => {
      reusedSocket = req.reusedSocket;
    });
    req.on("error", (err) => fail(errorCode(err), err.message));

    const timer = setTimeout(() => {
      fail("ETIMEDOUT", `no complete answer within ${opts.timeoutMs} ms`);
      req.destroy();
    }, opts.timeoutMs);
    const onAbort = () => {
      fail("ABORTED", "request aborted");
      req.destroy();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
    req.end();
  });
}

/**
 * One GET with a deadline covering connect, headers and body. Never throws: every failure is an
 * outcome. A keep-alive socket that the server closed between two requests is retried once on a
 * new connection (the race Node's documentation describes for `reusedSocket`).
 */
export async function request(opts: RequestOptions): Promise<Outcome> {
  const started = Date.now();
  const first = await once(opts, started);
  if (first.kind === "error" && first.reusedSocket && first.code === "ECONNRESET" && !opts.signal?.aborted) {
    const remaining = opts.timeoutMs - (Date.now() - started);
    if (remaining > 0) {
      const { reusedSocket: _r, ...retry } = await once({ ...opts, timeoutMs: remaining }, started);
      return retry;
    }
  }
  const { reusedSocket: _r, ...outcome } = first;
  return outcome;
}

import http from "node:http";
import type net from "node:net";

/** What one GET came to: an answer, or the code of the error that ended it. */
export interface GetOutcome {
  status?: number;
  connection?: string;
  body?: string;
  error?: string;
  /** The connection the answer came on. */
  socket?: net.Socket;
}

/** GET http://127.0.0.1:<port><path>; never rejects: a network error is an outcome too. */
export function get(
  port: number,
  path: string,
  agent: http.Agent | false = false,
  timeoutMs = 3000,
): Promise<GetOutcome> {
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

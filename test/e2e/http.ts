/**
 * Plain HTTP GETs for the end-to-end suite (e2e.ts), against a local `kubectl port-forward` port.
 */
import http from "node:http";

export interface HttpAnswer {
  status?: number;
  body: string;
}

/** GET http://127.0.0.1:port/path; rejects on a network error or after 10 s. */
export function httpGet(port: number, urlPath: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

/** The answer's body as JSON; rejects, naming the status, when it is not JSON. */
export async function httpGetJson(port: number, urlPath: string): Promise<unknown> {
  const { status, body } = await httpGet(port, urlPath);
  try {
    return JSON.parse(body);
  } catch {
    throw new Error(`HTTP ${status}: not JSON: ${body.slice(0, 200)}`);
  }
}

/** The status and the body as JSON (undefined when it is not JSON). */
export async function httpGetStatusJson(
  port: number,
  urlPath: string,
): Promise<{ status?: number; json: unknown; body: string }> {
  const { status, body } = await httpGet(port, urlPath);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status, json, body };
}

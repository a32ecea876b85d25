/**
 * The checks of the end-to-end suite (e2e.ts) against the deployed stack: the mesh through
 * `kubectl exec`, HTTPS through the ingress gateway and metrics through Prometheus.
 */
import http from "node:http";
import https from "node:https";
import {
  UNTRUSTED_CERT_CODES,
  firstIngress,
  formatResult,
  judgeExit,
  prometheusValue,
  titleOf,
  type CheckId,
  type CheckResult,
  type StackFacts,
} from "./harness";
import { CONTEXT, run, sleep, withPortForward, withTimeout } from "./processes";

const CALLER_A = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
const PROMETHEUS = { namespace: "monitoring", service: "svc/kube-prometheus-stack-prometheus", port: 9090 };
const GATEWAY = { namespace: "istio-ingress", service: "svc/istio-ingressgateway", port: 443 };
const METRICS_QUERY = 'sum(pingpong_pings_total{result="success"})';

const log = (line: string) => console.log(line);

export type Verdict = { pass: boolean; detail: string };

function kubectlExec(namespace: string, target: string, container: string | undefined, command: string[]) {
  return run(
    "kubectl",
    [
      "--context",
      CONTEXT,
      "-n",
      namespace,
      "exec",
      target,
      ...(container ? ["-c", container] : []),
      "--",
      ...command,
    ],
    { timeoutMs: 60_000 },
  );
}

export async function checkAToB(facts: StackFacts): Promise<Verdict> {
  const r = await kubectlExec("pingpong-a", "deploy/pingpong-v1", "pingpong", [
    "/nodejs/bin/node",
    "/app/dist/probe.js",
    "--url",
    facts.pingUrls.b,
    "--expect",
    "success",
    "--expect-caller",
    CALLER_A,
  ]);
  return judgeExit(r.code, 0, r.output);
}

export async function checkCToA(facts: StackFacts): Promise<Verdict> {
  const r = await kubectlExec("pingpong-c", "deploy/toolbox", undefined, [
    "curl",
    "-sS",
    "-o",
    "/dev/null",
    facts.pingUrls.a,
  ]);
  return judgeExit(r.code, 56, r.output);
}

interface HttpsOutcome {
  status?: number;
  body?: string;
  errorCode?: string;
  error?: string;
}

/** GET https://host:port/path, connecting to 127.0.0.1 (like curl --resolve). */
function httpsGet(
  host: string,
  port: number,
  urlPath: string,
  ca: string | undefined,
): Promise<HttpsOutcome> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path: urlPath,
        method: "GET",
        servername: host,
        headers: { host: `${host}:${port}` },
        ca,
        rejectUnauthorized: true,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ errorCode: err.code, error: err.message }));
    req.end();
  });
}

export async function checkHttps(facts: StackFacts): Promise<Verdict> {
  const { host, path: urlPath } = firstIngress(facts.ingressUrls);
  return withPortForward(GATEWAY.namespace, GATEWAY.service, GATEWAY.port, async (port) => {
    // The gateway may still be settling after the update: retry the trusted request for a while.
    let trusted: HttpsOutcome = {};
    for (let attempt = 0; attempt < 10; attempt++) {
      trusted = await httpsGet(host, port, urlPath, facts.caCertificatePem);
      if (trusted.status === 200) break;
      await sleep(3_000);
    }
    if (trusted.status !== 200 || trusted.body?.trim() !== "pong") {
      const got = trusted.error ?? `${trusted.status} ${JSON.stringify(trusted.body ?? "")}`;
      return { pass: false, detail: `with the stack CA: expected 200 pong, got ${got}` };
    }
    const untrusted = await httpsGet(host, port, urlPath, undefined);
    if (untrusted.errorCode === undefined || !UNTRUSTED_CERT_CODES.has(untrusted.errorCode)) {
      const got = untrusted.errorCode ?? untrusted.error ?? `HTTP ${untrusted.status}`;
      return {
        pass: false,
        detail: `without the stack CA: expected a certificate verification error, got ${got}`,
      };
    }
    return {
      pass: true,
      detail: `https://${host}${urlPath}: 200 pong with the stack CA; ${untrusted.errorCode} without it`,
    };
  });
}

function httpGetJson(port: number, urlPath: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`HTTP ${res.statusCode}: not JSON: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

export async function checkMetrics(deadlineMs: number): Promise<Verdict> {
  return withPortForward(PROMETHEUS.namespace, PROMETHEUS.service, PROMETHEUS.port, async (port) => {
    const query = `/api/v1/query?query=${encodeURIComponent(METRICS_QUERY)}`;
    const until = Date.now() + deadlineMs;
    let last = "no answer yet";
    while (Date.now() < until) {
      try {
        const value = prometheusValue(await httpGetJson(port, query));
        if (value !== null && value > 0) return { pass: true, detail: `${METRICS_QUERY} = ${value}` };
        last = value === null ? "empty result" : `value ${value}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(5_000);
    }
    return { pass: false, detail: `${METRICS_QUERY} not > 0 after ${deadlineMs / 1000}s (${last})` };
  });
}

export async function runCheck(
  id: CheckId,
  timeoutMs: number,
  body: () => Promise<Verdict>,
): Promise<CheckResult> {
  const name = titleOf(id);
  let result: CheckResult;
  try {
    const verdict = await withTimeout(body(), timeoutMs, name);
    result = { name, status: verdict.pass ? "pass" : "fail", detail: verdict.detail };
  } catch (err) {
    result = { name, status: "fail", detail: (err as Error).message };
  }
  log(formatResult(result));
  return result;
}

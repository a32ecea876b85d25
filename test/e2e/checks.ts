/**
 * The checks of the end-to-end suite (e2e.ts) against the deployed stack: the mesh through
 * `kubectl exec`, HTTPS through the ingress gateway and metrics through Prometheus (the add-ons'
 * checks: checks-addons.ts).
 */
import https from "node:https";
import { IMAGE_PATHS } from "../../app/src/contract";
import { CONTAINER_NAME, serviceSelector } from "../../components/workload";
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
import { labelSelector, probeCommand, type ProbeRun, type Verdict } from "./harness-addons";
import { httpGetJson } from "./http";
import { kubectlExec, readyPodIn, sleep, withPortForward, withTimeout } from "./processes";

export type { Verdict } from "./harness-addons";

/** The image's node (its ENTRYPOINT, app/Dockerfile). */
const NODE = "/nodejs/bin/node";
/** The pingpong pods of an instance: what its Service selects, whether a Deployment or a Rollout runs them. */
export const APP_PODS = labelSelector(serviceSelector());
const PROMETHEUS = { namespace: "monitoring", service: "svc/kube-prometheus-stack-prometheus", port: 9090 };
const GATEWAY = { namespace: "istio-ingress", service: "svc/istio-ingressgateway", port: 443 };
const METRICS_QUERY = 'sum(pingpong_pings_total{result="success"})';

const log = (line: string) => console.log(line);

/**
 * Runs the image's probe in the app container of a ready pingpong pod of `namespace` (kubectl exec
 * takes pods and Deployments, not Argo Rollouts); its exit code is the verdict.
 */
export async function probeFrom(namespace: string, p: ProbeRun): Promise<Verdict> {
  const pod = await readyPodIn(namespace, APP_PODS);
  const r = await kubectlExec(
    namespace,
    pod,
    CONTAINER_NAME,
    probeCommand(NODE, IMAGE_PATHS.probe, p),
    p.hold.deadlineMs + 30_000,
  );
  const verdict = judgeExit(r.code, 0, r.output);
  return { pass: verdict.pass, detail: `from ${pod}: ${verdict.detail}` };
}

export function checkAToB(facts: StackFacts): Promise<Verdict> {
  // pingpong-b's pods may still be starting: Pulumi waits for a Deployment's pods, not a Rollout's.
  return probeFrom(facts.namespaces.a, {
    url: facts.pingUrls.b,
    expect: "success",
    expectCaller: `spiffe://cluster.local/ns/${facts.namespaces.a}/sa/pingpong`,
    hold: { timeoutMs: 5_000, attempts: 3, intervalMs: 1_000, deadlineMs: 60_000 },
  });
}

export async function checkCToA(facts: StackFacts): Promise<Verdict> {
  const r = await kubectlExec(facts.namespaces.c, "deploy/toolbox", undefined, [
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

/**
 * The end-to-end suite's checks of the mesh's add-ons (e2e.ts): traces in Jaeger, Kiali's API,
 * egress from pingpong-a, the Argo Rollout of pingpong-b and the local rate limit.
 */
import { runCheck, probeFrom, type Verdict } from "./checks";
import {
  formatResult,
  titleOf,
  type CheckId,
  type CheckResult,
  type ServiceEndpoint,
  type StackFacts,
} from "./harness";
import {
  ROLLOUT_JSONPATH,
  judgeKialiNamespaces,
  judgeKialiStatus,
  judgeRollout,
  judgeTraces,
  pingpongServices,
  traceService,
  type SettingsTargets,
  type Target,
} from "./harness-addons";
import { httpGetJson, httpGetStatusJson } from "./http";
import { kubectl, sleep, withPortForward } from "./processes";

const log = (line: string) => console.log(line);

/** Traces searched per poll: the newest may still lack the spans the other sidecar has yet to export. */
const TRACE_SEARCH_LIMIT = 20;

/** The check, when the stack calls for it; otherwise its result is not run, with the reason. */
export async function runIf<T>(
  id: CheckId,
  target: Target<T>,
  timeoutMs: number,
  body: (t: T) => Promise<Verdict>,
): Promise<CheckResult> {
  if ("run" in target) return runCheck(id, timeoutMs, () => body(target.run));
  const result: CheckResult = { name: titleOf(id), status: "not-run", detail: target.notRun };
  log(formatResult(result));
  return result;
}

/** Polls `attempt` every `everyMs` until it passes or `deadlineMs` has passed; the last verdict then. */
async function pollUntil(
  deadlineMs: number,
  everyMs: number,
  attempt: () => Promise<Verdict>,
): Promise<Verdict> {
  const until = Date.now() + deadlineMs;
  let last: Verdict = { pass: false, detail: "no answer yet" };
  while (Date.now() < until) {
    try {
      last = await attempt();
      if (last.pass) return last;
    } catch (err) {
      last = { pass: false, detail: (err as Error).message };
    }
    await sleep(everyMs);
  }
  return { pass: false, detail: `after ${Math.round(deadlineMs / 1000)}s: ${last.detail}` };
}

/**
 * Jaeger's /api/services lists a pingpong service, and a search of its traces finds one with spans
 * from the sidecars of both instances: the pingers' sampled traceparent reached both.
 */
export function checkTraces(
  jaeger: ServiceEndpoint,
  facts: StackFacts,
  deadlineMs: number,
): Promise<Verdict> {
  return withPortForward(jaeger.namespace, `svc/${jaeger.service}`, jaeger.port, (port) =>
    pollUntil(deadlineMs, 5_000, async () => {
      const services = pingpongServices(await httpGetJson(port, `${jaeger.path}/api/services`));
      if (services === undefined) return { pass: false, detail: "/api/services: not a Jaeger answer" };
      const service = traceService(services, facts.namespaces.b);
      if (service === undefined) return { pass: false, detail: "/api/services lists no pingpong.* service" };
      const query = `?service=${encodeURIComponent(service)}&limit=${TRACE_SEARCH_LIMIT}`;
      const verdict = judgeTraces(
        await httpGetJson(port, `${jaeger.path}/api/traces${query}`),
        facts.namespaces,
      );
      return { pass: verdict.pass, detail: `services ${services.join(", ")}; ${service}: ${verdict.detail}` };
    }),
  );
}

/** Kiali's status is running and its namespace list has pingpong-a's (the anonymous, read-only view). */
export function checkKiali(kiali: ServiceEndpoint, facts: StackFacts, deadlineMs: number): Promise<Verdict> {
  return withPortForward(kiali.namespace, `svc/${kiali.service}`, kiali.port, (port) =>
    pollUntil(deadlineMs, 5_000, async () => {
      const status = await httpGetStatusJson(port, `${kiali.path}/api/status`);
      const running = judgeKialiStatus(status.status, status.json);
      if (!running.pass) return { pass: false, detail: `${kiali.path}/api/status: ${running.detail}` };
      const listed = judgeKialiNamespaces(
        await httpGetJson(port, `${kiali.path}/api/namespaces`),
        facts.namespaces.a,
      );
      return {
        pass: listed.pass,
        detail: `${running.detail}; ${kiali.path}/api/namespaces ${listed.detail}`,
      };
    }),
  );
}

/** From a pingpong-a pod, the egress host answers over HTTPS, whatever its status. */
export function checkEgress(target: { url: string }, facts: StackFacts): Promise<Verdict> {
  return probeFrom(facts.namespaces.a, {
    url: target.url,
    expect: "reached",
    hold: { timeoutMs: 10_000, attempts: 1, intervalMs: 2_000, deadlineMs: 60_000 },
  });
}

/** The Rollout's phase is Healthy (polled: Pulumi does not wait for it). */
export function checkRollout(
  target: { namespace: string; name: string },
  deadlineMs: number,
): Promise<Verdict> {
  return pollUntil(deadlineMs, 5_000, async () => {
    const r = await kubectl(
      ["-n", target.namespace, "get", "rollout", target.name, "-o", `jsonpath=${ROLLOUT_JSONPATH}`],
      20_000,
    );
    if (r.code !== 0)
      return { pass: false, detail: `kubectl get rollout: exit ${r.code}: ${r.output.trim()}` };
    const verdict = judgeRollout(r.stdout);
    return { pass: verdict.pass, detail: `rollout/${target.name} in ${target.namespace}: ${verdict.detail}` };
  });
}

/**
 * From a pingpong-a pod, the burst the verification plans against pingpong-b: two bursts in a row
 * with some HTTP 429 and every other answer 2xx.
 */
export function checkRateLimit(
  target: Extract<SettingsTargets["rateLimit"], { run: unknown }>["run"],
  facts: StackFacts,
): Promise<Verdict> {
  return probeFrom(facts.namespaces.a, {
    url: target.url,
    expect: "rate-limited",
    burst: target.burst,
    hold: { timeoutMs: 10_000, attempts: 2, intervalMs: 1_000, deadlineMs: 120_000 },
  });
}

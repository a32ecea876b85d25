/**
 * The pure parts of the end-to-end suite's add-on checks (checks-addons.ts): which checks the stack
 * calls for, the pods and probe commands they use, and verdicts on the answers of Jaeger, Kiali,
 * Argo Rollouts and the Kubernetes API. No network, no child process: test/program/e2e-harness.test.ts
 * runs them under jest.
 */
import { ROLLOUT_NAME } from "../../components/rollout-spec";
import type { CheckPlan } from "../../stacks/plan";
import type { Settings } from "../../stacks/settings";
import type { ServiceEndpoint, StackFacts } from "./outputs";

export type Verdict = { pass: boolean; detail: string };

/** A check's inputs, or why the stack calls for no such check. */
export type Target<T> = { run: T } | { notRun: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Pods

/** `k=v,k2=v2`, as `kubectl -l` takes it. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * The first pod of a core/v1 PodList (`kubectl get pods -o json`) that is Running, not being
 * deleted and has the Ready condition; otherwise what the pods are doing.
 */
export function readyPod(podList: unknown): { pod?: string; detail: string } {
  if (!isRecord(podList) || !Array.isArray(podList.items)) return { detail: "not a PodList" };
  const seen: string[] = [];
  for (const item of podList.items as unknown[]) {
    if (!isRecord(item) || !isRecord(item.metadata) || typeof item.metadata.name !== "string") continue;
    const name = item.metadata.name;
    const status = isRecord(item.status) ? item.status : {};
    const phase = typeof status.phase === "string" ? status.phase : "no phase";
    const conditions = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
    const ready = conditions.some((c) => isRecord(c) && c.type === "Ready" && c.status === "True");
    const deleting = item.metadata.deletionTimestamp !== undefined;
    if (phase === "Running" && ready && !deleting) return { pod: name, detail: `pod ${name}` };
    seen.push(
      `${name} (${deleting ? "terminating" : phase}${phase === "Running" && !ready ? ", not ready" : ""})`,
    );
  }
  return { detail: seen.length === 0 ? "no pod matches" : `no ready pod among ${seen.join(", ")}` };
}

// ---------------------------------------------------------------------------------------------
// The probe (app/README.md, "Probe command")

export interface ProbeRun {
  url: string;
  expect: "success" | "reached" | "rate-limited";
  expectCaller?: string;
  burst?: { requests: number; concurrency: number };
  /** Per request; consecutive matching attempts (bursts); between them; overall. */
  hold: { timeoutMs: number; attempts: number; intervalMs: number; deadlineMs: number };
}

/** The command line that runs the image's probe with `node`. */
export function probeCommand(node: string, script: string, p: ProbeRun): string[] {
  return [
    node,
    script,
    ...["--url", p.url, "--expect", p.expect],
    ...["--timeout", String(p.hold.timeoutMs), "--attempts", String(p.hold.attempts)],
    ...["--interval", String(p.hold.intervalMs), "--deadline", String(p.hold.deadlineMs)],
    ...(p.burst ? ["--burst", String(p.burst.requests), "--concurrency", String(p.burst.concurrency)] : []),
    ...(p.expectCaller ? ["--expect-caller", p.expectCaller] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Which add-on checks the stack calls for

/** Jaeger and Kiali, as the stack outputs `jaeger` and `kiali` name them (null: not installed). */
export function outputTargets(facts: Pick<StackFacts, "jaeger" | "kiali">): {
  traces: Target<ServiceEndpoint>;
  kiali: Target<ServiceEndpoint>;
} {
  return {
    traces: facts.jaeger
      ? { run: facts.jaeger }
      : { notRun: "not run: the stack output jaeger is null (tracing is not jaeger)" },
    kiali: facts.kiali
      ? { run: facts.kiali }
      : { notRun: "not run: the stack output kiali is null (kiali is off)" },
  };
}

export interface SettingsTargets {
  egress: Target<{ url: string }>;
  rateLimit: Target<{ url: string; burst: { requests: number; concurrency: number } }>;
  rollout: Target<{ namespace: string; name: string }>;
}

/**
 * The checks that follow from the stack's settings: the first egress host when the cluster reaches
 * the internet, the burst the verification plans (stacks/plan-addons.ts addonChecks) and the Rollout
 * of the instance under canary analysis.
 */
export function settingsTargets(
  s: Pick<Settings, "egress" | "delivery">,
  addonChecks: readonly Pick<CheckPlan, "expect" | "to" | "burst">[],
  facts: Pick<StackFacts, "pingUrls" | "namespaces">,
): SettingsTargets {
  const host = s.egress.gateway?.hosts[0];
  const egress: SettingsTargets["egress"] =
    host === undefined
      ? { notRun: "not run: the stack lists no egress host (egressGateway, egressHosts)" }
      : s.egress.internetAccess
        ? { run: { url: `https://${host}/` } }
        : { notRun: "not run: the stack says the cluster has no internet access (internetAccess=false)" };

  const check = addonChecks.find((c) => c.expect === "rate-limited" && c.burst !== undefined);
  const url = check && (typeof check.to === "string" ? facts.pingUrls[check.to] : check.to.url);
  const rateLimit: SettingsTargets["rateLimit"] =
    check?.burst && url
      ? { run: { url, burst: check.burst } }
      : { notRun: "not run: the stack sets no rate limit (rateLimitRequestsPerSecond=0)" };

  const rollout: SettingsTargets["rollout"] = s.delivery
    ? { run: { namespace: facts.namespaces[s.delivery.instance], name: ROLLOUT_NAME } }
    : { notRun: "not run: the stack runs no Argo Rollout (canaryAnalysis=false)" };
  return { egress, rateLimit, rollout };
}

/** Every settings-based check not run, with the reason. */
export function unreadSettings(reason: string): SettingsTargets {
  return { egress: { notRun: reason }, rateLimit: { notRun: reason }, rollout: { notRun: reason } };
}

/** An Automation API ConfigMap (`{key: {value, secret}}`) as the engine passes config: key to string. */
export function rawConfig(
  config: Record<string, { value: string; secret?: boolean }>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, v]) => [key, v.value]));
}

// ---------------------------------------------------------------------------------------------
// Jaeger's HTTP query API (jaegertracing/jaeger cmd/query/app/http_handler.go): every answer is a
// structuredResponse {data, total, limit, offset, errors}; /api/services has the service names as
// data, /api/traces the traces in the UI model (internal/uimodel/model.go: Trace {traceID, spans,
// processes}, Span {spanID, processID or process, tags}, Process {serviceName, tags}, KeyValue
// {key, type, value}).

/** The prefix of the pingpong sidecars' service names: `<app label>.<namespace>`. */
export const TRACE_SERVICE_PREFIX = "pingpong.";

/** The pingpong services of an /api/services answer; undefined when it is not one. */
export function pingpongServices(body: unknown): string[] | undefined {
  if (!isRecord(body) || !(Array.isArray(body.data) || body.data === null)) return undefined;
  return ((body.data ?? []) as unknown[]).filter(
    (s): s is string => typeof s === "string" && s.startsWith(TRACE_SERVICE_PREFIX),
  );
}

/** The service to search traces of: the callee instance's when listed, else the first pingpong one. */
export function traceService(services: readonly string[], calleeNamespace: string): string | undefined {
  return services.find((s) => s === `${TRACE_SERVICE_PREFIX}${calleeNamespace}`) ?? services[0];
}

const tagValue = (tags: unknown, key: string): string | undefined => {
  if (!Array.isArray(tags)) return undefined;
  const tag = (tags as unknown[]).find((t) => isRecord(t) && t.key === key);
  return isRecord(tag) && typeof tag.value === "string" ? tag.value : undefined;
};

/**
 * The namespaces of the pingpong sidecars that reported spans of a trace. A span is a pingpong
 * sidecar's when its process's service name starts with `pingpong.` or its `istio.canonical_service`
 * tag is `pingpong`; its namespace is its `istio.namespace` tag (istio/istio
 * pilot/pkg/networking/core/tracing.go custom tags), else the service name's suffix.
 */
export function sidecarNamespaces(trace: unknown): Set<string> {
  const found = new Set<string>();
  if (!isRecord(trace) || !Array.isArray(trace.spans)) return found;
  const processes = isRecord(trace.processes) ? trace.processes : {};
  for (const span of trace.spans as unknown[]) {
    if (!isRecord(span)) continue;
    const proc = isRecord(span.process)
      ? span.process
      : typeof span.processID === "string" && isRecord(processes[span.processID])
        ? (processes[span.processID] as Record<string, unknown>)
        : {};
    const service = typeof proc.serviceName === "string" ? proc.serviceName : "";
    const tag = (key: string) => tagValue(span.tags, key) ?? tagValue(proc.tags, key);
    const pingpong =
      service.startsWith(TRACE_SERVICE_PREFIX) ||
      tag("istio.canonical_service") === TRACE_SERVICE_PREFIX.slice(0, -1);
    if (!pingpong) continue;
    const namespace =
      tag("istio.namespace") ??
      (service.startsWith(TRACE_SERVICE_PREFIX) ? service.slice(TRACE_SERVICE_PREFIX.length) : undefined);
    if (namespace) found.add(namespace);
  }
  return found;
}

/** An /api/traces answer passes when one of its traces has spans from both instances' sidecars. */
export function judgeTraces(body: unknown, namespaces: { a: string; b: string }): Verdict {
  if (!isRecord(body) || !(Array.isArray(body.data) || body.data === null)) {
    return { pass: false, detail: "not a Jaeger /api/traces answer" };
  }
  const errors = Array.isArray(body.errors)
    ? (body.errors as unknown[]).map((e) => (isRecord(e) && typeof e.msg === "string" ? e.msg : String(e)))
    : [];
  const traces = (body.data ?? []) as unknown[];
  if (traces.length === 0) {
    return {
      pass: false,
      detail: `no traces yet${errors.length > 0 ? ` (errors: ${errors.join("; ")})` : ""}`,
    };
  }
  const wanted = [namespaces.a, namespaces.b];
  for (const trace of traces) {
    const seen = sidecarNamespaces(trace);
    if (wanted.every((ns) => seen.has(ns))) {
      const id = isRecord(trace) && typeof trace.traceID === "string" ? trace.traceID : "?";
      const spans = isRecord(trace) && Array.isArray(trace.spans) ? trace.spans.length : 0;
      return {
        pass: true,
        detail: `trace ${id}: ${spans} spans, from the sidecars in ${wanted.join(" and ")}`,
      };
    }
  }
  const first = [...sidecarNamespaces(traces[0])];
  return {
    pass: false,
    detail: `none of ${traces.length} traces has spans from the sidecars in both ${wanted.join(" and ")} (the first: ${
      first.length > 0 ? first.join(", ") : "no pingpong sidecar"
    })`,
  };
}

// ---------------------------------------------------------------------------------------------
// Kiali's API under its web root (kiali/kiali routing/routes.go: GET /api/status "Endpoint to get
// the status of Kiali", GET /api/namespaces "the list of the available namespaces"): /api/status
// answers a StatusInfo (status/status.go: {status: {"Kiali state": "running", "Kiali version": ...},
// externalServices, warningMessages, istioEnvironment}); /api/namespaces a list of models.Namespace
// (models/namespace.go: {name, cluster, isAmbient, labels, annotations, revision}).

export function judgeKialiStatus(status: number | undefined, body: unknown): Verdict {
  const state = isRecord(body) && isRecord(body.status) ? body.status["Kiali state"] : undefined;
  if (status === 200 && state === "running") {
    const version = isRecord(body) && isRecord(body.status) ? body.status["Kiali version"] : undefined;
    return { pass: true, detail: `running${typeof version === "string" ? ` (${version})` : ""}` };
  }
  return {
    pass: false,
    detail: `expected HTTP 200 with "Kiali state": "running", got HTTP ${status ?? "no answer"}${
      state === undefined ? "" : ` with state ${JSON.stringify(state)}`
    }`,
  };
}

/** The namespace names of an /api/namespaces answer; undefined when it is not one. */
export function kialiNamespaces(body: unknown): string[] | undefined {
  if (!Array.isArray(body)) return undefined;
  return (body as unknown[]).flatMap((n) => (isRecord(n) && typeof n.name === "string" ? [n.name] : []));
}

export function judgeKialiNamespaces(body: unknown, namespace: string): Verdict {
  const names = kialiNamespaces(body);
  if (names === undefined) return { pass: false, detail: "/api/namespaces: not a list of namespaces" };
  return names.includes(namespace)
    ? { pass: true, detail: `lists ${namespace} among ${names.length} namespaces` }
    : {
        pass: false,
        detail: `${namespace} not among ${names.length > 0 ? names.join(", ") : "no namespaces"}`,
      };
}

// ---------------------------------------------------------------------------------------------
// Argo Rollouts

/** The jsonpath the rollout check prints: the phase, a tab, the controller's message. */
export const ROLLOUT_JSONPATH = '{.status.phase}{"\\t"}{.status.message}';

/**
 * Healthy, Progressing, Paused or Degraded (argo-rollouts pkg/apis/rollouts/v1alpha1/types.go RolloutPhase),
 * from the output of `kubectl get rollout -o jsonpath=ROLLOUT_JSONPATH`.
 */
export function judgeRollout(output: string): Verdict {
  const [rawPhase = "", ...rest] = output.replace(/\r?\n$/, "").split("\t");
  const phase = rawPhase.trim();
  const message = rest.join(" ").trim();
  if (phase === "Healthy") return { pass: true, detail: "phase Healthy" };
  return {
    pass: false,
    detail: `phase ${phase === "" ? "not reported yet" : phase}${message ? ` (${message})` : ""}`,
  };
}

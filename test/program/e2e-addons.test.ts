// The pure parts of the end-to-end suite's add-on checks (test/e2e/): no network, no cluster.
import { IMAGE_PATHS } from "../../app/src/contract";
import { parseProbeArgs } from "../../app/src/probe-args";
import { serviceSelector } from "../../components/workload";
import { plan } from "../../stacks/plan";
import { addonChecks } from "../../stacks/plan-addons";
import { parseSettings } from "../../stacks/settings";
import { runIf } from "../e2e/checks-addons";
import { CHECKS, exitCodeFor } from "../e2e/harness";
import {
  ROLLOUT_JSONPATH,
  judgeKialiNamespaces,
  judgeKialiStatus,
  judgeRollout,
  judgeTraces,
  labelSelector,
  outputTargets,
  pingpongServices,
  probeCommand,
  rawConfig,
  readyPod,
  settingsTargets,
  traceService,
  unreadSettings,
} from "../e2e/harness-addons";
import {
  TRACE_ID,
  jaegerAnswer,
  kialiNamespace,
  kialiStatus,
  pingTrace,
  pod,
  podList,
  jaegerProcess,
  tag,
} from "../e2e/fixtures/upstream-answers";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";

const NAMESPACES = { a: "pingpong-a", b: "pingpong-b", c: "pingpong-c" };
const PING_URLS = {
  a: "http://pingpong.pingpong-a.svc.cluster.local:8080/ping",
  b: "http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
};
const devSettings = (config: Record<string, string | number | boolean> = {}) =>
  parseSettings(engineConfig({ ...stackConfig("dev"), ...config }), "dev");
const targetsFor = (config: Record<string, string | number | boolean> = {}) => {
  const s = devSettings(config);
  return settingsTargets(s, addonChecks(s, plan(s).addons), { pingUrls: PING_URLS, namespaces: NAMESPACES });
};

describe("which add-on checks the stack calls for", () => {
  it("in dev: example.com, the verification's burst against pingpong-b, the Rollout pingpong in pingpong-b", () => {
    const s = devSettings();
    const burst = addonChecks(s, plan(s).addons).find((c) => c.name === "a-to-b-burst")?.burst;
    expect(burst).toBeDefined();
    expect(targetsFor()).toEqual({
      egress: { run: { url: "https://example.com/" } },
      rateLimit: { run: { url: PING_URLS.b, burst } },
      rollout: { run: { namespace: "pingpong-b", name: "pingpong" } },
    });
  });

  it("does not run egress without internet access, saying so", () => {
    expect(targetsFor({ internetAccess: false }).egress).toEqual({
      notRun: "not run: the stack says the cluster has no internet access (internetAccess=false)",
    });
    expect(targetsFor({ egressHosts: "" }).egress).toEqual({
      notRun: "not run: the stack lists no egress host (egressGateway, egressHosts)",
    });
  });

  it("does not run the rate limit or rollout checks when the stack has neither", () => {
    expect(targetsFor({ rateLimitRequestsPerSecond: 0 }).rateLimit).toEqual({
      notRun: "not run: the stack sets no rate limit (rateLimitRequestsPerSecond=0)",
    });
    expect(targetsFor({ canaryAnalysis: false }).rollout).toEqual({
      notRun: "not run: the stack runs no Argo Rollout (canaryAnalysis=false)",
    });
  });

  it("reads the stack's config from an Automation API ConfigMap as the engine passes it", () => {
    const configMap = {
      "pingpong:internetAccess": { value: "false", secret: false },
      "pingpong:rateLimitBurst": { value: "80", secret: false },
    };
    expect(rawConfig(configMap)).toEqual({
      "pingpong:internetAccess": "false",
      "pingpong:rateLimitBurst": "80",
    });
    const s = parseSettings(rawConfig(configMap), "dev");
    expect(s.egress.internetAccess).toBe(false);
    expect(s.rateLimit?.burst).toBe(80);
  });

  it("takes Jaeger and Kiali from the outputs, and marks them not run when null", () => {
    const kiali = { service: "kiali", namespace: "monitoring", port: 20001, path: "/kiali" };
    expect(outputTargets({ jaeger: null, kiali })).toEqual({
      traces: { notRun: "not run: the stack output jaeger is null (tracing is not jaeger)" },
      kiali: { run: kiali },
    });
    expect(outputTargets({ jaeger: null, kiali: null }).kiali).toEqual({
      notRun: "not run: the stack output kiali is null (kiali is off)",
    });
  });

  it("reports a check the stack does not call for as not run, never as passed", async () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const body = jest.fn(() => Promise.resolve({ pass: true, detail: "ran" }));
      const result = await runIf("egress", unreadSettings("not run: no settings").egress, 1000, body);
      expect(body).not.toHaveBeenCalled();
      expect(result).toEqual({ name: CHECKS[7].title, status: "not-run", detail: "not run: no settings" });
      expect(CHECKS[7].id).toBe("egress");
      expect(exitCodeFor([result])).toBe(1);
    } finally {
      log.mockRestore();
    }
  });
});

describe("pods and probe commands", () => {
  it("picks a Running, Ready pod that is not being deleted", () => {
    const others = [
      pod("pingpong-v1-5d8f-old", "Running", true, true),
      pod("pingpong-v1-5d8f-new", "Pending", false),
      pod("pingpong-v1-5d8f-warm", "Running", false),
    ];
    expect(readyPod(podList(...others, pod("pingpong-v1-5d8f-ok", "Running", true))).pod).toBe(
      "pingpong-v1-5d8f-ok",
    );
    expect(readyPod(podList(...others))).toEqual({
      detail:
        "no ready pod among pingpong-v1-5d8f-old (terminating), pingpong-v1-5d8f-new (Pending), pingpong-v1-5d8f-warm (Running, not ready)",
    });
    expect(readyPod(podList()).detail).toBe("no pod matches");
    expect(readyPod({ items: "x" }).detail).toBe("not a PodList");
  });

  it("selects the instance's pods as its Service does", () => {
    expect(labelSelector(serviceSelector())).toBe("app=pingpong");
    expect(labelSelector({ app: "pingpong", version: "v1" })).toBe("app=pingpong,version=v1");
  });

  it("builds probe commands the image's probe accepts", () => {
    const hold = { timeoutMs: 10_000, attempts: 2, intervalMs: 1_000, deadlineMs: 120_000 };
    const target = targetsFor().rateLimit;
    if (!("run" in target)) throw new Error("dev has a rate limit");
    const burst = probeCommand("/nodejs/bin/node", IMAGE_PATHS.probe, {
      url: target.run.url,
      expect: "rate-limited",
      burst: target.run.burst,
      hold,
    });
    expect(burst.slice(0, 2)).toEqual(["/nodejs/bin/node", "/app/dist/probe.js"]);
    expect(parseProbeArgs(burst.slice(2))).toMatchObject({
      url: new URL(PING_URLS.b),
      expect: "rate-limited",
      burst: target.run.burst.requests,
      concurrency: target.run.burst.concurrency,
      attempts: 2,
      deadlineMs: 120_000,
    });
    const caller = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
    const success = probeCommand("node", "probe.js", {
      url: PING_URLS.b,
      expect: "success",
      expectCaller: caller,
      hold,
    });
    expect(parseProbeArgs(success.slice(2))).toMatchObject({ expect: "success", expectCaller: caller });
    const reached = probeCommand("node", "probe.js", {
      url: "https://example.com/",
      expect: "reached",
      hold,
    });
    expect(parseProbeArgs(reached.slice(2))).toMatchObject({ expect: "reached", burst: undefined });
  });
});

describe("Jaeger's answers", () => {
  it("lists the pingpong services and searches the callee's", () => {
    const services = jaegerAnswer([
      "istio-ingressgateway.istio-ingress",
      "pingpong.pingpong-a",
      "pingpong.pingpong-b",
    ]);
    expect(pingpongServices(services)).toEqual(["pingpong.pingpong-a", "pingpong.pingpong-b"]);
    expect(traceService(["pingpong.pingpong-a", "pingpong.pingpong-b"], "pingpong-b")).toBe(
      "pingpong.pingpong-b",
    );
    expect(traceService(["pingpong.pingpong-a"], "pingpong-b")).toBe("pingpong.pingpong-a");
    expect(traceService([], "pingpong-b")).toBeUndefined();
    expect(pingpongServices(jaegerAnswer(null))).toEqual([]);
    expect(pingpongServices(jaegerAnswer(["jaeger"]))).toEqual([]);
    expect(pingpongServices("<html>")).toBeUndefined();
  });

  it("passes a trace with spans from both instances' sidecars", () => {
    expect(judgeTraces(jaegerAnswer([pingTrace]), NAMESPACES)).toEqual({
      pass: true,
      detail: `trace ${TRACE_ID}: 2 spans, from the sidecars in pingpong-a and pingpong-b`,
    });
  });

  it("fails a trace one sidecar alone reported, or of other namespaces, unless another trace has both", () => {
    const serverOnly = { ...pingTrace, spans: [pingTrace.spans[1]] };
    expect(judgeTraces(jaegerAnswer([serverOnly]), NAMESPACES)).toEqual({
      pass: false,
      detail:
        "none of 1 traces has spans from the sidecars in both pingpong-a and pingpong-b (the first: pingpong-b)",
    });
    expect(judgeTraces(jaegerAnswer([pingTrace]), { a: "pingpong-x", b: "pingpong-b" }).pass).toBe(false);
    const gateway = {
      traceID: "1",
      spans: [
        { spanID: "g", processID: "p1", tags: [tag("istio.canonical_service", "istio-ingressgateway")] },
      ],
      processes: { p1: jaegerProcess("istio-ingressgateway.istio-ingress") },
    };
    expect(judgeTraces(jaegerAnswer([gateway]), NAMESPACES).detail).toMatch(/the first: no pingpong sidecar/);
    expect(judgeTraces(jaegerAnswer([gateway, serverOnly, pingTrace]), NAMESPACES).pass).toBe(true);
  });

  it("reads the sidecar from span tags and an inline process too", () => {
    const inline = {
      traceID: TRACE_ID,
      spans: pingTrace.spans.map(({ processID: _, ...rest }) => ({
        ...rest,
        process: jaegerProcess("pingpong"),
      })),
      processes: {},
    };
    expect(judgeTraces(jaegerAnswer([inline]), NAMESPACES).pass).toBe(true);
  });

  it("fails an empty or malformed answer, naming Jaeger's errors", () => {
    expect(judgeTraces(jaegerAnswer([]), NAMESPACES)).toEqual({ pass: false, detail: "no traces yet" });
    expect(
      judgeTraces(jaegerAnswer(null, [{ code: 500, msg: "storage unavailable" }]), NAMESPACES).detail,
    ).toBe("no traces yet (errors: storage unavailable)");
    expect(judgeTraces({ data: "x" }, NAMESPACES).detail).toBe("not a Jaeger /api/traces answer");
  });
});

describe("Kiali's answers", () => {
  it("passes a running Kiali only on HTTP 200", () => {
    expect(judgeKialiStatus(200, kialiStatus)).toEqual({ pass: true, detail: "running (v2.29.0)" });
    expect(judgeKialiStatus(503, kialiStatus).pass).toBe(false);
    expect(judgeKialiStatus(200, { ...kialiStatus, status: { "Kiali state": "starting" } }).detail).toBe(
      'expected HTTP 200 with "Kiali state": "running", got HTTP 200 with state "starting"',
    );
    expect(judgeKialiStatus(undefined, undefined).detail).toMatch(/got HTTP no answer$/);
  });

  it("finds pingpong-a among the namespaces Kiali lists", () => {
    const body = [kialiNamespace("istio-system"), kialiNamespace("pingpong-a"), kialiNamespace("pingpong-b")];
    expect(judgeKialiNamespaces(body, "pingpong-a")).toEqual({
      pass: true,
      detail: "lists pingpong-a among 3 namespaces",
    });
    expect(judgeKialiNamespaces([kialiNamespace("pingpong-b")], "pingpong-a")).toEqual({
      pass: false,
      detail: "pingpong-a not among pingpong-b",
    });
    expect(judgeKialiNamespaces({ error: "unauthorized" }, "pingpong-a").pass).toBe(false);
  });
});

describe("the Rollout's phase", () => {
  it("passes Healthy only", () => {
    expect(ROLLOUT_JSONPATH).toBe('{.status.phase}{"\\t"}{.status.message}');
    expect(judgeRollout("Healthy\t")).toEqual({ pass: true, detail: "phase Healthy" });
    expect(judgeRollout("Progressing\tmore replicas need to be updated")).toEqual({
      pass: false,
      detail: "phase Progressing (more replicas need to be updated)",
    });
    expect(
      judgeRollout("Degraded\tProgressDeadlineExceeded: ReplicaSet has timed out progressing.").pass,
    ).toBe(false);
    expect(judgeRollout("")).toEqual({ pass: false, detail: "phase not reported yet" });
    expect(judgeRollout("\twaiting for the controller").detail).toBe(
      "phase not reported yet (waiting for the controller)",
    );
  });
});

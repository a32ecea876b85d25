import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_PATHS } from "../../app/src/contract";
import { parseProbeArgs } from "../../app/src/probe-args";
import {
  ACCEPTANCE,
  ACCEPTANCE_SERVICE_ACCOUNT,
  CanaryAnalysis,
  DEFAULT_MEASUREMENTS,
  TOLERATED_FAILED_MEASUREMENTS,
  type CanaryAnalysisArgs,
} from "../../components/canary-analysis";
import { PingpongService } from "../../components/pingpong-service";
import { CANARY_HASH_ARG } from "../../components/rollout-spec";
import { ArgoRollouts } from "../../components/rollouts";
import { Traffic } from "../../components/traffic";
import { serviceHost, serviceSelector } from "../../components/workload";
import { plan } from "../../stacks/plan";
import { parseSettings } from "../../stacks/settings";
import { specErrors } from "../program/crd-schema";
import { metricsInExpr } from "../support/promql";
import {
  engineConfig,
  kubernetesKind,
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  selects,
  type ProgramRun,
} from "../support/program";
import { describeWithReference } from "../support/reference";
import { stackConfig } from "../support/stack-files";
import { T } from "../support/tokens";

/**
 * The CanaryAnalysis component in pingpong-b's delivery: beside the controller, the Traffic whose
 * routes the Rollout shifts, and the PingpongService whose Rollout runs the analysis.
 */

const NS = "team-b";
const PROMETHEUS = "http://kube-prometheus-stack-prometheus.metrics:9090";
const IMAGE = "registry.example/pingpong@sha256:" + "b".repeat(64);
const THRESHOLDS = { successPercent: 99.5, p99Ms: 250 };

/**
 * The labels of Istio's standard metrics (istio.io content/en/docs/reference/config/metrics,
 * "Labels"), `le` of histogram buckets, and `pod`, the label the Prometheus Operator gives every
 * PodMonitor target (prometheus-operator pkg/prometheus/promcfg.go).
 */
const PER_PEER = "workload workload_namespace principal app version canonical_service canonical_revision";
const SERIES_LABELS = new Set([
  ..."reporter request_protocol response_code response_flags grpc_response_status".split(" "),
  ..."connection_security_policy source_cluster destination_cluster destination_service".split(" "),
  ..."destination_service_name destination_service_namespace le pod".split(" "),
  ...PER_PEER.split(" ").flatMap((l) => [`source_${l}`, `destination_${l}`]),
]);

/** Stands in for Istio's releases. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

function render(thresholds: CanaryAnalysisArgs["thresholds"] = THRESHOLDS): Promise<ProgramRun> {
  const p = plan(parseSettings(engineConfig(stackConfig("prod")), "prod"));
  return runComponent(() => {
    const { ready } = new ArgoRollouts("argo", { chartVersion: "2.41.0", controllerReplicas: 1 });
    const canaryUrl = PingpongService.canaryUrlIn(NS);
    const analysis = new CanaryAnalysis("analysis", {
      namespace: NS,
      prometheusUrl: PROMETHEUS,
      canaryUrl,
      image: IMAGE,
      thresholds,
      dependsOn: ready,
    });
    const controlPlane = [new ControlPlane("istiod")];
    const analysisSubsets = { stableSubset: "stable", canarySubset: "canary" };
    const traffic = new Traffic("traffic-b", {
      ...p.instances.b.traffic,
      namespace: NS,
      host: serviceHost(NS),
      controlPlane,
      analysis: analysisSubsets,
    });
    const trafficRouting = traffic.rolloutRouting!;
    const rollout = { analysisTemplate: analysis.templateName, trafficRouting, dependsOn: ready };
    const svc = new PingpongService("pingpong-b", { ...p.workload, namespace: NS, image: IMAGE, rollout });
    const { acceptanceIdentity: identity, acceptancePodLabels: podLabels } = analysis;
    return { identity, podLabels, canaryUrl: svc.canaryUrl };
  });
}

const only = (run: ProgramRun, type: string) => {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};
// Metrics are arbitrary JSON from the program.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const metric = (run: ProgramRun, name: string): any =>
  only(run, T.analysisTemplate).inputs.spec.metrics.find((m: { name: string }) => m.name === name);

/** The label matchers of a PromQL selector, and whether a series' labels meet them (regexes are anchored). */
function matchers(expr: string): Array<{ name: string; op: string; value: string }> {
  const inside = [...expr.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  return inside.flatMap((body) =>
    [...body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => ({
      name: m[1],
      op: m[2],
      value: m[3],
    })),
  );
}
function meets(expr: string, series: Record<string, string>): boolean {
  return matchers(expr).every(({ name, op, value }) => {
    const v = series[name] ?? "";
    const re = new RegExp(`^(?:${value})$`);
    return { "=": v === value, "!=": v !== value, "=~": re.test(v), "!~": !re.test(v) }[op];
  });
}

/**
 * A request the sidecar of a Rollout pod reports. The controller names the ReplicaSet
 * `<rollout>-<hash>` (argo-rollouts rollout/sync.go) and its pods `<replicaset>-<5 characters>`;
 * Istio names the workload after the Rollout by stripping `-<hash>` (istio pkg/kube/util.go).
 */
function reported(rollout: string, hash: string, extra: Record<string, string> = {}): Record<string, string> {
  const replicaSet = `${rollout}-${hash}`;
  return {
    reporter: "destination",
    destination_workload: replicaSet.slice(0, -`-${hash}`.length),
    destination_workload_namespace: NS,
    response_code: "200",
    pod: `${replicaSet}-x7k2p`,
    ...extra,
  };
}

describe("the analysis of pingpong-b's canary", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render()));
  const rolloutName = () => nameOf(only(run, T.rollout));
  /** A query as the controller runs it, the canary's hash in place of the argument. */
  const asRun = (query: string, hash: string) => query.replaceAll(`{{args.${CANARY_HASH_ARG}}}`, hash);

  test("the Rollout runs this template; it declares the one argument the Rollout's steps pass", () => {
    const template = only(run, T.analysisTemplate);
    expect(namespaceOf(template)).toBe(NS);
    const steps = only(run, T.rollout).inputs.spec.strategy.canary.steps.filter(
      (s: { analysis?: object }) => s.analysis,
    );
    for (const { analysis } of steps) {
      expect(analysis.templates).toEqual([{ templateName: nameOf(template) }]);
      expect(analysis.args.map((a: { name: string }) => a.name)).toEqual(
        template.inputs.spec.args.map((a: { name: string }) => a.name),
      );
    }
    expect(template.inputs.spec.metrics.map((m: { name: string }) => m.name)).toEqual([
      "success-rate",
      "latency-p99",
      "acceptance",
    ]);
  });

  test("the queries ask the configured Prometheus for Istio's request metrics, by labels those series carry", () => {
    const queries = ["success-rate", "latency-p99"].map((m) => metric(run, m).provider.prometheus);
    for (const q of queries) expect(q.address).toBe(PROMETHEUS);
    expect(metricsInExpr(queries[0].query)).toEqual(["istio_requests_total", "istio_requests_total"]);
    expect(metricsInExpr(queries[1].query)).toEqual(["istio_request_duration_milliseconds_bucket"]);
    for (const q of queries) {
      expect(matchers(q.query).length).toBeGreaterThan(0);
      for (const m of matchers(q.query)) expect(SERIES_LABELS).toContain(m.name);
      expect(q.query.split("(").length).toBe(q.query.split(")").length);
    }
  });

  test("they select the canary's pods, not the stable pods, not another namespace's", () => {
    const [success, latency] = ["success-rate", "latency-p99"].map(
      (m) => metric(run, m).provider.prometheus.query,
    );
    for (const q of [success, latency].map((x) => asRun(x, "c4n4ry5"))) {
      expect(meets(q, reported(rolloutName(), "c4n4ry5"))).toBe(true);
      expect(meets(q, reported(rolloutName(), "st4bl3x"))).toBe(false);
      expect(meets(q, reported(rolloutName(), "c4n4ry5", { destination_workload_namespace: "other" }))).toBe(
        false,
      );
      expect(meets(q, reported(rolloutName(), "c4n4ry5", { reporter: "source" }))).toBe(false);
    }
    // The numerator counts only what is not a 5xx.
    const numerator = asRun(success.split(" / ")[0], "c4n4ry5");
    expect(meets(numerator, reported(rolloutName(), "c4n4ry5", { response_code: "503" }))).toBe(false);
    expect(meets(numerator, reported(rolloutName(), "c4n4ry5", { response_code: "404" }))).toBe(true);
  });

  test("the conditions carry the thresholds, both guarded by a non-empty result; measured as configured", () => {
    expect(metric(run, "success-rate")).toMatchObject({
      successCondition: "len(result) > 0 && result[0] >= 0.995",
      failureCondition: "len(result) > 0 && result[0] < 0.995",
      ...DEFAULT_MEASUREMENTS,
    });
    expect(metric(run, "latency-p99")).toMatchObject({
      successCondition: `len(result) > 0 && result[0] <= ${THRESHOLDS.p99Ms}`,
      failureCondition: `len(result) > 0 && result[0] > ${THRESHOLDS.p99Ms}`,
    });
    expect(metric(run, "latency-p99").provider.prometheus.query).toContain(
      `[${DEFAULT_MEASUREMENTS.interval}]`,
    );
  });

  test("the acceptance probe calls the canary Service's /ping; the app's own parser accepts its arguments", () => {
    const [container] = metric(run, "acceptance").provider.job.spec.template.spec.containers;
    expect(container.image).toBe(IMAGE);
    expect(container.args[0]).toBe(IMAGE_PATHS.probe);
    const parsed = parseProbeArgs(container.args.slice(1));
    expect(parsed).toMatchObject({ expect: "success", attempts: ACCEPTANCE.attempts });
    expect(parsed.url.href).toBe(run.outputs.canaryUrl);
    const canaryService = ofType(run, T.service).find((s) => nameOf(s) !== "pingpong")!;
    expect(parsed.url.hostname).toBe(`${nameOf(canaryService)}.${NS}.svc.cluster.local`);
  });

  test("the Job runs once, in the mesh, as its own account: the identity and pod labels callers must admit", () => {
    const { spec } = metric(run, "acceptance").provider.job;
    expect(spec.backoffLimit).toBe(0);
    const { metadata, spec: pod } = spec.template;
    expect(metadata.annotations["sidecar.istio.io/nativeSidecar"]).toBe("true");
    expect(metadata.labels["sidecar.istio.io/inject"]).toBe("true");
    expect(metadata.labels).toMatchObject(run.outputs.podLabels as Record<string, string>);
    const account = ofType(run, T.serviceAccount).find((a) => nameOf(a) === ACCEPTANCE_SERVICE_ACCOUNT)!;
    expect(account.inputs.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(nameOf(account));
    expect(run.outputs.identity).toEqual({ namespace: NS, serviceAccount: nameOf(account) });
    // Neither the app's NetworkPolicy nor the canary Service selects the probe itself.
    expect(selects({ matchLabels: serviceSelector() }, metadata.labels)).toBe(false);
  });

  test("Argo fails a measured metric on the second failed measurement, the acceptance Job on the first; the docs say so", () => {
    // argo-rollouts v1.9.0 analysis/analysis.go, assessMetricFailureInconclusiveOrError: a metric
    // fails when `result.Failed > failureLimit`, failureLimit 0 when unset.
    const argoFails = (m: { failureLimit?: number }, failed: number) => failed > (m.failureLimit ?? 0);
    const firstFailing = (m: { failureLimit?: number }) => {
      let failed = 0;
      while (!argoFails(m, failed)) failed++;
      return failed;
    };
    expect(TOLERATED_FAILED_MEASUREMENTS).toBe(1);
    for (const name of ["success-rate", "latency-p99"]) {
      const m = metric(run, name);
      expect(firstFailing(m)).toBe(TOLERATED_FAILED_MEASUREMENTS + 1);
      expect(firstFailing(m)).toBeLessThanOrEqual(m.count);
    }
    expect(firstFailing(metric(run, "acceptance"))).toBe(1);
    const doc = readFileSync(path.resolve(__dirname, "../../docs/progressive-delivery.md"), "utf8").replace(
      /\s+/g,
      " ",
    );
    const ordinal = ["zeroth", "first", "second", "third"];
    expect(doc).toContain(
      `tolerates ${TOLERATED_FAILED_MEASUREMENTS} failed measurement of \`success-rate\` or \`latency-p99\` ` +
        `and fails on the ${ordinal[TOLERATED_FAILED_MEASUREMENTS + 1]}`,
    );
    expect(doc).not.toContain("fails after `failureLimit`");
  });

  test("other measurements when asked; refused: thresholds outside their range", async () => {
    const other = await render({ ...THRESHOLDS, interval: "30s", count: 3, failureLimit: 0 });
    expect(metric(other, "success-rate")).toMatchObject({ interval: "30s", count: 3, failureLimit: 0 });
    expect(metric(other, "success-rate").provider.prometheus.query).toContain("[30s]");
    await expect(render({ successPercent: 120, p99Ms: 100 })).rejects.toThrow(/thresholds/);
    await expect(render({ successPercent: 99, p99Ms: 0 })).rejects.toThrow(/thresholds/);
  });

  test("the Rollout shifts the weights of the DestinationRule and VirtualService Traffic creates beside it", () => {
    const [rule, vs, rollout] = [
      only(run, T.destinationRule),
      only(run, T.virtualService),
      only(run, T.rollout),
    ];
    const { istio } = rollout.inputs.spec.strategy.canary.trafficRouting;
    const { canarySubsetName, stableSubsetName } = istio.destinationRule;
    for (const r of [rule, vs]) expect(namespaceOf(r)).toBe(namespaceOf(rollout));
    expect([istio.destinationRule.name, istio.virtualService.name]).toEqual([nameOf(rule), nameOf(vs)]);
    const subsets = [canarySubsetName, stableSubsetName].sort();
    expect(rule.inputs.spec.subsets.map((x: { name: string }) => x.name).sort()).toEqual(subsets);
    // Each route the Rollout names holds both subsets of the Service's host and nothing else (istio.go ValidateHTTPRoutes).
    const host = serviceHost(NS, nameOf(ofType(run, T.service).find((x) => nameOf(x) === "pingpong")!));
    expect(rule.inputs.spec.host).toBe(host);
    for (const name of istio.virtualService.routes) {
      const [route] = vs.inputs.spec.http.filter((h: { name: string }) => h.name === name);
      expect(route.route.map((d: { destination: object }) => d.destination)).toEqual(
        expect.arrayContaining(subsets.map((subset) => expect.objectContaining({ host, subset }))),
      );
      expect(route.route).toHaveLength(2);
    }
  });

  test("the Rollout and the AnalysisTemplate wait for the release that installs their CRDs", () => {
    for (const type of [T.rollout, T.analysisTemplate])
      expect(only(run, type).dependsOn).toContain(only(run, T.release).name);
  });

  describeWithReference("against the CRD schemas", () => {
    test.each([T.analysisTemplate, T.destinationRule, T.virtualService])("%s is valid", (type) => {
      const { apiVersion, kind } = kubernetesKind(type)!;
      expect(specErrors(apiVersion, kind, only(run, type).inputs.spec)).toEqual([]);
    });

    test("the schema refuses an unknown metric field, so the check can fail", () => {
      const { spec } = only(run, T.analysisTemplate).inputs;
      const broken = { ...spec, metrics: [{ ...spec.metrics[0], treshold: 1 }] };
      expect(specErrors("argoproj.io/v1alpha1", "AnalysisTemplate", broken)).not.toEqual([]);
    });
  });
});

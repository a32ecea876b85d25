import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_PATHS } from "../app/src/contract";
import type { AnalysisMetric, AnalysisTemplateSpec } from "./crds";
import { ISTIO_METRICS } from "./dashboard-panels";
import { componentLabels, standardLabels } from "./labels";
import { proxyConfigAnnotation } from "./mesh";
import type { Identity } from "./mesh-security";
import { restrictedContainerSecurity, restrictedPodSecurity } from "./pod-security";
import { CANARY_HASH_ARG, ROLLOUT_NAME } from "./rollout-spec";
import { RUN_AS } from "./workload";

type JobSpec = k8s.types.input.batch.v1.JobSpec;

const COMPONENT = "canary-acceptance";

/** Labels of the acceptance Job's pods: NetworkPolicies admit them to the app by these. */
export const ACCEPTANCE_POD_LABELS: Record<string, string> = componentLabels(COMPONENT);
export const ACCEPTANCE_SERVICE_ACCOUNT = "pingpong-acceptance";
export const ANALYSIS_TEMPLATE_NAME = "pingpong-canary";

const ISTIO_REQUESTS = ISTIO_METRICS.requests;
const ISTIO_DURATION_BUCKETS = `${ISTIO_METRICS.duration}_bucket`;

export interface AnalysisThresholds {
  /** Least percent of the canary's requests answered without a 5xx. */
  successPercent: number;
  /** Highest p99 latency of the canary's requests, in milliseconds. */
  p99Ms: number;
  /** Between measurements, and the rate window of each (a Prometheus duration). */
  interval?: string;
  /** Measurements per analysis step. */
  count?: number;
  /**
   * Failed measurements tolerated: the metric, and with it the analysis, fails on one more
   * (argo-rollouts `Failed > failureLimit`, see TOLERATED_FAILED_MEASUREMENTS).
   */
  failureLimit?: number;
}

/**
 * The analysis tolerates one failed measurement of `success-rate` or `latency-p99` and fails, so the
 * Rollout aborts, on the second. Argo's `failureLimit` is that tolerance, not the count that fails:
 * argo-rollouts v1.9.0 (the argo-rollouts chart 2.41.0's appVersion) analysis/analysis.go,
 * assessMetricFailureInconclusiveOrError, fails a metric when `result.Failed > failureLimit`.
 * Why one: a one-minute window of the canary holds few requests at the ping rate (one a second per
 * caller pod, split with the stable pods), so a single 5xx already puts it under 99%; one noisy
 * minute out of five should not abort a rollout, two should.
 */
export const TOLERATED_FAILED_MEASUREMENTS = 1;

export const DEFAULT_MEASUREMENTS = {
  interval: "1m",
  count: 5,
  failureLimit: TOLERATED_FAILED_MEASUREMENTS,
} as const;

/** How the acceptance probe holds: consecutive successes, each within the timeout. */
export const ACCEPTANCE = { attempts: 10, timeoutMs: 5000, intervalMs: 1000, deadlineMs: 120_000 } as const;

/**
 * Series of the canary's own pods, as their sidecars report them. `reporter="destination"` counts
 * what the canary's proxy received; Istio names a Rollout's pods' workload after the Rollout
 * (istio/istio 1.31 pkg/kube/util.go). The canary and stable pods share that workload, and the
 * `version`/canonical-revision labels are read by the proxy once at start (istio/istio
 * pkg/bootstrap/config.go, readPodLabels), so they cannot follow a role that changes in place.
 * What tells the canary apart is its pod name, `<rollout>-<hash>-<suffix>` (argo-rollouts
 * rollout/sync.go), in the `pod` label the Prometheus Operator gives every PodMonitor target
 * (prometheus-operator pkg/prometheus/promcfg.go: `__meta_kubernetes_pod_name` -> `pod`).
 */
export function canarySelector(namespace: string, rollout: string): string {
  return [
    `reporter="destination"`,
    `destination_workload_namespace="${namespace}"`,
    `destination_workload="${rollout}"`,
    `pod=~"${rollout}-{{args.${CANARY_HASH_ARG}}}-.+"`,
  ].join(",");
}

export function successRateQuery(selector: string, window: string): string {
  const rate = (extra: string) => `sum(rate(${ISTIO_REQUESTS}{${selector}${extra}}[${window}]))`;
  return `${rate(`,response_code!~"5.."`)} / ${rate("")}`;
}

export function p99LatencyQuery(selector: string, window: string): string {
  return `histogram_quantile(0.99, sum by (le) (rate(${ISTIO_DURATION_BUCKETS}{${selector}}[${window}])))`;
}

/**
 * Conditions on the query's vector: it holds a value, which meets `pass` (or `fail`). With no
 * requests the query returns an empty vector or NaN, which meets neither: inconclusive, so the
 * Rollout pauses for a person to decide (argo-rollouts docs/features/analysis.md, "NaN and
 * Infinity", "Empty array").
 */
function conditions(
  pass: string,
  fail: string,
): Pick<AnalysisMetric<JobSpec>, "successCondition" | "failureCondition"> {
  return {
    successCondition: `len(result) > 0 && result[0] ${pass}`,
    failureCondition: `len(result) > 0 && result[0] ${fail}`,
  };
}

/** The probe's command line against the canary (app/src/probe-args.ts). */
export function acceptanceArgs(url: string): string[] {
  return [
    IMAGE_PATHS.probe,
    ...["--url", url, "--expect", "success"],
    ...["--attempts", String(ACCEPTANCE.attempts), "--timeout", String(ACCEPTANCE.timeoutMs)],
    ...["--interval", String(ACCEPTANCE.intervalMs), "--deadline", String(ACCEPTANCE.deadlineMs)],
  ];
}

/** Scheduling, image pull and sidecar start-up, on top of the probe's deadline. */
const JOB_DEADLINE_SECONDS = ACCEPTANCE.deadlineMs / 1000 + 60;

/** The acceptance Job: the app's probe in the mesh, as its own identity, never retried. */
export function acceptanceJobSpec(args: { image: string; url: string; serviceAccountName: string }): JobSpec {
  return {
    backoffLimit: 0,
    activeDeadlineSeconds: JOB_DEADLINE_SECONDS,
    template: {
      metadata: {
        labels: { ...ACCEPTANCE_POD_LABELS, "sidecar.istio.io/inject": "true" },
        // Native sidecar: the proxy stops when the probe exits, so the Job completes.
        annotations: { "sidecar.istio.io/nativeSidecar": "true", ...proxyConfigAnnotation() },
      },
      spec: {
        restartPolicy: "Never",
        serviceAccountName: args.serviceAccountName,
        automountServiceAccountToken: false,
        securityContext: restrictedPodSecurity(RUN_AS),
        containers: [
          {
            name: "probe",
            image: args.image,
            args: acceptanceArgs(args.url),
            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
            securityContext: restrictedContainerSecurity(),
          },
        ],
      },
    },
  };
}

export interface AnalysisSpecArgs {
  namespace: string;
  rolloutName: string;
  prometheusUrl: string;
  canaryUrl: string;
  image: string;
  serviceAccountName: string;
  thresholds: AnalysisThresholds;
}

/** Success rate and p99 latency of the canary's pods from Istio's metrics, and the acceptance probe. */
export function analysisTemplateSpec(a: AnalysisSpecArgs): AnalysisTemplateSpec<JobSpec> {
  const { successPercent, p99Ms } = a.thresholds;
  const interval = a.thresholds.interval ?? DEFAULT_MEASUREMENTS.interval;
  const measured = {
    interval,
    count: a.thresholds.count ?? DEFAULT_MEASUREMENTS.count,
    failureLimit: a.thresholds.failureLimit ?? DEFAULT_MEASUREMENTS.failureLimit,
  };
  const selector = canarySelector(a.namespace, a.rolloutName);
  const prometheus = (query: string) => ({ prometheus: { address: a.prometheusUrl, query } });
  // A percent as a fraction, without binary noise in the expression (99.9 -> 0.999).
  const ratio = Math.round(successPercent * 1e4) / 1e6;
  return {
    args: [{ name: CANARY_HASH_ARG }],
    metrics: [
      {
        name: "success-rate",
        ...measured,
        ...conditions(`>= ${ratio}`, `< ${ratio}`),
        provider: prometheus(successRateQuery(selector, interval)),
      },
      {
        name: "latency-p99",
        ...measured,
        ...conditions(`<= ${p99Ms}`, `> ${p99Ms}`),
        provider: prometheus(p99LatencyQuery(selector, interval)),
      },
      {
        // argo-rollouts docs/analysis/job.md: successful when the Job completes with exit code 0.
        // No count (one run) and no failureLimit (0): a failed Job fails the analysis at once.
        name: "acceptance",
        provider: {
          job: {
            // The controller creates the Job: no managed-by label of Pulumi's.
            metadata: { labels: ACCEPTANCE_POD_LABELS },
            spec: acceptanceJobSpec({
              image: a.image,
              url: a.canaryUrl,
              serviceAccountName: a.serviceAccountName,
            }),
          },
        },
      },
    ],
  };
}

export interface CanaryAnalysisArgs {
  /** The instance's namespace: the template, the Job and its ServiceAccount live there. */
  namespace: pulumi.Input<string>;
  /** The Rollout whose canary is analysed (PingpongService's `rolloutName`). */
  rolloutName?: pulumi.Input<string>;
  /** Prometheus's HTTP API as the controller reaches it, e.g. http://<release>-prometheus.<ns>:9090. */
  prometheusUrl: pulumi.Input<string>;
  /** http:// URL of /ping behind the canary Service (PingpongService's `canaryUrl` or `canaryUrlIn`). */
  canaryUrl: pulumi.Input<string>;
  /** The app's image: its probe runs the acceptance check. */
  image: pulumi.Input<string>;
  /** A pull Secret in the namespace, for a private registry. */
  imagePullSecretName?: pulumi.Input<string>;
  thresholds: AnalysisThresholds;
  /** The argo-rollouts release: the template waits for its CRD. */
  dependsOn?: pulumi.Resource[];
}

/** The AnalysisTemplate the Rollout's analysis steps run, and the identity its acceptance Job runs as. */
export class CanaryAnalysis extends pulumi.ComponentResource {
  public readonly templateName: pulumi.Output<string>;
  /** Who the acceptance Job is in the mesh: the instance's AuthorizationPolicy must admit it. */
  public readonly acceptanceIdentity: Identity;
  /** Labels of the acceptance Job's pods, for NetworkPolicies admitting them. */
  public readonly acceptancePodLabels: Record<string, string> = ACCEPTANCE_POD_LABELS;

  constructor(name: string, args: CanaryAnalysisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:delivery:CanaryAnalysis", name, {}, opts);
    const { successPercent, p99Ms } = args.thresholds;
    if (!(successPercent > 0 && successPercent <= 100) || !(p99Ms > 0)) {
      throw new Error(
        `CanaryAnalysis: thresholds ${successPercent}% and ${p99Ms} ms: expected 0-100% and > 0 ms`,
      );
    }
    const labels = standardLabels("pingpong", COMPONENT);
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: { name: ACCEPTANCE_SERVICE_ACCOUNT, namespace: args.namespace, labels },
        imagePullSecrets: args.imagePullSecretName ? [{ name: args.imagePullSecretName }] : undefined,
        automountServiceAccountToken: false,
      },
      { parent: this },
    );
    const template = new k8s.apiextensions.CustomResource(
      `${name}-template`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: { name: ANALYSIS_TEMPLATE_NAME, namespace: args.namespace, labels },
        spec: pulumi
          .all([
            args.namespace,
            args.rolloutName ?? ROLLOUT_NAME,
            args.prometheusUrl,
            args.canaryUrl,
            args.image,
            account.metadata.name,
          ])
          .apply(([namespace, rolloutName, prometheusUrl, canaryUrl, image, serviceAccountName]) =>
            analysisTemplateSpec({
              namespace,
              rolloutName,
              prometheusUrl,
              canaryUrl,
              image,
              serviceAccountName,
              thresholds: args.thresholds,
            }),
          ),
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.templateName = template.metadata.name;
    this.acceptanceIdentity = {
      namespace: account.metadata.namespace,
      serviceAccount: account.metadata.name,
    };
    this.registerOutputs({ templateName: this.templateName, acceptanceIdentity: this.acceptanceIdentity });
  }
}

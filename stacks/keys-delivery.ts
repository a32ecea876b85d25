import { hostClash, isEgressHostName } from "../components/egress-hosts";
import { LOAD_BALANCERS, OUTBOUND_TRAFFIC_POLICIES } from "../components/types";
import { DNS_LABEL, list } from "./formats";
import { between, bool, int, matches, oneOf, str } from "./key";

/** Rows of the settings table: egress control, rate limits, load balancing, progressive delivery. */

/** The first egress host the Egress component would refuse (its own test of a host name). */
const badHost = (v: string) => list(v).find((h) => !isEgressHostName(h));

export const DELIVERY_KEYS = {
  outboundTrafficPolicy: oneOf(OUTBOUND_TRAFFIC_POLICIES, {
    description:
      "Hosts outside the mesh's registry: ALLOW_ANY passes them on, REGISTRY_ONLY refuses them (only egressHosts are reachable).",
    default: { dev: "ALLOW_ANY", staging: "REGISTRY_ONLY", prod: "REGISTRY_ONLY" },
  }),
  egressGateway: bool({
    description: "Run an Istio egress gateway (egressNamespace) that traffic to egressHosts leaves through.",
    default: true,
  }),
  egressNamespace: str({
    description: "Namespace of the egress gateway.",
    default: "istio-egress",
    valid: matches(DNS_LABEL),
    expected: "a DNS label",
  }),
  egressHosts: str({
    description:
      "External HTTPS hosts (comma-separated) the pingpong workloads may reach, each through the egress gateway. Empty: none.",
    default: { dev: "example.com", staging: "", prod: "" },
    valid: (v: string) => badHost(v) === undefined && hostClash(list(v)) === undefined,
    expected: "comma-separated host names such as api.example.com, each once",
    detail: (v: string) =>
      badHost(v) !== undefined
        ? ` (not a host name: ${JSON.stringify(badHost(v))})`
        : ` (${hostClash(list(v)) ?? ""})`,
  }),
  internetAccess: bool({
    description:
      "The cluster reaches the internet: verification then also proves that a listed egress host is reached.",
    default: { dev: true, staging: false, prod: false },
  }),
  rateLimitRequestsPerSecond: int({
    description:
      "Local rate limit of every pingpong pod (and ingress gateway pod): requests per second it admits; above, HTTP 429. 0: off.",
    default: { dev: 20, staging: 100, prod: 200 },
    range: between(0, 1_000_000, "requests per second"),
  }),
  rateLimitBurst: int({
    description: "Local rate limit: requests admitted at once above the rate (the token bucket's size).",
    default: { dev: 40, staging: 200, prod: 400 },
    range: between(1, 1_000_000, "a request count"),
  }),
  loadBalancer: oneOf(LOAD_BALANCERS, {
    description:
      "How callers' sidecars pick a pingpong pod: ROUND_ROBIN, LEAST_REQUEST, or CONSISTENT_HASH on loadBalancerHashHeader.",
    default: "LEAST_REQUEST",
  }),
  loadBalancerHashHeader: str({
    description: "The header whose value picks the pod when loadBalancer is CONSISTENT_HASH.",
    optional: true,
    requiredWhen: { key: "loadBalancer", is: "CONSISTENT_HASH" },
    valid: matches(/^[a-z0-9-]+$/),
    expected: "a lowercase HTTP header name",
  }),
  canaryAnalysis: bool({
    description:
      "Automated canary analysis for pingpong-b (Argo Rollouts): a new image is promoted step by step while success rate and latency hold, rolled back otherwise.",
    default: { dev: true, staging: false, prod: false },
  }),
  argoRolloutsChartVersion: str({
    description: "Version of the argo-rollouts chart when canaryAnalysis is on.",
    // argoproj/argo-helm charts/argo-rollouts/Chart.yaml version 2.41.0 (commit af0a9310).
    default: "2.41.0",
    valid: matches(/^\d+\.\d+\.\d+$/),
    expected: "a chart version such as 2.41.0",
  }),
  analysisSuccessPercent: int({
    description: "Canary analysis: least percent of the canary's requests that succeed (non-5xx).",
    default: 99,
    range: between(1, 100, "a percentage"),
  }),
  analysisLatencyMs: int({
    description: "Canary analysis: highest p99 latency of the canary's requests, in milliseconds.",
    default: 500,
    range: between(1, 600_000, "milliseconds"),
  }),
} as const;

import { list } from "./formats";
import { fullKey as k, problem } from "./key";
import { rule, type Rule } from "./rule";
import type { Values } from "./table";

/** Cross-field rules of the mesh's add-ons: tracing, Kiali, egress, rate limits, load balancing, delivery. */

/** Something that reads the stack's own Prometheus or Grafana by the names the program gives them. */
const needsInstalledMonitoring = (key: "kiali" | "istioDashboards" | "canaryAnalysis", why: string) =>
  rule([key, "monitoring"], (v) => [
    v[key] &&
      v.monitoring !== "install" &&
      problem(key, v[key], `false unless ${k("monitoring")} is install: ${why}`),
  ]);

/** With tlsTermination=app the sidecars carry opaque TLS: no HTTP filter, route or span applies to pings. */
const needsHttpAtSidecars = <K extends "tracing" | "rateLimitRequestsPerSecond" | "canaryAnalysis">(
  key: K,
  off: Values[K],
) =>
  rule([key, "tlsTermination"], (v) => [
    v.tlsTermination === "app" &&
      v[key] !== off &&
      problem(
        key,
        v[key],
        `${JSON.stringify(off)} while ${k("tlsTermination")} is app: the sidecars see only TLS, not the HTTP it acts on`,
      ),
  ]);

export const DELIVERY_RULES: Rule[] = [
  // Required with external tracing: its row says so (requiredWhen).
  rule(["tracing", "tracingCollector"], (v) => [
    v.tracing !== "external" &&
      v.tracingCollector !== undefined &&
      problem(
        "tracingCollector",
        v.tracingCollector,
        `unset unless ${k("tracing")} is external (it is ${v.tracing})`,
      ),
  ]),
  rule(["tracing", "traceSamplingPercent"], (v) => [
    v.tracing === "none" &&
      v.traceSamplingPercent > 0 &&
      problem(
        "traceSamplingPercent",
        v.traceSamplingPercent,
        `0 while ${k("tracing")} is none: sampled spans would go nowhere`,
      ),
  ]),
  needsHttpAtSidecars("tracing", "none"),
  needsInstalledMonitoring("kiali", "Kiali reads the Prometheus and Grafana the stack installs"),
  needsInstalledMonitoring("istioDashboards", "the dashboards go into the Grafana the stack installs"),
  needsInstalledMonitoring("canaryAnalysis", "the analysis queries the Prometheus the stack installs"),
  rule(["egressHosts", "egressGateway"], (v) => [
    list(v.egressHosts).length > 0 &&
      !v.egressGateway &&
      problem(
        "egressHosts",
        v.egressHosts,
        `empty while ${k("egressGateway")} is false: listed hosts are reached through it`,
      ),
  ]),
  // Required with CONSISTENT_HASH: its row says so (requiredWhen).
  rule(["loadBalancer", "loadBalancerHashHeader"], (v) => [
    v.loadBalancer !== "CONSISTENT_HASH" &&
      v.loadBalancerHashHeader !== undefined &&
      problem(
        "loadBalancerHashHeader",
        v.loadBalancerHashHeader,
        `unset unless ${k("loadBalancer")} is CONSISTENT_HASH`,
      ),
  ]),
  rule(["rateLimitRequestsPerSecond", "rateLimitBurst"], (v, given) => [
    // The environment's default burst is not a choice; a burst the stack sets with no limit is.
    v.rateLimitRequestsPerSecond === 0 &&
      given.has("rateLimitBurst") &&
      problem(
        "rateLimitBurst",
        v.rateLimitBurst,
        `unset while ${k("rateLimitRequestsPerSecond")} is 0: no rate limit reads it`,
      ),
    v.rateLimitRequestsPerSecond > 0 &&
      v.rateLimitBurst < v.rateLimitRequestsPerSecond &&
      problem(
        "rateLimitBurst",
        v.rateLimitBurst,
        `at least ${k("rateLimitRequestsPerSecond")} (${v.rateLimitRequestsPerSecond}): the bucket refills that many each second`,
      ),
  ]),
  // Each pod has its own bucket, and every pod of the peer may pick the same one: the pingers alone
  // must stay under the limit, or the service would rate-limit its own heartbeat.
  rule(
    [
      "rateLimitRequestsPerSecond",
      "tickMs",
      "autoscaling",
      "hpaMaxReplicas",
      "replicas",
      "canaryInstances",
      "canaryReplicas",
    ],
    (v) => {
      if (v.rateLimitRequestsPerSecond === 0) return [];
      const pods =
        (v.autoscaling ? v.hpaMaxReplicas : v.replicas) +
        (list(v.canaryInstances).length > 0 ? v.canaryReplicas : 0);
      const pingsPerSecond = Math.ceil((pods * 1000) / v.tickMs);
      return [
        pingsPerSecond >= v.rateLimitRequestsPerSecond &&
          problem(
            "rateLimitRequestsPerSecond",
            v.rateLimitRequestsPerSecond,
            `more than ${pingsPerSecond} (0 for no limit): up to ${pods} peer pods ping every ${v.tickMs} ms, all possibly at one pod`,
          ),
      ];
    },
  ),
  needsHttpAtSidecars("rateLimitRequestsPerSecond", 0),
  needsHttpAtSidecars("canaryAnalysis", false),
  rule(["canaryAnalysis", "canaryInstances"], (v) => [
    v.canaryAnalysis &&
      list(v.canaryInstances).includes("b") &&
      problem(
        "canaryInstances",
        v.canaryInstances,
        `without b while ${k("canaryAnalysis")} is on: Argo Rollouts owns pingpong-b's routes`,
      ),
  ]),
];

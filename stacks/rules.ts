import { list, parseCpu, parseLabels, parseMemory } from "./formats";
import { fullKey as k, problem } from "./key";
import { rule, type Rule } from "./rule";
import { DELIVERY_RULES } from "./rules-delivery";
import { IMAGE_RULES } from "./rules-image";
import { INSTALL_RULES } from "./rules-install";
import { NAMESPACE_RULES } from "./rules-namespaces";
import { PKI_RULES } from "./rules-pki";
import type { ConfigKey, Values } from "./table";

/** Cross-field rules (stacks/rule.ts): how values must combine. */
export type { Rule } from "./rule";

type NumberKey = { [K in ConfigKey]-?: Values[K] extends number ? K : never }[ConfigKey];

const atMost = (a: NumberKey, b: NumberKey) =>
  rule([a, b], (v) => [v[a] > v[b] && problem(a, v[a], `at most ${k(b)} (${v[b]})`)]);

const lessThan = (a: NumberKey, b: NumberKey) =>
  rule([a, b], (v) => [v[a] >= v[b] && problem(a, v[a], `less than ${k(b)} (${v[b]})`)]);

/** A request above its limit: Kubernetes refuses the pod. */
const requestWithinLimit = (
  request: "cpuRequest" | "memoryRequest",
  limit: "cpuLimit" | "memoryLimit",
  measure: (quantity: string) => number | undefined,
) =>
  rule([request, limit], (v) => [
    (measure(v[request]) ?? 0) > (measure(v[limit]) ?? 0) &&
      problem(request, v[request], `at most ${k(limit)} (${v[limit]})`),
  ]);

/** A canary share without a canary would black-hole: no Deployment backs the v2 subset. */
const needsCanary = (key: "trafficPercentV2" | "mirrorPercent") =>
  rule(["canaryInstances", key], (v) => [
    list(v.canaryInstances).length === 0 &&
      v[key] > 0 &&
      problem(key, v[key], `0 while ${k("canaryInstances")} is empty: no Deployment runs v2`),
  ]);

export const RULES: Rule[] = [
  rule(["registryUsername", "registryPassword"], (v) => {
    const { registryUsername: username, registryPassword: password } = v;
    if ((username === undefined) !== (password === undefined)) {
      const [missing, set] =
        username === undefined
          ? ["registryUsername", "registryPassword"]
          : ["registryPassword", "registryUsername"];
      return [problem(missing, undefined, `a value, because ${set} is set`)];
    }
    // An empty credential beside the other would log in as nobody (or with no password).
    return [
      username === "" &&
        problem("registryUsername", "", "a user name, not empty, because registryPassword is set"),
      password === "" &&
        problem("registryPassword", "", "a password or token, not empty, because registryUsername is set"),
    ];
  }),
  ...NAMESPACE_RULES,
  rule(["autoscaling", "hpaMinReplicas", "hpaMaxReplicas"], (v) => [
    v.autoscaling &&
      v.hpaMinReplicas > v.hpaMaxReplicas &&
      problem("hpaMinReplicas", v.hpaMinReplicas, `at most ${k("hpaMaxReplicas")} (${v.hpaMaxReplicas})`),
  ]),
  // A budget at or above the replica floor leaves no pod that may ever be evicted.
  rule(["autoscaling", "hpaMinReplicas", "replicas", "pdbMinAvailable"], (v) => {
    const floor = v.autoscaling ? "hpaMinReplicas" : "replicas";
    const pdb = v.pdbMinAvailable;
    if (pdb === 0 || pdb < v[floor]) return [];
    return [
      problem(
        "pdbMinAvailable",
        pdb,
        `0 (no budget) or less than ${k(floor)} (${v[floor]}); a budget of ${pdb} would block every voluntary eviction`,
      ),
    ];
  }),
  requestWithinLimit("cpuRequest", "cpuLimit", parseCpu),
  requestWithinLimit("memoryRequest", "memoryLimit", parseMemory),
  lessThan("drainDelaySeconds", "shutdownTimeoutSeconds"),
  // One ping at a time: a ping that may outlast its tick delays the next one past the interval.
  atMost("pingTimeoutMs", "tickMs"),
  // The chart would render an autoscaler with minReplicas above maxReplicas, which the API refuses.
  atMost("istiodReplicas", "istiodMaxReplicas"),
  atMost("gatewayMinReplicas", "gatewayMaxReplicas"),
  lessThan("certEarlyRenewalHours", "certValidityHours"),
  rule(["caValidityHours", "certValidityHours"], (v) => [
    v.caValidityHours < v.certValidityHours &&
      problem(
        "caValidityHours",
        v.caValidityHours,
        `at least ${k("certValidityHours")} (${v.certValidityHours}); a CA must not expire before the certificates it signs`,
      ),
  ]),
  rule(["trafficPercentV1", "trafficPercentV2"], (v) => {
    const [v1, v2] = [v.trafficPercentV1, v.trafficPercentV2];
    const [p1, p2] = [k("trafficPercentV1"), k("trafficPercentV2")];
    return [
      v1 + v2 !== 100 &&
        problem("trafficPercentV2", v2, `${p1} + ${p2} = 100 (now ${v1} + ${v2} = ${v1 + v2})`),
    ];
  }),
  needsCanary("trafficPercentV2"),
  needsCanary("mirrorPercent"),
  atMost("retryPerTryTimeoutMs", "routeTimeoutMs"),
  // A Prometheus Operator's podMonitorSelector is rarely "everything"; kube-prometheus-stack's
  // default selects release=<its release name>. Unlabelled PodMonitors would be ignored.
  rule(["monitoring", "monitorLabels"], (v) => [
    v.monitoring === "podmonitors" &&
      Object.keys(parseLabels(v.monitorLabels) ?? {}).length === 0 &&
      problem(
        "monitorLabels",
        v.monitorLabels,
        `the labels your Prometheus selects PodMonitors by (e.g. release=kube-prometheus-stack) when ${k("monitoring")} is podmonitors`,
      ),
  ]),
  ...IMAGE_RULES,
  ...DELIVERY_RULES,
  ...INSTALL_RULES,
  ...PKI_RULES,
];

/** The problems of every rule whose keys are all fine on their own; `given`: the keys the stack sets. */
export function crossFieldProblems(
  values: Values,
  bad: ReadonlySet<ConfigKey>,
  given: ReadonlySet<ConfigKey> = new Set(),
): string[] {
  return RULES.filter((r) => r.keys.every((key) => !bad.has(key))).flatMap((r) =>
    r.check(values, given).filter((p): p is string => typeof p === "string"),
  );
}

import { LOG_LEVELS, SPREAD_POLICIES } from "../components/types";
import { parseCpu, parseMemory } from "./formats";
import { between, bool, int, oneOf, str } from "./key";

/** Rows of the settings table: the pingpong workload, its scaling, resources and timing. */

const replicaCount = between(1, 100, "a replica count");
const cpu = (description: string, def: { dev: string; staging: string; prod: string }, example: string) =>
  str({
    description,
    default: def,
    valid: (v: string) => parseCpu(v) !== undefined,
    expected: `a CPU quantity such as ${example}`,
  });
const memory = (description: string, def: { dev: string; staging: string; prod: string }, example: string) =>
  str({
    description,
    default: def,
    valid: (v: string) => parseMemory(v) !== undefined,
    expected: `a memory quantity such as ${example}`,
  });

export const WORKLOAD_KEYS = {
  replicas: int({
    description: "Replicas per instance when autoscaling is off.",
    default: { dev: 1, staging: 2, prod: 3 },
    range: replicaCount,
  }),
  autoscaling: bool({
    description: "Run a HorizontalPodAutoscaler per instance.",
    default: { dev: false, staging: true, prod: true },
  }),
  hpaMinReplicas: int({
    description: "Autoscaler minimum replicas.",
    default: { dev: 1, staging: 2, prod: 3 },
    range: replicaCount,
  }),
  hpaMaxReplicas: int({
    description: "Autoscaler maximum replicas.",
    default: { dev: 3, staging: 6, prod: 10 },
    range: between(1, 1000, "a replica count"),
  }),
  hpaCpuUtilization: int({
    description: "Autoscaler target average CPU utilisation, percent of the request.",
    default: { dev: 80, staging: 70, prod: 60 },
    range: between(1, 100, "a percentage"),
  }),
  pdbMinAvailable: int({
    description: "PodDisruptionBudget minAvailable; must stay below the minimum replica count. 0: no budget.",
    // A single dev replica cannot be protected without blocking every eviction.
    default: { dev: 0, staging: 1, prod: 2 },
    valid: (v: number) => v >= 0,
    expected: "0 (no budget) or a positive count",
  }),
  cpuRequest: cpu(
    "CPU request of the app container (Kubernetes quantity, e.g. 100m).",
    { dev: "50m", staging: "100m", prod: "200m" },
    "100m or 1",
  ),
  cpuLimit: cpu("CPU limit of the app container.", { dev: "250m", staging: "500m", prod: "1" }, "500m or 1"),
  memoryRequest: memory(
    "Memory request of the app container (e.g. 64Mi).",
    { dev: "64Mi", staging: "96Mi", prod: "128Mi" },
    "64Mi",
  ),
  memoryLimit: memory(
    "Memory limit of the app container.",
    { dev: "128Mi", staging: "192Mi", prod: "256Mi" },
    "128Mi",
  ),
  tickMs: int({
    description: "Interval between two pings, in milliseconds.",
    default: 1000,
    range: between(100, 3_600_000, "milliseconds"),
  }),
  pingTimeoutMs: int({
    description: "Timeout of one ping, in milliseconds; at most tickMs.",
    // The pinger waits for one ping before the next: a longer timeout would skip ticks.
    default: 1000,
    range: between(100, 600_000, "milliseconds"),
  }),
  shutdownTimeoutSeconds: int({
    description: "App shutdown deadline after SIGTERM; the pod's grace period is derived from it.",
    default: 20,
    range: between(1, 600, "seconds"),
  }),
  drainDelaySeconds: int({
    description: "Seconds the app keeps serving, unready, after SIGTERM so endpoints are withdrawn first.",
    default: { dev: 2, staging: 5, prod: 5 },
    range: between(0, 600, "seconds"),
  }),
  logLevel: oneOf(LOG_LEVELS, {
    description: "App log level: fatal, error, warn, info, debug or trace.",
    default: { dev: "debug", staging: "info", prod: "info" },
  }),
  networkPolicy: bool({ description: "Restrict pod traffic with NetworkPolicies.", default: true }),
  spreadPolicy: oneOf(SPREAD_POLICIES, {
    description: "Spreading of replicas over nodes: ScheduleAnyway (best effort) or DoNotSchedule (strict).",
    default: { dev: "ScheduleAnyway", staging: "ScheduleAnyway", prod: "DoNotSchedule" },
  }),
  operatorGroup: str({
    description:
      "Group (as the cluster's authenticator names it) granted read-only access to the pingpong namespaces.",
    default: "pingpong-operators",
    valid: (v: string) => v.trim().length > 0 && !v.startsWith("system:"),
    expected: "a group of your own (not empty, not a built-in system: group)",
  }),
} as const;

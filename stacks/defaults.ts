import type { ConfigKey } from "./schema";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The value of every key that has a default; keys absent here are optional. */
export type Defaults = Partial<Record<ConfigKey, string | number | boolean>>;

const common: Defaults = {
  imageRepository: "pingpong",
  namespaceA: "pingpong-a",
  namespaceB: "pingpong-b",
  namespaceC: "pingpong-c",
  monitoringNamespace: "monitoring",
  tickMs: 1000,
  pingTimeoutMs: 2000,
  shutdownTimeoutSeconds: 20,
  logLevel: "info",
  networkPolicy: true,
  operatorGroup: "pingpong-operators",
};

/**
 * Per-environment defaults. Stack files only override; a new stack picks an environment with
 * `pingpong:environment` and inherits everything else from here.
 */
export const DEFAULTS: Record<Environment, Defaults> = {
  // A local kind cluster with its registry on localhost:5001 (see stacks/kind/).
  dev: {
    ...common,
    kubeContext: "kind-pingpong",
    registry: "localhost:5001",
    replicas: 1,
    autoscaling: false,
    hpaMinReplicas: 1,
    hpaMaxReplicas: 3,
    hpaCpuUtilization: 80,
    pdbMinAvailable: 0,
    cpuRequest: "50m",
    cpuLimit: "250m",
    memoryRequest: "64Mi",
    memoryLimit: "128Mi",
    drainDelaySeconds: 2,
    logLevel: "debug",
    spreadPolicy: "ScheduleAnyway",
  },
  staging: {
    ...common,
    imagePlatform: "linux/amd64",
    replicas: 2,
    autoscaling: true,
    hpaMinReplicas: 2,
    hpaMaxReplicas: 6,
    hpaCpuUtilization: 70,
    pdbMinAvailable: 1,
    cpuRequest: "100m",
    cpuLimit: "500m",
    memoryRequest: "96Mi",
    memoryLimit: "192Mi",
    drainDelaySeconds: 5,
    spreadPolicy: "ScheduleAnyway",
  },
  prod: {
    ...common,
    imagePlatform: "linux/amd64",
    replicas: 3,
    autoscaling: true,
    hpaMinReplicas: 3,
    hpaMaxReplicas: 10,
    hpaCpuUtilization: 60,
    pdbMinAvailable: 2,
    cpuRequest: "200m",
    cpuLimit: "1",
    memoryRequest: "128Mi",
    memoryLimit: "256Mi",
    drainDelaySeconds: 5,
    spreadPolicy: "DoNotSchedule",
  },
};

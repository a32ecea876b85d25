import { parseSettings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { CLUSTER_SETTINGS, settingsError } from "../support/variants";

/** One bad workload value, one problem naming key, value and expectation. */

type Raw = Record<string, string | number | boolean>;
/** What staging and prod have no default for. */
const CLUSTER = CLUSTER_SETTINGS;

describe("parseSettings: one bad workload value, one problem naming key, value and expectation", () => {
  const cases: Array<[string, string, Raw, string]> = [
    [
      "replicas not an integer",
      "dev",
      { replicas: "three" },
      'pingpong:replicas="three": expected an integer',
    ],
    ["replicas fractional", "dev", { replicas: "1.5" }, 'pingpong:replicas="1.5": expected an integer'],
    [
      "autoscaling not a boolean",
      "dev",
      { autoscaling: "yes" },
      'pingpong:autoscaling="yes": expected true or false',
    ],
    ["replicas=0", "dev", { replicas: 0 }, "pingpong:replicas=0: expected a replica count from 1 to 100"],
    [
      "hpaMinReplicas above hpaMaxReplicas",
      "prod",
      { ...CLUSTER, hpaMinReplicas: 5, hpaMaxReplicas: 4 },
      "pingpong:hpaMinReplicas=5: expected at most pingpong:hpaMaxReplicas (4)",
    ],
    [
      "a budget equal to the replicas, without autoscaling",
      "dev",
      { replicas: 2, pdbMinAvailable: 2 },
      "pingpong:pdbMinAvailable=2: expected 0 (no budget) or less than pingpong:replicas (2); a budget of 2 would block every voluntary eviction",
    ],
    [
      "a budget on a single replica",
      "dev",
      { pdbMinAvailable: 1 },
      "pingpong:pdbMinAvailable=1: expected 0 (no budget) or less than pingpong:replicas (1); a budget of 1 would block every voluntary eviction",
    ],
    [
      "a budget equal to the autoscaler minimum",
      "prod",
      { ...CLUSTER, pdbMinAvailable: 3 },
      "pingpong:pdbMinAvailable=3: expected 0 (no budget) or less than pingpong:hpaMinReplicas (3); a budget of 3 would block every voluntary eviction",
    ],
    [
      "a budget above the autoscaler minimum, whatever replicas says",
      "staging",
      { ...CLUSTER, replicas: 10, pdbMinAvailable: 4, hpaMaxReplicas: 8 },
      "pingpong:pdbMinAvailable=4: expected 0 (no budget) or less than pingpong:hpaMinReplicas (2); a budget of 4 would block every voluntary eviction",
    ],
    [
      "a budget against the replicas when autoscaling is turned off",
      "staging",
      { ...CLUSTER, autoscaling: false, replicas: 1 },
      "pingpong:pdbMinAvailable=1: expected 0 (no budget) or less than pingpong:replicas (1); a budget of 1 would block every voluntary eviction",
    ],
    [
      "cpuRequest above cpuLimit",
      "dev",
      { cpuRequest: "500m" },
      'pingpong:cpuRequest="500m": expected at most pingpong:cpuLimit (250m)',
    ],
    [
      "cpuRequest above cpuLimit across units",
      "prod",
      { ...CLUSTER, cpuRequest: "1500m" },
      'pingpong:cpuRequest="1500m": expected at most pingpong:cpuLimit (1)',
    ],
    [
      "memoryRequest above memoryLimit",
      "dev",
      { memoryRequest: "1Gi" },
      'pingpong:memoryRequest="1Gi": expected at most pingpong:memoryLimit (128Mi)',
    ],
    [
      "memoryRequest above memoryLimit across units",
      "dev",
      { memoryRequest: "200M" },
      'pingpong:memoryRequest="200M": expected at most pingpong:memoryLimit (128Mi)',
    ],
    [
      "a CPU quantity that is none",
      "dev",
      { cpuLimit: "lots" },
      'pingpong:cpuLimit="lots": expected a CPU quantity such as 500m or 1',
    ],
    [
      "a memory quantity that is none",
      "dev",
      { memoryRequest: "lots" },
      'pingpong:memoryRequest="lots": expected a memory quantity such as 64Mi',
    ],
    [
      "drainDelaySeconds equal to shutdownTimeoutSeconds",
      "dev",
      { drainDelaySeconds: 20 },
      "pingpong:drainDelaySeconds=20: expected less than pingpong:shutdownTimeoutSeconds (20)",
    ],
    [
      "shutdownTimeoutSeconds below drainDelaySeconds",
      "prod",
      { ...CLUSTER, shutdownTimeoutSeconds: 3 },
      "pingpong:drainDelaySeconds=5: expected less than pingpong:shutdownTimeoutSeconds (3)",
    ],
    [
      "logLevel loud",
      "dev",
      { logLevel: "loud" },
      'pingpong:logLevel="loud": expected one of fatal, error, warn, info, debug, trace',
    ],
    [
      "spreadPolicy Sometimes",
      "dev",
      { spreadPolicy: "Sometimes" },
      'pingpong:spreadPolicy="Sometimes": expected one of ScheduleAnyway, DoNotSchedule',
    ],
    [
      "hpaCpuUtilization above 100 percent",
      "prod",
      { ...CLUSTER, hpaCpuUtilization: 150 },
      "pingpong:hpaCpuUtilization=150: expected a percentage from 1 to 100",
    ],
    [
      "tickMs below 100",
      "dev",
      { tickMs: 10 },
      "pingpong:tickMs=10: expected milliseconds from 100 to 3600000",
    ],
    [
      "a ping timeout above the interval between pings (the pinger would skip ticks)",
      "dev",
      { tickMs: 500, pingTimeoutMs: 501 },
      "pingpong:pingTimeoutMs=501: expected at most pingpong:tickMs (500)",
    ],
    [
      "the default ping timeout under a shorter interval",
      "dev",
      { tickMs: 200 },
      "pingpong:pingTimeoutMs=1000: expected at most pingpong:tickMs (200)",
    ],
  ];

  test.each(cases)("%s", (_what, stack, values, expected) => {
    const err = settingsError(values, stack);
    expect(err.problems).toEqual([expected]);
    expect(err.name).toBe("SettingsError");
    expect(err.message).toBe(`invalid stack configuration:\n  - ${expected}`);
  });
});

test("a ping timeout equal to the interval is accepted", () => {
  expect(parseSettings(engineConfig({ tickMs: 300, pingTimeoutMs: 300 }), "dev").workload).toMatchObject({
    tickMs: 300,
    pingTimeoutMs: 300,
  });
});

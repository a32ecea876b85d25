import { runProgram, type Recorded } from "../support/program";
import { stackConfig } from "../support/stack-files";

const cases: Array<[string, string, () => Record<string, string>, string]> = [
  [
    "replicas=0",
    "dev",
    () => ({ ...stackConfig("dev"), "pingpong:replicas": "0" }),
    "pingpong:replicas=0: expected a replica count from 1 to 100",
  ],
  [
    "an unknown key",
    "dev",
    () => ({ ...stackConfig("dev"), "pingpong:replica": "2" }),
    "pingpong:replica: unknown key; did you mean pingpong:replicas?",
  ],
  [
    "hpaMinReplicas above hpaMaxReplicas",
    "prod",
    () => ({ ...stackConfig("prod"), "pingpong:hpaMinReplicas": "5", "pingpong:hpaMaxReplicas": "4" }),
    "pingpong:hpaMinReplicas=5: expected at most pingpong:hpaMaxReplicas (4)",
  ],
  [
    "a v2 weight without a canary",
    "dev",
    () => ({ ...stackConfig("dev"), "pingpong:trafficPercentV1": "0", "pingpong:trafficPercentV2": "100" }),
    "pingpong:trafficPercentV2=100: expected 0 while pingpong:canaryInstances is empty: no Deployment runs v2",
  ],
  [
    "a stack that names no environment",
    "feature-x",
    () => ({}),
    'pingpong:environment (from the stack name)="feature-x": expected one of dev, staging, prod',
  ],
];

describe("a bad configuration stops the program before anything is registered", () => {
  test.each(cases)("%s", async (_what, stack, config, problem) => {
    const recorded: Recorded[] = [];
    await expect(runProgram(stack, config(), recorded)).rejects.toMatchObject({
      name: "SettingsError",
      message: expect.stringContaining(`\n  - ${problem}`) as unknown,
    });
    expect(recorded.map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  test("the same capture sees every registration of a good configuration", async () => {
    const recorded: Recorded[] = [];
    const run = await runProgram("dev", stackConfig("dev"), recorded);
    expect(run.resources).toBe(recorded);
    expect(recorded.length).toBeGreaterThan(10);
    expect(recorded.map((r) => r.type)).toEqual(
      expect.arrayContaining(["pulumi:providers:kubernetes", "kubernetes:apps/v1:Deployment"]),
    );
  });
});

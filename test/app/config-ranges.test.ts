import { ConfigError, loadConfig } from "../../app/src/config";
import { configError } from "../support/config-errors";
import type { Env } from "../support/service";

describe("loadConfig ranges", () => {
  /** What a refusal of `env` says is expected; undefined when loadConfig accepts it. */
  function refusal(env: Env): string | undefined {
    try {
      loadConfig(env);
      return undefined;
    } catch (err) {
      if (err instanceof ConfigError) return err.expected;
      throw err;
    }
  }

  // Each integer's message names its range; a value outside it gets the same explanation, a value
  // at its ends does not (DRAIN_DELAY_MS at its top is refused for another reason: not less than
  // SHUTDOWN_TIMEOUT_MS).
  it.each<{ variable: string; context: Env }>([
    { variable: "PORT", context: { METRICS_PORT: "0" } },
    { variable: "METRICS_PORT", context: { PORT: "0" } },
    { variable: "TICK_MS", context: {} },
    { variable: "PING_TIMEOUT_MS", context: {} },
    { variable: "SHUTDOWN_TIMEOUT_MS", context: {} },
    { variable: "DRAIN_DELAY_MS", context: {} },
  ])("$variable accepts exactly the range its message names", ({ variable, context }) => {
    const env = (value: number | string) => ({ ...context, [variable]: String(value) });
    const named = configError(env("x")).expected;
    const range = /\(an integer from (\d+) to (\d+)\)$/.exec(named);
    if (range === null) throw new Error(`no range in ${JSON.stringify(named)}`);
    const [min, max] = [Number(range[1]), Number(range[2])];

    expect(refusal(env(min))).toBeUndefined();
    expect(refusal(env(max))).not.toBe(named);
    for (const outside of [min - 1, max + 1]) {
      expect(configError(env(outside))).toMatchObject({ variable, expected: named });
    }
  });
});

import { loadConfig } from "../../app/src/config";
import { ENV } from "../../app/src/contract";
import { configError, expectRefused, quoted, type BadCase } from "../support/config-errors";
import { APP_BASE_ENV, killAll, MAIN_JS, runToExit } from "../support/process";

afterEach(killAll);

const VARIABLE = ENV.traceSamplingPercent;
const EXPECTED =
  "the percentage of pings whose trace is sampled (a number from 0 to 100, decimals allowed, e.g. 0.5)";

describe("TRACE_SAMPLING_PERCENT", () => {
  test("is named TRACE_SAMPLING_PERCENT and defaults to 0, also when blank", () => {
    expect(VARIABLE).toBe("TRACE_SAMPLING_PERCENT");
    expect(loadConfig({}).traceSamplingPercent).toBe(0);
    expect(loadConfig({ [VARIABLE]: "" }).traceSamplingPercent).toBe(0);
    expect(loadConfig({ [VARIABLE]: "  " }).traceSamplingPercent).toBe(0);
  });

  test.each([
    ["0", 0],
    ["100", 100],
    ["100.0", 100],
    ["50", 50],
    ["0.5", 0.5],
    ["0.01", 0.01],
    ["12.125", 12.125],
    ["007", 7],
    [" 25 ", 25],
  ])("accepts %j as %d", (raw, value) => {
    expect(loadConfig({ [VARIABLE]: raw }).traceSamplingPercent).toBe(value);
  });

  const bad = (raw: string): BadCase => ({
    name: raw,
    env: () => ({ [VARIABLE]: raw }),
    variable: VARIABLE,
    shown: quoted(raw),
    expected: EXPECTED,
  });

  test.each([
    "-1",
    "-0.5",
    "100.01",
    "101",
    "1000",
    "abc",
    "1e2",
    ".5",
    "5.",
    "50%",
    "0x10",
    "1,5",
    "1 2",
    "NaN",
  ])("refuses %j, naming the variable, its value and the range", (raw) => expectRefused(bad(raw)));

  test("the message names exactly the range accepted", () => {
    expect(configError({ [VARIABLE]: "x" }).expected).toBe(EXPECTED);
    expect(configError({ [VARIABLE]: "100.000001" }).expected).toBe(EXPECTED);
    expect(loadConfig({ [VARIABLE]: "99.999999" }).traceSamplingPercent).toBe(99.999999);
  });

  test("a bad value stops the service before it listens: exit 2 and one line on stderr", async () => {
    const result = await runToExit(MAIN_JS, [], { ...APP_BASE_ENV, [VARIABLE]: "150" }, 4000);

    expect(result).toMatchObject({ code: 2, signal: null, stdout: "" });
    expect(result.stderr).toBe(`pingpong: invalid configuration: ${VARIABLE}="150": expected ${EXPECTED}\n`);
  });
});

import { ConfigError, loadConfig } from "../../app/src/config";
import type { Env } from "./service";

/** The ConfigError loadConfig throws for `env`; throws when it throws nothing or something else. */
export function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

/** An environment loadConfig refuses, and what its error must say. */
export interface BadCase {
  name: string;
  env: () => Env;
  variable: string;
  /** The value as shown in the message: the raw value JSON-quoted, or <unset>. */
  shown: () => string;
  /** A part of what the message says is expected. */
  expected: string;
}

export const quoted = (v: string) => () => JSON.stringify(v);
export const unset = () => "<unset>";

/** Checks the error of a bad case: it names the variable, shows its value and says what is expected. */
export function expectRefused({ env, variable, shown, expected }: BadCase): void {
  const err = configError(env());
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.name).toBe(ConfigError.name);
  expect(err.variable).toBe(variable);
  expect(err.message).toBe(`invalid configuration: ${variable}=${shown()}: expected ${err.expected}`);
  expect(err.expected).toContain(expected);
}

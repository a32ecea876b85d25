import {
  CONFIG_NAMESPACE,
  ENVIRONMENTS,
  SettingsError,
  expectedOf,
  fullKey,
  problem,
  show,
  shownValue,
  statedExpectation,
  type Environment,
  type KeySpec,
  type Value,
} from "./key";
import { KEYS, TABLE, defaultsFor, specOf, type ConfigKey, type Values } from "./table";

/** The per-key pass: every value typed, defaulted and checked on its own. */
export interface KeyPass {
  environment: Environment;
  values: Values;
  problems: string[];
  /** Keys with a problem: cross-field rules skip them rather than report a consequence. */
  bad: Set<ConfigKey>;
  /** Keys the stack sets itself, whatever their defaults. */
  given: ReadonlySet<ConfigKey>;
}

/** A raw string as the key's type, or the problem with it. */
function coerce(spec: KeySpec, raw: string): { value: Value } | { expected: string } {
  if (spec.type === "integer") {
    return /^-?\d+$/.test(raw.trim()) ? { value: Number(raw) } : { expected: "an integer" };
  }
  if (spec.type === "boolean") {
    return raw === "true" || raw === "false" ? { value: raw === "true" } : { expected: "true or false" };
  }
  return { value: raw };
}

/** The key's problem with its value (undefined: unset, no default), if it has one. */
function check(
  key: ConfigKey,
  merged: Partial<Record<ConfigKey, Value>>,
  environment: Environment,
): string | undefined {
  const spec = specOf(key);
  const value = merged[key];
  if (value === undefined) {
    const other = spec.requiredUnless as ConfigKey | undefined;
    if (spec.optional || (other !== undefined && merged[other] !== undefined)) return undefined;
    const instead = other === undefined ? "" : ` (or ${fullKey(other)} set instead)`;
    return problem(key, value, `${expectedOf(spec, environment)}${instead}`);
  }
  const { range, oneOf } = spec;
  // Secrets and PEM texts are shown by their row's summary, never as they are.
  const shown = shownValue(spec, value);
  if (range && ((value as number) < range.min || (value as number) > range.max)) {
    return problem(key, shown, expectedOf(spec, environment));
  }
  if (oneOf && !oneOf.includes(value as string)) return problem(key, shown, `one of ${oneOf.join(", ")}`);
  if (spec.valid && !spec.valid(value)) {
    return problem(key, shown, `${statedExpectation(spec, environment)}${spec.detail?.(value) ?? ""}`);
  }
  return undefined;
}

/**
 * Types the `pingpong:` keys of raw Pulumi config (values as the engine passes them: strings),
 * applies the defaults of the environment and checks each value against its row of the table.
 * Throws only when the environment itself is unknown: its defaults are what everything else
 * is checked with.
 */
export function readKeys(raw: Record<string, string>, stack: string): KeyPass {
  const problems: string[] = [];
  const given: Partial<Record<ConfigKey, Value>> = {};
  const bad = new Set<ConfigKey>();
  for (const [name, rawValue] of Object.entries(raw)) {
    const [ns, key] = name.split(":", 2);
    if (ns !== CONFIG_NAMESPACE) continue;
    if (!(key in TABLE)) {
      // The value is not shown: a misspelt secret key would otherwise print the secret.
      problems.push(`${name}: unknown key; expected one of ${KEYS.join(", ")}`);
      continue;
    }
    const typed = coerce(specOf(key as ConfigKey), rawValue);
    if ("value" in typed) {
      given[key as ConfigKey] = typed.value;
    } else {
      problems.push(`${name}=${show(rawValue)}: expected ${typed.expected}`);
      bad.add(key as ConfigKey);
    }
  }

  const chosen = given.environment ?? stack;
  if (!(ENVIRONMENTS as readonly Value[]).includes(chosen)) {
    const label =
      given.environment === undefined
        ? `${fullKey("environment")} (from the stack name)`
        : fullKey("environment");
    problems.push(`${label}=${show(chosen)}: expected one of ${ENVIRONMENTS.join(", ")}`);
    throw new SettingsError(problems);
  }
  const environment = chosen as Environment;

  const merged: Partial<Record<ConfigKey, Value>> = { ...defaultsFor(environment), ...given };
  for (const key of KEYS) {
    if (bad.has(key)) continue; // already reported as the wrong type
    const p = check(key, merged, environment);
    if (p === undefined) continue;
    problems.push(p);
    bad.add(key);
  }
  return {
    environment,
    values: merged as Values,
    problems,
    bad,
    given: new Set(Object.keys(given) as ConfigKey[]),
  };
}

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

/**
 * Edits (insertions, deletions, substitutions, swaps of two neighbours) between two strings, ignoring
 * case: a key typed with the wrong case is one typo away from nothing.
 */
export function editDistance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[x.length][y.length];
}

/**
 * The known key an unknown one most likely misspells: the nearest by edit distance (the first in
 * table order on a tie), when within one edit per four characters (at least one, at most three).
 */
export function closestKey(unknown: string): ConfigKey | undefined {
  const within = Math.min(3, Math.max(1, Math.floor(unknown.length / 4)));
  let best: { key: ConfigKey; distance: number } | undefined;
  for (const key of KEYS) {
    const distance = editDistance(unknown, key);
    if (distance <= within && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
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
    const when = spec.requiredWhen;
    if (when !== undefined && merged[when.key as ConfigKey] === when.is) {
      return problem(
        key,
        value,
        `${expectedOf(spec, environment)}, because ${fullKey(when.key)} is ${when.is}`,
      );
    }
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
      const near = closestKey(key ?? "");
      problems.push(
        near === undefined
          ? `${name}: unknown key; expected a key of the settings table (docs/configuration.md)`
          : `${name}: unknown key; did you mean ${fullKey(near)}?`,
      );
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

/** What one row of the settings table says about its key, and the functions the table is written with. */

export const CONFIG_NAMESPACE = "pingpong";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export type KeyType = "string" | "integer" | "boolean";
export type Value = string | number | boolean;

/** One value for every environment, or one per environment (an environment left out has none). */
export type Default<V> = V | Partial<Record<Environment, V>>;

/**
 * A configuration key. Checks run in this order and the first that fails is the key's one
 * problem: set at all (unless optional), `range`, `oneOf`, `valid`.
 */
export interface KeySpec<V extends Value = Value> {
  type: KeyType;
  /** What the key changes: Pulumi.yaml's description and the reference's last column. */
  description: string;
  secret?: boolean;
  default?: Default<V>;
  /** Unset and without a default is fine: the setting is absent. Otherwise it is a problem. */
  optional?: boolean;
  /** Unset is fine (the setting is absent) while this other key is set: it then stands for this one. */
  requiredUnless?: string;
  /**
   * With `optional`: unset is a problem while this other key has this value (the setting is needed
   * only then), fine otherwise.
   */
  requiredWhen?: { key: string; is: Value };
  /** Integers: inclusive bounds, and what the number is ("a replica count"). */
  range?: { min: number; max: number; unit: string };
  /** Strings: every value allowed. */
  oneOf?: readonly string[];
  valid?(value: V): boolean;
  /** What a problem says is expected when `valid` fails or the key is unset (when no range or oneOf says it). */
  expected?: string | ((environment: Environment) => string);
  /** Appended to `expected` when `valid` fails: which part of the value is wrong. */
  detail?(value: V): string;
  /**
   * What a problem shows in place of the value (a PEM text's certificates, a secret's kind), never
   * key material; undefined: the value itself, or `<secret>` for a secret.
   */
  summary?(value: V): string | undefined;
}

export const str = <const S extends Omit<KeySpec<string>, "type" | "range">>(spec: S) =>
  ({ type: "string", ...spec }) as S & { type: "string" };

export const int = <const S extends Omit<KeySpec<number>, "type" | "oneOf">>(spec: S) =>
  ({ type: "integer", ...spec }) as S & { type: "integer" };

export const bool = <const S extends Pick<KeySpec<boolean>, "description" | "default">>(spec: S) =>
  ({ type: "boolean", ...spec }) as S & { type: "boolean" };

/** A string key whose value is one of `allowed`; settings then carry it with the union type. */
export const oneOf = <const T extends string, const S extends Omit<KeySpec<T>, "type" | "oneOf">>(
  allowed: readonly T[],
  spec: S,
) => ({ type: "string", oneOf: allowed, ...spec }) as S & { type: "string"; oneOf: readonly T[] };

/** A `valid` check: the whole value matches `pattern`. */
export const matches = (pattern: RegExp) => (value: string) => pattern.test(value);

/** `from min to max` bounds of an integer key. */
export const between = (min: number, max: number, unit: string) => ({ min, max, unit });

/** The default of a key in one environment, if it has one. */
export function defaultIn<V extends Value>(spec: KeySpec<V>, environment: Environment): V | undefined {
  const d = spec.default;
  return typeof d === "object" ? d[environment] : d;
}

/** The key's own `expected` text: what `valid` accepts. */
export function statedExpectation(spec: KeySpec, environment: Environment): string {
  const e = spec.expected;
  return typeof e === "function" ? e(environment) : (e ?? "a valid value");
}

/** What a problem with an unset or out-of-range key says is expected. */
export function expectedOf(spec: KeySpec, environment: Environment): string {
  if (spec.range) return `${spec.range.unit} from ${spec.range.min} to ${spec.range.max}`;
  if (spec.oneOf) return `one of ${spec.oneOf.join(", ")}`;
  return statedExpectation(spec, environment);
}

/** `pingpong:<key>`, as a stack file and every problem name it. */
export const fullKey = (key: string) => `${CONFIG_NAMESPACE}:${key}`;

/** What a problem shows in place of a value: a summary, or only that a secret is set. */
export class Summary {
  constructor(readonly text: string) {}
}

/**
 * A value as a problem about `spec`'s key shows it: its summary, if it has one; a secret, never
 * (an empty one is shown: it has nothing to hide).
 */
export function shownValue(spec: KeySpec, value: Value | undefined): unknown {
  if (value === undefined) return undefined;
  const summary = spec.summary?.(value);
  if (summary !== undefined) return new Summary(summary);
  return spec.secret && value !== "" ? new Summary("secret") : value;
}

/** A value as a problem shows it: JSON (strings quoted), <summary>, or <unset>. */
export function show(value: unknown): string {
  if (value instanceof Summary) return `<${value.text}>`;
  return value === undefined ? "<unset>" : JSON.stringify(value);
}

/** One problem with one key: names the key, the value it had and what is expected. */
export const problem = (key: string, value: unknown, expected: string) =>
  `${fullKey(key)}=${show(value)}: expected ${expected}`;

/** Every problem of a configuration at once, one line each. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "SettingsError";
  }
}

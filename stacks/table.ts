import {
  ENVIRONMENTS,
  defaultIn,
  problem,
  shownValue,
  type Environment,
  type KeySpec,
  type Value,
} from "./key";
import { DELIVERY_KEYS } from "./keys-delivery";
import { MESH_KEYS } from "./keys-mesh";
import { OBSERVABILITY_KEYS } from "./keys-observability";
import { PLATFORM_KEYS } from "./keys-platform";
import { SIZING_KEYS } from "./keys-sizing";
import { TRAFFIC_KEYS } from "./keys-traffic";
import { WORKLOAD_KEYS } from "./keys-workload";

/**
 * The settings table: every configuration key of the `pingpong` namespace, once, with its type,
 * checks, description and default per environment. The parser is driven by it; Pulumi.yaml's
 * config block and docs/configuration.md are generated from it (`npm run gen:config`). The rows
 * live in one file per concern; this order is the order of Pulumi.yaml and of the reference.
 */
export const TABLE = {
  ...PLATFORM_KEYS,
  ...WORKLOAD_KEYS,
  ...MESH_KEYS,
  ...TRAFFIC_KEYS,
  ...DELIVERY_KEYS,
  ...OBSERVABILITY_KEYS,
  ...SIZING_KEYS,
} as const;

export type ConfigKey = keyof typeof TABLE;
type Table = typeof TABLE;

/** Every key with its spec, in table order, for code that treats keys alike. */
export const KEYS = Object.keys(TABLE) as ConfigKey[];
export const specOf = (key: ConfigKey): KeySpec => TABLE[key];

/** A problem with `key`'s value, shown as its row says (a PEM text by its summary, a secret never). */
export const problemWith = (key: ConfigKey, value: Value | undefined, expected: string): string =>
  problem(key, shownValue(specOf(key), value), expected);

type ValueOf<S> = S extends { oneOf: readonly (infer E)[] }
  ? E
  : S extends { type: "integer" }
    ? number
    : S extends { type: "boolean" }
      ? boolean
      : string;

/** The checked value of every key; only optional keys may be absent. */
export type Values = {
  -readonly [K in ConfigKey]:
    | ValueOf<Table[K]>
    | (Table[K] extends { optional: true } | { requiredUnless: string } ? undefined : never);
};

/** The value of every key that has a default in this environment. */
export function defaultsFor(environment: Environment): Partial<Record<ConfigKey, Value>> {
  const out: Partial<Record<ConfigKey, Value>> = {};
  for (const key of KEYS) {
    const value = defaultIn(specOf(key), environment);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** A key a new stack of an environment must set: it has no default there, and unset it is refused. */
export interface RequiredKey {
  key: ConfigKey;
  /** Set instead, this other key stands for it. */
  unless?: ConfigKey;
  /** Required only while this other key has this value, as it has by default in the environment. */
  while?: { key: ConfigKey; is: Value };
}

/** The keys a new stack of `environment` must set, in table order. */
export function requiredKeys(environment: Environment): RequiredKey[] {
  return KEYS.flatMap((key): RequiredKey[] => {
    const spec = specOf(key);
    if (defaultIn(spec, environment) !== undefined) return [];
    const when = spec.requiredWhen as RequiredKey["while"];
    if (when !== undefined) {
      return defaultIn(specOf(when.key), environment) === when.is ? [{ key, while: when }] : [];
    }
    if (spec.optional) return [];
    return [{ key, unless: spec.requiredUnless as ConfigKey | undefined }];
  });
}

/** Per-environment defaults, as one map each. */
export const DEFAULTS = Object.fromEntries(ENVIRONMENTS.map((e) => [e, defaultsFor(e)])) as Record<
  Environment,
  Partial<Record<ConfigKey, Value>>
>;

import type { ConfigKey, Values } from "./table";

/**
 * A cross-field rule: how values must combine, checked after every key passed its own checks. A
 * rule reads only the keys it lists, and is skipped when one of them already has a problem: a bad
 * value is reported once, not again through each consequence.
 */
export interface Rule {
  keys: readonly ConfigKey[];
  /** `given`: the keys the stack sets itself (a default is not a choice). */
  check(values: Values, given: ReadonlySet<ConfigKey>): Array<string | false | undefined>;
}

/** A rule over `keys`, whose check sees only those keys' values (and whether the stack set them). */
export const rule = <const K extends readonly ConfigKey[]>(
  keys: K,
  check: (v: Pick<Values, K[number]>, given: ReadonlySet<K[number]>) => Array<string | false | undefined>,
): Rule => ({ keys, check });

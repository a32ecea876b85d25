import type { TraceRandom } from "../../app/src/trace";

/**
 * mulberry32, a small deterministic generator of 32-bit values: a statistical check fed from a
 * fixed seed gives the same count on every run, so its tolerance can never be missed by chance.
 */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Fractions in [0, 1) and bytes, both from one seeded sequence. */
export function seededRandom(seed: number): TraceRandom {
  const next = mulberry32(seed);
  return {
    fraction: () => next() / 2 ** 32,
    bytes: (size) => Buffer.from(Array.from({ length: size }, () => next() & 0xff)),
  };
}

/** A TraceRandom whose fractions are `fractions` in turn (then the last again) and bytes are seeded. */
export function scriptedFractions(fractions: number[], seed = 1): TraceRandom {
  const { bytes } = seededRandom(seed);
  let i = 0;
  return { fraction: () => fractions[Math.min(i++, fractions.length - 1)], bytes };
}

import { fullKey as k, problem } from "./key";
import { rule, type Rule } from "./rule";

/**
 * Cross-field rules of the app image: with a prebuilt `image`, nothing is built or pushed, so a
 * build setting the stack sets itself would silently do nothing; it is refused instead. Defaults
 * (dev's local registry, staging's and prod's platform) are not the stack's choice and are ignored.
 */

/** Settings that only the stack's own build reads, and what a prebuilt reference makes of them. */
const BUILD_ONLY = {
  registry: "the reference names its registry, and nothing is pushed",
  imageRepository: "the reference names its repository, and nothing is pushed",
  imagePlatform: "nothing is built; the reference's digest fixes the platform",
} as const;

export const IMAGE_RULES: Rule[] = (Object.keys(BUILD_ONLY) as Array<keyof typeof BUILD_ONLY>).map((key) =>
  rule(["image", key], (v, given) => [
    v.image !== undefined &&
      given.has(key) &&
      problem(key, v[key], `unset while ${k("image")} is set: ${BUILD_ONLY[key]}`),
  ]),
);

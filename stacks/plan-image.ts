import type { ImageSource } from "../components/image";
import type { Settings } from "./settings-types";

/**
 * Where the app image comes from, decided once: the stack builds app/ and pushes it, or it runs a
 * prebuilt image pinned by digest (build once, promote the same digest through every environment).
 */
export type ImagePlan = ImageSource;

export function imagePlan(s: Settings): ImagePlan {
  const { reference, registry, repository, platform } = s.image;
  if (reference !== undefined) return { mode: "prebuilt", ref: reference };
  // The settings require a registry whenever no reference is set.
  if (registry === undefined) throw new Error("image: no registry to push the build to");
  return {
    mode: "build",
    build: { registry, repository, platform, tag: s.stack, context: ".", dockerfile: "app/Dockerfile" },
  };
}

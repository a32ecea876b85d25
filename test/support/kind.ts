import { readYaml } from "./stack-files";

/**
 * The node image of the dev cluster (stacks/kind/cluster.yaml), which decides the cluster's
 * Kubernetes version: `ref` as written (`kindest/node:v1.34.0@sha256:...`), `kubernetesVersion`
 * its tag without the `v` (`1.34.0`) and `minor` (34). Throws unless every node names the same
 * image, pinned by tag and digest.
 */
export function kindNodeImage(): { ref: string; kubernetesVersion: string; minor: number } {
  const doc = readYaml("stacks/kind/cluster.yaml") as { nodes?: Array<{ image?: unknown }> };
  const images = new Set((doc.nodes ?? []).map((node) => node.image));
  if (images.size !== 1) {
    throw new Error(
      `stacks/kind/cluster.yaml: expected one image on every node, found ${JSON.stringify([...images])}`,
    );
  }
  const [ref] = images;
  const m = typeof ref === "string" ? /^kindest\/node:v(1\.(\d+)\.\d+)@sha256:[0-9a-f]{64}$/.exec(ref) : null;
  if (!m) {
    throw new Error(
      `stacks/kind/cluster.yaml: expected kindest/node:vX.Y.Z@sha256:<digest>, got ${JSON.stringify(ref)}`,
    );
  }
  return { ref: m[0], kubernetesVersion: m[1], minor: Number(m[2]) };
}

import { readFileSync } from "node:fs";
import path from "node:path";
import { readYaml } from "../support/stack-files";

const clusterYaml = path.resolve(__dirname, "../../stacks/kind/cluster.yaml");
const PINNED = /^kindest\/node:v(\d+)\.(\d+)\.(\d+)@sha256:[0-9a-f]{64}$/;

describe("the dev cluster's node image (stacks/kind/cluster.yaml)", () => {
  const nodes = (readYaml("stacks/kind/cluster.yaml") as { nodes: Array<{ role: string; image?: string }> })
    .nodes;

  test("every node runs the same kindest/node image, pinned by vX.Y.Z tag and sha256 digest", () => {
    expect(nodes.map((n) => n.role)).toEqual(["control-plane", "worker", "worker"]);
    for (const node of nodes) expect(node.image).toMatch(PINNED);
    expect(new Set(nodes.map((n) => n.image)).size).toBe(1);
  });

  test("names the kind release that built the image, which the scripts require", () => {
    expect(readFileSync(clusterYaml, "utf8")).toMatch(/^# kind-release: v\d+\.\d+\.\d+$/m);
  });

  test("kindNodeImage() reads the image, its Kubernetes version and minor, and exports nothing else", async () => {
    const kind = await import("../support/kind");
    expect(Object.keys(kind)).toEqual(["kindNodeImage"]);
    const image = kind.kindNodeImage();
    const [, major, minor, patch] = PINNED.exec(nodes[0].image ?? "") ?? [];
    expect(image).toEqual({
      ref: nodes[0].image,
      kubernetesVersion: `${major}.${minor}.${patch}`,
      minor: Number(minor),
    });
  });
});

// Rule 8 (policy/availability.ts): a PodDisruptionBudget's minAvailable stays below the replicas it
// protects, the HPA's minReplicas when one scales the Deployment, so node drains can evict a pod.
import { minAvailableFor } from "../../policy/availability";
import { TYPES, type CheckedResource } from "../../policy/resources";
import { POLICY_NAMES } from "../../policy/sdk";
import { urnOf, validateStack } from "./support";

describe("pdb-consistent-with-hpa", () => {
  const name = POLICY_NAMES.pdbHpa;
  const deployment = (replicas?: number): CheckedResource => ({
    type: TYPES.deployment,
    name: "deployment",
    props: {
      metadata: { name: "pingpong-v1", namespace: "a" },
      spec: { replicas, template: { metadata: { labels: { app: "pingpong", version: "v1" } } } },
    },
  });
  const hpa = (minReplicas: number): CheckedResource => ({
    type: TYPES.hpa,
    name: "hpa",
    props: {
      metadata: { name: "pingpong-v1", namespace: "a" },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "pingpong-v1" },
        minReplicas,
      },
    },
  });
  const pdb = (minAvailable: number | string, pdbName = "pingpong-v1"): CheckedResource => ({
    type: TYPES.pdb,
    name: "pdb",
    props: {
      metadata: { name: pdbName, namespace: "a" },
      spec: { minAvailable, selector: { matchLabels: { app: "pingpong", version: "v1" } } },
    },
  });

  it("passes minAvailable below the HPA's minReplicas, or below the replicas without HPA", async () => {
    expect(await validateStack(name, [deployment(), hpa(3), pdb(2)])).toEqual([]);
    expect(await validateStack(name, [deployment(3), pdb(2)])).toEqual([]);
    expect(await validateStack(name, [deployment(3), pdb("50%", "other-name")])).toEqual([]);
  });

  it("fails minAvailable at or above the HPA's minReplicas", async () => {
    const minReplicas = 2;
    const violations = await validateStack(name, [deployment(), hpa(minReplicas), pdb(minReplicas)]);
    expect(violations).toEqual([
      { message: expect.stringContaining(`minReplicas ${minReplicas}`), urn: urnOf(TYPES.pdb, "pdb") },
    ]);
  });

  it("fails minAvailable >= replicas without HPA, matching the Deployment by selector", async () => {
    expect(await validateStack(name, [deployment(2), pdb(2, "other-name")])).toHaveLength(1);
    expect(await validateStack(name, [deployment(), pdb(1)])).toHaveLength(1);
    expect(await validateStack(name, [deployment(2), pdb("100%")])).toHaveLength(1);
  });

  it("converts percentages as the disruption controller does", () => {
    expect(minAvailableFor("50%", 3)).toBe(2);
    expect(minAvailableFor(2, 10)).toBe(2);
    expect(minAvailableFor("x", 3)).toBeUndefined();
  });
});

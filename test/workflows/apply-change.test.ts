import { applyable } from "../cluster/deploy";
import type { KubeObject } from "../cluster/kube";

// The cluster tier decides whether an apply changed an object by comparing the object before and
// after it, without what others write meanwhile: a controller's status update between the read and
// the apply is not the apply's change; a changed label or spec is.

const pdb = (
  over: Partial<Record<string, unknown>> = {},
  labels: Record<string, string> = {},
): KubeObject => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: {
    name: "pingpong-v1",
    namespace: "pingpong-a",
    labels: { app: "pingpong", ...labels },
    resourceVersion: "100",
    managedFields: [{ manager: "pingpong", operation: "Apply", time: "2026-12-07T00:00:00Z" }],
  },
  spec: { minAvailable: 1, selector: { matchLabels: { app: "pingpong" } } },
  status: { currentHealthy: 2, observedGeneration: 1 },
  ...over,
});

describe("applyable", () => {
  test("a status update and the server's bookkeeping are not a change", () => {
    const after = pdb({ status: { currentHealthy: 1, observedGeneration: 1 } });
    after.metadata.resourceVersion = "107";
    (after.metadata as Record<string, unknown>).managedFields = [];
    expect(applyable(after)).toBe(applyable(pdb()));
  });

  test("key order is not a change", () => {
    const o = pdb();
    const reordered = {
      status: o.status,
      spec: o.spec,
      metadata: o.metadata,
      kind: o.kind,
      apiVersion: o.apiVersion,
    };
    expect(applyable(reordered as KubeObject)).toBe(applyable(o));
  });

  test("a label or a spec field is a change", () => {
    expect(applyable(pdb({}, { "tier.pingpong.dev/pass": "fault" }))).not.toBe(applyable(pdb()));
    expect(
      applyable(pdb({ spec: { minAvailable: 2, selector: { matchLabels: { app: "pingpong" } } } })),
    ).not.toBe(applyable(pdb()));
  });
});

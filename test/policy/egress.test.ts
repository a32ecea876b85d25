// Rule 9 (policy/egress.ts): istiod's sidecars refuse hosts outside the mesh's registry.
import { ISTIOD_CHART } from "../../policy/egress";
import { TYPES } from "../../policy/resources";
import { POLICY_NAMES } from "../../policy/sdk";
import { validate, type Props } from "./support";

describe("egress-registry-only", () => {
  const name = POLICY_NAMES.registryOnly;
  const istiod = (values: Props) => ({ name: "istiod", chart: ISTIOD_CHART, values });

  it("passes istiod with REGISTRY_ONLY, and other charts whatever they set", async () => {
    const registryOnly = { meshConfig: { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } } };
    expect(await validate(name, TYPES.helmRelease, istiod(registryOnly))).toEqual([]);
    const other = { name: "gateway", chart: "gateway", values: { meshConfig: {} } };
    expect(await validate(name, TYPES.helmRelease, other)).toEqual([]);
  });

  it("knows istiod installed from a local chart directory (the program's chartSource)", async () => {
    const allowAny = { meshConfig: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } } };
    const local = { ...istiod(allowAny), chart: "/srv/charts/istiod/1.31.1" };
    expect(await validate(name, TYPES.helmRelease, local)).toEqual([expect.stringContaining("ALLOW_ANY")]);
  });

  it("fails ALLOW_ANY and an unset mode, which is ALLOW_ANY", async () => {
    const allowAny = { meshConfig: { outboundTrafficPolicy: { mode: "ALLOW_ANY" } } };
    expect(await validate(name, TYPES.helmRelease, istiod(allowAny))).toEqual([
      expect.stringContaining("ALLOW_ANY"),
    ]);
    expect(await validate(name, TYPES.helmRelease, istiod({ meshConfig: {} }))).toEqual([
      expect.stringContaining("unset"),
    ]);
  });
});

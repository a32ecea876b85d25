// Rule 5 (policy/mesh.ts): every sidecar-injected namespace is under STRICT mutual TLS, by its own
// PeerAuthentication `default` or a mesh-wide one in Istio's root namespace.
import { TYPES, type CheckedResource } from "../../policy/resources";
import { POLICY_NAMES } from "../../policy/sdk";
import { urnOf, validateStack } from "./support";

const namespace = (name: string, injection: "enabled" | "disabled"): CheckedResource => ({
  type: TYPES.namespace,
  name: `ns-${name}`,
  props: { metadata: { name, labels: { "istio-injection": injection } } },
});
const peerAuthentication = (ns: string, mode: string, name = "default"): CheckedResource => ({
  type: "kubernetes:security.istio.io/v1:PeerAuthentication",
  name: `pa-${ns}-${name}`,
  props: {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name, namespace: ns },
    spec: { mtls: { mode } },
  },
});

describe("strict-mtls-in-injected-namespaces", () => {
  const name = POLICY_NAMES.mtls;

  it("passes injected namespaces with their own STRICT default, or under a mesh-wide STRICT one", async () => {
    expect(
      await validateStack(name, [
        namespace("a", "enabled"),
        peerAuthentication("a", "STRICT"),
        namespace("c", "disabled"),
      ]),
    ).toEqual([]);
    expect(
      await validateStack(name, [namespace("a", "enabled"), peerAuthentication("istio-system", "STRICT")]),
    ).toEqual([]);
  });

  it("fails an injected namespace without a STRICT policy, naming it", async () => {
    const ns = namespace("a", "enabled");
    const violations = await validateStack(name, [
      ns,
      peerAuthentication("a", "STRICT", "not-default"),
      peerAuthentication("b", "STRICT"),
    ]);
    expect(violations).toEqual([
      { message: expect.stringMatching(/namespace a/), urn: urnOf(ns.type, ns.name ?? "") },
    ]);
  });

  it("fails a PERMISSIVE namespace default even under a mesh-wide STRICT policy", async () => {
    const violations = await validateStack(name, [
      namespace("a", "enabled"),
      peerAuthentication("a", "PERMISSIVE"),
      peerAuthentication("istio-system", "STRICT"),
    ]);
    expect(violations).toEqual([{ message: expect.stringMatching(/PERMISSIVE/), urn: expect.any(String) }]);
  });

  it("reads the root namespace from config", async () => {
    const resources = [namespace("a", "enabled"), peerAuthentication("mesh-root", "STRICT")];
    expect(await validateStack(name, resources)).toHaveLength(1);
    expect(await validateStack(name, resources, { rootNamespace: "mesh-root" })).toEqual([]);
  });
});

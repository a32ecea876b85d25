import * as pulumi from "@pulumi/pulumi";
import {
  FORCE_APPLY_ANNOTATION,
  appliedAsObject,
  programOwnsItsFields,
  withForceApply,
} from "../../components/ownership";

// The transform that makes every object the program applies take back the fields it declares.
// What it does to a real `pulumi up` (a hand edit shown by `preview --refresh` and undone by `up`)
// is proven on the real engine by test/cluster/engine-dev.cluster.test.ts.

const resolved = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

type Args = Parameters<typeof programOwnsItsFields>[0];
/** The arguments Pulumi gives a transformation for a resource of `type` (custom, or a component). */
const args = (type: string, props: Record<string, unknown>, custom = true): Args => ({
  resource: Object.create(
    custom ? pulumi.CustomResource.prototype : pulumi.ComponentResource.prototype,
  ) as pulumi.Resource,
  type,
  name: "x",
  props,
  opts: {},
});

describe("programOwnsItsFields (a transformation)", () => {
  test("an object gets the force-apply annotation beside its own, its other properties untouched", async () => {
    const out = programOwnsItsFields(
      args("kubernetes:security.istio.io/v1:PeerAuthentication", {
        metadata: { name: "default", annotations: { keep: "me" } },
        spec: { mtls: { mode: "STRICT" } },
      }),
    );
    expect(out).toBeDefined();
    const props = (out as { props: Record<string, unknown> }).props;
    expect(props.spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(await resolved(props.metadata as pulumi.Output<unknown>)).toEqual({
      name: "default",
      annotations: { keep: "me", [FORCE_APPLY_ANNOTATION]: "true" },
    });
  });

  test("metadata that is an Output, or absent, is annotated too", async () => {
    expect(await resolved(withForceApply(pulumi.output({ name: "ns" })))).toEqual({
      name: "ns",
      annotations: { [FORCE_APPLY_ANNOTATION]: "true" },
    });
    expect(await resolved(withForceApply(undefined))).toEqual({
      annotations: { [FORCE_APPLY_ANNOTATION]: "true" },
    });
  });

  test("Helm releases, the provider, components and other packages' resources are left alone", () => {
    expect(programOwnsItsFields(args("kubernetes:helm.sh/v3:Release", { values: {} }))).toBeUndefined();
    expect(programOwnsItsFields(args("pulumi:providers:kubernetes", {}))).toBeUndefined();
    expect(programOwnsItsFields(args("pingpong:mesh:Istio", {}, false))).toBeUndefined();
    expect(programOwnsItsFields(args("docker:index/image:Image", {}))).toBeUndefined();
    expect(
      ["kubernetes:core/v1:Namespace", "kubernetes:argoproj.io/v1alpha1:Rollout"].every(appliedAsObject),
    ).toBe(true);
  });
});

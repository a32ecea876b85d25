import * as pulumi from "@pulumi/pulumi";

/**
 * The program owns the fields it declares. The Kubernetes provider applies objects server-side
 * under its own field manager and, unforced, fails with a field conflict when another manager
 * changed one of them: a `kubectl edit` of a PeerAuthentication's mode made `pulumi preview
 * --refresh` fail instead of showing the drift (seen on the real engine and API server,
 * test/cluster/engine-dev.cluster.test.ts). Forced, the preview shows the change and `up` takes the
 * field back. Fields the program leaves to others are not declared or are ignored
 * (`ignoreChanges`: an autoscaler's replicas, the Rollout controller's subsets), and the provider
 * leaves them out of its apply, so forcing never takes them.
 */
export const FORCE_APPLY_ANNOTATION = "pulumi.com/patchForce";

/** Types the provider applies as objects (not Helm releases, which Helm upgrades, nor the provider itself). */
export function appliedAsObject(type: string): boolean {
  return type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm.sh/");
}

type Metadata = { annotations?: Record<string, string> } & Record<string, unknown>;

/** `metadata` with the force-apply annotation added; the other annotations kept. */
export function withForceApply(metadata: pulumi.Input<Metadata> | undefined): pulumi.Output<Metadata> {
  return pulumi.output(metadata ?? ({} as Metadata)).apply((m): Metadata => ({
    ...m,
    annotations: { ...(m.annotations ?? {}), [FORCE_APPLY_ANNOTATION]: "true" },
  }));
}

/**
 * A resource transformation for everything the program puts on a cluster (index.ts passes it with
 * the cluster's provider, so it applies to every component's children): every object it applies is
 * annotated to force its apply. A transformation (not a transform) runs in the program itself, so
 * Pulumi's mocks see its result too.
 */
export const programOwnsItsFields: pulumi.ResourceTransformation = (args) => {
  if (!(args.resource instanceof pulumi.CustomResource) || !appliedAsObject(args.type)) return undefined;
  const props = args.props as { metadata?: pulumi.Input<Metadata> };
  return { props: { ...args.props, metadata: withForceApply(props.metadata) }, opts: args.opts };
};

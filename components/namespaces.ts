import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "./labels";
import { ISTIO } from "./mesh";
import { podSecurityLabels } from "./pod-security";

export interface NamespaceSpec {
  /** The namespace's name (stable: Service DNS names and Istio principals contain it). */
  name: string;
  /** Whether Istio injects sidecars into its pods. */
  sidecarInjection: boolean;
}

export interface NamespacesArgs<K extends string> {
  namespaces: Record<K, NamespaceSpec>;
}

/**
 * Labels of one namespace: sidecar injection stated explicitly either way, and the restricted Pod
 * Security profile enforced. Injected pods pass it because istio-cni, not a privileged init
 * container, sets up their traffic redirection.
 */
export function namespaceLabels(spec: NamespaceSpec): Record<string, string> {
  return {
    ...standardLabels("pingpong", "namespace", spec.name),
    [ISTIO.injectionLabel]: spec.sidecarInjection ? "enabled" : "disabled",
    ...podSecurityLabels("restricted"),
  };
}

/** The pingpong namespaces, keyed as the caller names them (e.g. a, b, c). */
export class Namespaces<K extends string> extends pulumi.ComponentResource {
  public readonly namespaces: Record<K, k8s.core.v1.Namespace>;
  /** Namespace names as Outputs, so dependents wait for the namespace to exist. */
  public readonly names: Record<K, pulumi.Output<string>>;

  constructor(name: string, args: NamespacesArgs<K>, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:namespaces:Namespaces", name, {}, opts);
    const entries = Object.entries(args.namespaces) as Array<[K, NamespaceSpec]>;
    const namespaces = {} as Record<K, k8s.core.v1.Namespace>;
    const names = {} as Record<K, pulumi.Output<string>>;
    for (const [key, spec] of entries) {
      namespaces[key] = new k8s.core.v1.Namespace(
        `${name}-${key}`,
        { metadata: { name: spec.name, labels: namespaceLabels(spec) } },
        // Dependencies of the component hold for each namespace, hence for everything created in it.
        { parent: this, dependsOn: opts?.dependsOn },
      );
      names[key] = namespaces[key].metadata.name;
    }
    this.namespaces = namespaces;
    this.names = names;
    this.registerOutputs({ names });
  }
}

import type * as k8s from "@pulumi/kubernetes";

/** A Pod Security Standards profile (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * Pod Security admission labels of a namespace: `enforce` at the given level; warnings and audit
 * entries always at restricted, so anything short of it shows up even where it is allowed.
 */
export function podSecurityLabels(enforce: PodSecurityLevel = "restricted"): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  };
}

/** The restricted profile's demands on a pod: a non-root user and group, RuntimeDefault seccomp. */
export function restrictedPodSecurity(
  runAsUser: number,
  runAsGroup: number = runAsUser,
): k8s.types.input.core.v1.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser, runAsGroup, seccompProfile: { type: "RuntimeDefault" } };
}

/** The restricted profile's demands on a container: no privilege, nothing writable, no capability. */
export function restrictedContainerSecurity(): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

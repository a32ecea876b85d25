/** Label keys and values shared by every object the program creates. */
export const PART_OF = "pingpong";
export const MANAGED_BY = "pulumi";

/** The recommended app.kubernetes.io labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */
export function standardLabels(name: string, component: string, instance?: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": name,
    ...(instance ? { "app.kubernetes.io/instance": instance } : {}),
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": MANAGED_BY,
  };
}

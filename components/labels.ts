/** Label keys and values shared by every object the program creates. */
export const PART_OF = "pingpong";
export const MANAGED_BY = "pulumi";

/** The recommended app.kubernetes.io label keys (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */
export const LABEL_KEYS = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  version: "app.kubernetes.io/version",
  component: "app.kubernetes.io/component",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
} as const;

/** The labels every object of one component of pingpong carries, whatever its name or instance. */
export function componentLabels(component: string): Record<string, string> {
  return { [LABEL_KEYS.component]: component, [LABEL_KEYS.partOf]: PART_OF };
}

/** The recommended app.kubernetes.io labels. */
export function standardLabels(name: string, component: string, instance?: string): Record<string, string> {
  return {
    [LABEL_KEYS.name]: name,
    ...(instance ? { [LABEL_KEYS.instance]: instance } : {}),
    ...componentLabels(component),
    [LABEL_KEYS.managedBy]: MANAGED_BY,
  };
}

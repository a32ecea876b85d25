/** The egress rule: sidecars refuse hosts outside the mesh's registry. */
import { POLICY_NAMES, resourcePolicy } from "./sdk";
import { isHelm, obj, str, type Obj } from "./resources";
import { chartName } from "./edge";

// 9. Outbound traffic limited to the registry

/** The chart whose values carry istiod's meshConfig. */
export const ISTIOD_CHART = "istiod";

/**
 * istiod's `meshConfig.outboundTrafficPolicy.mode` must be REGISTRY_ONLY: with ALLOW_ANY (Istio's
 * default when unset, istio/api mesh/v1alpha1/config.proto) a sidecar passes traffic to any host.
 */
export function checkRegistryOnly(type: string, props: Obj): string[] {
  if (!isHelm(type) || chartName(str(props.chart) ?? "") !== ISTIOD_CHART) return [];
  const mode = str(obj(obj(obj(props.values).meshConfig).outboundTrafficPolicy).mode);
  return mode === "REGISTRY_ONLY"
    ? []
    : [`istiod meshConfig.outboundTrafficPolicy.mode is ${mode ?? "unset (ALLOW_ANY)"}, not REGISTRY_ONLY`];
}

export const registryOnlyEgress = resourcePolicy(
  {
    name: POLICY_NAMES.registryOnly,
    description:
      "istiod's meshConfig.outboundTrafficPolicy.mode is REGISTRY_ONLY: sidecars reach only hosts " +
      "the mesh knows (Services and ServiceEntries), not any host (ALLOW_ANY).",
    severity: "high",
  },
  (type, props) => checkRegistryOnly(type, props),
);

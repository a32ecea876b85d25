/** The mesh rule: every sidecar-injected namespace is under STRICT mutual TLS. */
import { POLICY_NAMES, stackPolicy } from "./sdk";
import {
  TYPES,
  isObj,
  isPeerAuthentication,
  obj,
  str,
  type CheckedResource,
  type StackViolation,
} from "./resources";

// 5. STRICT mTLS in injected namespaces (stack)

export interface MtlsConfig {
  /** Istio's root namespace: a PeerAuthentication `default` there applies mesh-wide. */
  rootNamespace?: string;
}
export const DEFAULT_ROOT_NAMESPACE = "istio-system";

interface PeerAuth {
  namespace?: string;
  mode?: string;
  portModes: string[];
}

/** Namespace-wide PeerAuthentications named `default` (no selector), by namespace. */
function defaultPeerAuthentications(resources: CheckedResource[]): Map<string, PeerAuth> {
  const found = new Map<string, PeerAuth>();
  for (const r of resources) {
    if (!isPeerAuthentication(r.type)) continue;
    const metadata = obj(r.props.metadata);
    const spec = obj(r.props.spec);
    const namespace = str(metadata.namespace);
    if (str(metadata.name) !== "default" || namespace === undefined) continue;
    if (isObj(spec.selector) && Object.keys(obj(spec.selector.matchLabels)).length > 0) continue;
    const portModes = Object.values(obj(spec.portLevelMtls)).map((p) => str(obj(p).mode) ?? "UNSET");
    found.set(namespace, { namespace, mode: str(obj(spec.mtls).mode), portModes });
  }
  return found;
}

export function checkStrictMtls(resources: CheckedResource[], config: MtlsConfig = {}): StackViolation[] {
  const root = config.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const policies = defaultPeerAuthentications(resources);
  const meshWide = policies.get(root);
  const meshStrict = meshWide?.mode === "STRICT";
  const out: StackViolation[] = [];
  for (const r of resources) {
    if (r.type !== TYPES.namespace) continue;
    const metadata = obj(r.props.metadata);
    if (obj(metadata.labels)["istio-injection"] !== "enabled") continue;
    const ns = str(metadata.name) ?? r.name ?? "?";
    const own = policies.get(ns);
    const mode = own?.mode;
    // UNSET (or no mode) inherits the mesh-wide policy; any other explicit mode overrides it.
    const effective = mode === undefined || mode === "UNSET" ? (meshStrict ? "STRICT" : undefined) : mode;
    if (effective !== "STRICT") {
      out.push({
        urn: r.urn,
        message: own
          ? `namespace ${ns}: PeerAuthentication default sets mtls.mode ${String(mode)}, not STRICT`
          : `namespace ${ns} is istio-injection=enabled but has no STRICT PeerAuthentication "default" ` +
            `(nor a mesh-wide one in ${root})`,
      });
    }
    const weakPorts = (own?.portModes ?? []).filter((m) => m !== "STRICT" && m !== "UNSET");
    if (weakPorts.length > 0) {
      out.push({
        urn: r.urn,
        message: `namespace ${ns}: portLevelMtls weakens STRICT (${weakPorts.join(", ")})`,
      });
    }
  }
  return out;
}

export const strictMtls = stackPolicy<MtlsConfig>(
  {
    name: POLICY_NAMES.mtls,
    description:
      "Every namespace labelled istio-injection=enabled is under STRICT mTLS: a PeerAuthentication " +
      "`default` in it with mtls.mode STRICT, or a mesh-wide one in the Istio root namespace.",
    severity: "critical",
    configSchema: {
      properties: {
        rootNamespace: { type: "string", description: "Istio's root namespace (mesh-wide policies)." },
      },
    },
  },
  checkStrictMtls,
);

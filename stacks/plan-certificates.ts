import type { CertificateSource } from "../components/certificates";
import type { TlsTermination } from "../components/types";
import { serviceHost } from "../components/workload";
import type { EdgePlan } from "./plan-types";
import type { Settings } from "./settings-types";

/**
 * Where the certificates come from, decided once: the stack generates a CA and certificates with
 * the tls provider, or it takes the user's own PKI (nothing generated, no tls resource).
 */
export type CertificatesPlan = CertificateSource;

/**
 * The names the server certificate must carry: the hosts served over HTTPS and, when the app
 * terminates TLS, the Services its peer calls. The plan's edge and the settings' check of a
 * provided certificate both read it.
 */
export function certificateHosts(
  termination: TlsTermination,
  hosts: string[],
  namespaces: { a: string; b: string },
): string[] {
  return termination === "app" ? [...hosts, serviceHost(namespaces.a), serviceHost(namespaces.b)] : hosts;
}

export function certificatesPlan(s: Settings, edge: EdgePlan): CertificatesPlan {
  const { tls, mesh } = s;
  const dnsNames = edge.certificateHosts;
  // The settings require the mesh CA exactly when pluginCa is on.
  if (tls.provided) return { mode: "provided", dnsNames, ...tls.provided };
  return {
    mode: "generated",
    dnsNames,
    organization: "pingpong",
    keyAlgorithm: tls.keyAlgorithm,
    validityHours: tls.validityHours,
    earlyRenewalHours: tls.earlyRenewalHours,
    caValidityHours: tls.caValidityHours,
    intermediateCa: mesh.pluginCa,
  };
}

import { createHash } from "node:crypto";

/** Names of egress hosts, shared by the settings (to refuse them early) and the Egress component. */

// An exact DNS name: a ServiceEntry with `resolution: DNS` must resolve it, which a wildcard cannot be.
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;

export const isEgressHostName = (host: string): boolean => DNS_NAME.test(host);

/**
 * A DNS-1123 label per host, for its subset (Istio validates subset names as labels,
 * pkg/config/validation ValidateDestinationRule), its Gateway port name and its objects' names.
 */
export function hostKey(host: string): string {
  const key = host.replace(/\./g, "-");
  if (key.length <= 63) return key;
  const digest = createHash("sha256").update(host).digest("hex").slice(0, 8);
  return `${key.slice(0, 54).replace(/-+$/, "")}-${digest}`;
}

/**
 * Two hosts the program cannot tell apart, said in words: one listed twice, or two whose subset,
 * port and objects would share a name (`a-b.example.com` and `a.b.example.com`). Undefined if none.
 */
export function hostClash(hosts: string[]): string | undefined {
  const keys = new Map<string, string>();
  for (const host of hosts) {
    const other = keys.get(hostKey(host));
    if (other === host) return `${JSON.stringify(host)} is listed twice`;
    if (other !== undefined)
      return `${JSON.stringify(other)} and ${JSON.stringify(host)} would share the name ${hostKey(host)}`;
    keys.set(hostKey(host), host);
  }
  return undefined;
}

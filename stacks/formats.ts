import type { Requests } from "../components/types";

/** The value formats the settings table checks against: Kubernetes names, quantities, labels, images. */

/** A DNS label (RFC 1123): namespaces, ServiceAccounts, IngressClasses. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A fully qualified host name: two labels at least, no wildcard. */
export const HOST_NAME = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** An image reference pinned by a tag or a digest. */
export const IMAGE_REF = /^[a-z0-9./_:-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/;

/** The items of a comma-separated list, trimmed, empty ones dropped. */
export function list(raw: string): string[] {
  return raw
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Kubernetes CPU quantity in millicores, or undefined when it is not one. */
export function parseCpu(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (!m) return undefined;
  return m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000;
}

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** Kubernetes memory quantity in bytes, or undefined when it is not one. */
export function parseMemory(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q);
  if (!m) return undefined;
  return Number(m[1]) * MEMORY_UNITS[m[2] ?? ""];
}

/** `<cpu>/<memory>` requests (e.g. 10m/64Mi) as quantities, or undefined when it is not that. */
export function parseRequests(raw: string): Requests | undefined {
  const [cpu, memory, ...rest] = raw.split("/");
  if (memory === undefined || rest.length > 0) return undefined;
  return parseCpu(cpu) !== undefined && parseMemory(memory) !== undefined ? { cpu, memory } : undefined;
}

/** A label key: an optional DNS-subdomain prefix and a name (kubernetes.io's label syntax). */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `k=v,k2=v2` as labels; undefined when any pair is not a valid label. */
export function parseLabels(raw: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const pair of list(raw)) {
    const eq = pair.indexOf("=");
    if (eq < 0) return undefined;
    const [key, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value) || key in labels) return undefined;
    labels[key] = value;
  }
  return labels;
}

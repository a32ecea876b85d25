/**
 * What the tier accepts from the real systems, each with the reason it is harmless; the same list
 * is in docs/cluster-tier.md. Anything else fails the tier.
 */

/** istioctl analyze messages at Warning or above that the tier accepts, by code. */
export const ALLOWED_ANALYZER_MESSAGES: Record<string, string> = {
  IST0133:
    'istiod\'s schema warning on every EnvoyFilter ("exposes internal implementation details"): ' +
    "Istio 1.31 has no other API for a local rate limit; the project pins the filter's place and tests it",
};

/** API server warnings (from webhooks or the API server itself) the tier accepts. */
export const ALLOWED_WARNINGS: Array<{ pattern: RegExp; reason: string }> = [
  {
    pattern: /^EnvoyFilter exposes internal implementation details/,
    reason: "the same EnvoyFilter warning, as istiod's validation webhook returns it on every apply",
  },
];

/**
 * Pods whose Pod Security warnings are by design: the namespace enforces a lower level for them on
 * purpose, while its `warn` label stays at restricted so that anything else short of it shows.
 */
export const PRIVILEGED_BY_DESIGN: Array<{ namespace: string; podPrefix: string; reason: string }> = [
  {
    namespace: "istio-system",
    podPrefix: "istio-cni-node-",
    reason:
      "istio-cni's node agent installs the CNI plugin on the host and redirects pod traffic: it needs " +
      "host paths, NET_ADMIN and SYS_ADMIN, which is what lets every injected pod run restricted",
  },
];

export function allowedAnalyzerCodes(): Set<string> {
  return new Set(Object.keys(ALLOWED_ANALYZER_MESSAGES));
}

export const allowedWarning = (w: string): boolean => ALLOWED_WARNINGS.some((a) => a.pattern.test(w));

export const privilegedByDesign = (pod: string): boolean =>
  PRIVILEGED_BY_DESIGN.some((p) => pod.startsWith(`${p.namespace}/${p.podPrefix}`));

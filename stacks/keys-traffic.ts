import { IMAGE_REF, list } from "./formats";
import { between, int, matches, str } from "./key";

/** Rows of the settings table: the canary, timeouts, retries, circuit breaking and fault drills. */

/** The pingpong instances a canary can run beside. */
export const INSTANCES = ["a", "b"] as const;
export type Instance = (typeof INSTANCES)[number];

const percentage = between(0, 100, "a percentage");
const milliseconds = (min: number) => between(min, 600_000, "milliseconds");
const seconds = between(1, 3600, "seconds");
/**
 * The retry conditions istiod's validation accepts in a VirtualService's retryOn (istio/istio
 * pkg/config/validation/validation.go, supportedRetryOnPolicies and validateHTTPRetry): Envoy's
 * x-envoy-retry-on policies, then its x-envoy-retry-grpc-on ones (Envoy's router filter reference,
 * configuration/http/http_filters/router_filter), each as Envoy names it.
 */
const RETRY_ON = [
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "envoy-ratelimited",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "http3-post-connect-failure",
];
const RETRY_GRPC_ON = ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"];

/**
 * The HTTP status codes istiod takes in retryOn: a number Go's net/http.StatusText has a text for
 * (validateHTTPRetry), as [first, last] ranges of Go's net/http status.go.
 */
const KNOWN_STATUS_CODES = [
  [100, 103],
  [200, 208],
  [226, 226],
  [300, 305],
  [307, 308],
  [400, 418],
  [421, 426],
  [428, 429],
  [431, 431],
  [451, 451],
  [500, 508],
  [510, 511],
] as const;

const isStatusCode = (c: string) =>
  /^\d{3}$/.test(c) && KNOWN_STATUS_CODES.some(([first, last]) => +c >= first && +c <= last);

/** The entries of a retryOn value (split on commas as istiod splits them, untrimmed) it does not accept. */
export const unknownRetryConditions = (v: string): string[] =>
  v.split(",").filter((c) => !RETRY_ON.includes(c) && !RETRY_GRPC_ON.includes(c) && !isStatusCode(c));

/** dev's value, then the one staging and prod share. */
const devElse = <V>(dev: V, production: V) => ({ dev, staging: production, prod: production });

export const TRAFFIC_KEYS = {
  canaryInstances: str({
    description: "Instances (a, b; comma-separated) that run a second version v2 beside v1. Empty: none.",
    default: "",
    valid: (v: string) => {
      const instances = list(v);
      const known = instances.every((i) => (INSTANCES as readonly string[]).includes(i));
      return known && new Set(instances).size === instances.length;
    },
    expected: "empty or a comma-separated list of a, b",
  }),
  canaryImage: str({
    description: "Image of v2. Default: the stack's own build (v2 then differs only by its version).",
    optional: true,
    valid: matches(IMAGE_REF),
    expected: "an image reference with a tag or digest",
  }),
  canaryReplicas: int({
    description: "Replicas of v2 per canary instance.",
    default: 1,
    range: between(1, 100, "a replica count"),
  }),
  trafficPercentV1: int({
    description: "Percent of requests routed to v1; with trafficPercentV2, sums to 100.",
    default: 100,
    range: percentage,
  }),
  trafficPercentV2: int({
    description: "Percent of requests routed to v2 (0/100 or 100/0: blue-green).",
    default: 0,
    range: percentage,
  }),
  canaryHeader: str({
    description: "Requests with this header set to v2 always reach v2 (testers).",
    default: "x-pingpong-version",
    valid: matches(/^[a-z0-9-]+$/),
    expected: "a lowercase HTTP header name",
  }),
  mirrorPercent: int({
    description: "Percent of v1 traffic mirrored to v2, responses discarded. 0: off.",
    default: 0,
    range: percentage,
  }),
  routeTimeoutMs: int({
    description: "Timeout of a call to pingpong through the mesh, retries included.",
    default: devElse(3000, 2000),
    range: milliseconds(10),
  }),
  retryAttempts: int({
    description: "Retries of a failed call.",
    default: 2,
    range: between(0, 10, "a retry count"),
  }),
  retryPerTryTimeoutMs: int({
    description: "Timeout of each attempt.",
    default: devElse(1000, 800),
    range: milliseconds(10),
  }),
  retryOn: str({
    description:
      "Envoy retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on policies, or HTTP status codes), e.g. connect-failure,refused-stream,unavailable,cancelled,5xx.",
    default: "connect-failure,refused-stream,unavailable,cancelled,5xx",
    valid: (v: string) => unknownRetryConditions(v).length === 0,
    expected: `comma-separated retry conditions Istio accepts (x-envoy-retry-on: ${RETRY_ON.join(", ")}; x-envoy-retry-grpc-on: ${RETRY_GRPC_ON.join(", ")}; or an HTTP status code such as 503)`,
    detail: (v: string) =>
      `; unknown: ${unknownRetryConditions(v)
        .map((c) => JSON.stringify(c))
        .join(", ")}`,
  }),
  outlierConsecutive5xx: int({
    description: "Circuit breaking: consecutive 5xx that eject an endpoint.",
    default: 5,
    range: between(1, 1000, "an error count"),
  }),
  outlierIntervalSeconds: int({
    description: "Circuit breaking: interval between ejection sweeps.",
    default: 10,
    range: seconds,
  }),
  outlierBaseEjectionSeconds: int({
    description: "Circuit breaking: minimum ejection time.",
    default: 30,
    range: seconds,
  }),
  outlierMaxEjectionPercent: int({
    description: "Circuit breaking: most endpoints ejected at once, percent.",
    default: devElse(100, 50),
    range: percentage,
  }),
  poolMaxConnections: int({
    description: "Connection pool: TCP connections per endpoint and caller.",
    default: devElse(100, 200),
    range: between(1, 100_000, "a connection count"),
  }),
  poolMaxPendingRequests: int({
    description: "Connection pool: requests queued waiting for a connection.",
    default: devElse(100, 200),
    range: between(1, 100_000, "a request count"),
  }),
  poolMaxRequestsPerConnection: int({
    description: "Connection pool: requests per connection before it is recycled (0: unlimited).",
    default: 0,
    range: between(0, 100_000, "a request count"),
  }),
  faultDelayPercent: int({
    description: "Drills: percent of requests delayed by faultDelayMs. 0: off.",
    default: 0,
    range: percentage,
  }),
  faultDelayMs: int({ description: "Drills: injected delay.", default: 500, range: milliseconds(1) }),
  faultAbortPercent: int({
    description: "Drills: percent of requests aborted with faultAbortStatus. 0: off.",
    default: 0,
    range: percentage,
  }),
  faultAbortStatus: int({
    description: "Drills: HTTP status of aborted requests.",
    default: 503,
    range: between(400, 599, "an HTTP error status"),
  }),
} as const;

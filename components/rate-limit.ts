import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EnvoyFilterSpec, EnvoyHttpFilterPatch, EnvoyPatchContext } from "./crds";
import { standardLabels } from "./labels";

/**
 * Local (per-proxy) rate limiting. Istio 1.31 has no API of its own for it: istio.io's task
 * "Enabling Rate Limits using Envoy" (content/en/docs/tasks/policy-enforcement/rate-limit/index.md,
 * section "Local rate limit") inserts Envoy's `envoy.filters.http.local_ratelimit` with an
 * EnvoyFilter, and the shapes below follow that page, except where the sidecars' filter goes
 * (localRateLimitPatch: after RBAC, not at the front of the chain).
 */

/** The token bucket of one proxy. */
export interface RateLimit {
  /** Tokens added every second: the sustained requests per second one proxy admits. */
  requestsPerSecond: number;
  /** The bucket's size: requests admitted at once; at least requestsPerSecond. */
  burst: number;
}

/** Envoy's names as the istio.io task spells them. */
export const ENVOY = {
  localRateLimit: "envoy.filters.http.local_ratelimit",
  connectionManager: "envoy.filters.network.http_connection_manager",
  router: "envoy.filters.http.router",
} as const;

/** The filter's config as Envoy's LocalRateLimit message names its fields. */
export interface LocalRateLimitConfig {
  stat_prefix: string;
  token_bucket: { max_tokens: number; tokens_per_fill: number; fill_interval: string };
  filter_enabled: RuntimeFraction;
  filter_enforced: RuntimeFraction;
  response_headers_to_add: Array<{ append: boolean; header: { key: string; value: string } }>;
}

interface RuntimeFraction {
  runtime_key: string;
  default_value: { numerator: number; denominator: "HUNDRED" };
}

/** The HTTP filter the patch inserts, wrapped in a TypedStruct as the istio.io task does. */
export interface LocalRateLimitFilter {
  name: typeof ENVOY.localRateLimit;
  typed_config: {
    "@type": "type.googleapis.com/udpa.type.v1.TypedStruct";
    type_url: "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
    value: LocalRateLimitConfig;
  };
}

/** What a request over the limit gets back, for the verification to expect. */
export interface LimitedAnswer {
  status: number;
  header: { name: string; value: string };
}

/**
 * Envoy answers 429 unless LocalRateLimit.status says otherwise (envoyproxy/envoy
 * api/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto, field `status`:
 * "Defaults to 429 (TooManyRequests)"); the patch leaves `status` unset. The header is the one the
 * istio.io task adds to limited answers.
 */
export function limitedAnswer(): LimitedAnswer {
  return { status: 429, header: { name: "x-local-rate-limit", value: "true" } };
}

/** Throws naming the argument when the bucket cannot be what Envoy's TokenBucket accepts. */
export function checkRateLimit(limit: RateLimit): void {
  // TokenBucket.max_tokens and tokens_per_fill are uint32 > 0 (envoyproxy/envoy
  // api/envoy/type/v3/token_bucket.proto).
  for (const key of ["requestsPerSecond", "burst"] as const) {
    const v = limit[key];
    if (!Number.isInteger(v) || v <= 0)
      throw new Error(`LocalRateLimit: ${key} must be a whole number above 0, got ${v}`);
  }
  if (limit.burst < limit.requestsPerSecond)
    throw new Error(
      `LocalRateLimit: burst must be at least requestsPerSecond (${limit.requestsPerSecond}), got ${limit.burst}`,
    );
}

// LocalRateLimit.filter_enabled and filter_enforced default to 0% "for safety": without both at
// 100% the filter counts but limits nothing (local_rate_limit.proto).
const always = (runtimeKey: string): RuntimeFraction => ({
  runtime_key: runtimeKey,
  default_value: { numerator: 100, denominator: "HUNDRED" },
});

/**
 * The HTTP_FILTER patch inserting the local rate limit into the HTTP connection manager, in every
 * context right before the router: after authentication and RBAC, so a request the
 * AuthorizationPolicies refuse (403) never reaches the bucket and only authorized requests spend
 * tokens. istiod 1.31 builds an inbound sidecar's (and a gateway's) chain as metadata exchange,
 * ext_authz (CUSTOM policies), jwt_authn (RequestAuthentications), `envoy.filters.http.rbac`
 * (ALLOW, DENY, AUDIT policies), grpc_stats, fault, cors, `istio.stats`, "Router filter must be last"
 * (istio/istio 1.31.0-rc.0 pilot/pkg/networking/core/listener_builder.go,
 * buildHTTPConnectionManager). RBAC is there only where a policy selects the proxy
 * (pilot/pkg/security/authz/builder/builder.go, New: no policies, no builder); each pingpong
 * namespace has its allow-nothing and ALLOW policies (mesh-security.ts), so its pods have it.
 *
 * Not the istio.io task's sidecar patch, INSERT_BEFORE with no sub-filter: that inserts "at the
 * front of the list" (istio/api networking/v1alpha3/envoy_filter.proto, Patch.Operation), ahead of
 * RBAC, where callers the mesh refuses would drain the bucket of the callers it admits. Nor
 * INSERT_AFTER `envoy.filters.http.rbac`: a patch whose sub-filter is absent is not applied
 * (istio/istio 1.31.0-rc.0 pilot/pkg/networking/core/envoyfilter/listener_patch.go,
 * patchHTTPFilters), so a proxy without policies would silently lose its limit. The router is in
 * every chain. The task's global-limit gateway patch anchors at the router the same way.
 */
export function localRateLimitPatch(context: EnvoyPatchContext, limit: RateLimit): EnvoyHttpFilterPatch {
  checkRateLimit(limit);
  const answer = limitedAnswer();
  const value: LocalRateLimitFilter = {
    name: ENVOY.localRateLimit,
    typed_config: {
      "@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
      type_url: "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
      value: {
        stat_prefix: "http_local_rate_limiter",
        // The bucket starts full (TokenBucket.max_tokens "is also the number of tokens that the
        // bucket initially contains") and gains tokens_per_fill every fill_interval.
        token_bucket: {
          max_tokens: limit.burst,
          tokens_per_fill: limit.requestsPerSecond,
          fill_interval: "1s",
        },
        filter_enabled: always("local_rate_limit_enabled"),
        filter_enforced: always("local_rate_limit_enforced"),
        // `append: false` as the task writes it: the header replaces any of the same name.
        response_headers_to_add: [
          { append: false, header: { key: answer.header.name, value: answer.header.value } },
        ],
      },
    },
  };
  return {
    applyTo: "HTTP_FILTER",
    match: {
      context,
      listener: {
        filterChain: { filter: { name: ENVOY.connectionManager, subFilter: { name: ENVOY.router } } },
      },
    },
    patch: { operation: "INSERT_BEFORE", value },
  };
}

/**
 * Where the rate limit's EnvoyFilter sits among EnvoyFilters of the same proxy. Its patch is
 * relative (INSERT_BEFORE), so its place depends on the patches applied before it; with the default
 * priority 0 that order is undefined and `istioctl analyze` warns (IST0151,
 * pkg/config/analysis/analyzers/envoyfilter: any relative operation with priority 0). A positive
 * priority applies it after every filter left at the default: whatever those insert before the
 * router, the limit still lands last before it, after RBAC.
 */
export const RATE_LIMIT_FILTER_PRIORITY = 10;

/** One target's EnvoyFilter spec: the patch on the pods labelled `podLabels`. */
export function localRateLimitSpec(
  podLabels: Record<string, string>,
  context: EnvoyPatchContext,
  limit: RateLimit,
): EnvoyFilterSpec {
  // The selector's "scope of label search is restricted to the configuration namespace" (istio/api
  // type/v1beta1/selector.proto, WorkloadSelector.labels): the pods of the target's namespace only.
  return {
    workloadSelector: { labels: { ...podLabels } },
    priority: RATE_LIMIT_FILTER_PRIORITY,
    configPatches: [localRateLimitPatch(context, limit)],
  };
}

/** Proxies whose inbound HTTP the limit applies to. */
export interface RateLimitTarget {
  /** Names the EnvoyFilter (`<name>-local-ratelimit`) and its Pulumi resource. */
  name: string;
  /** The pods' namespace: the EnvoyFilter lives there. */
  namespace: pulumi.Input<string>;
  /** Labels every pod to limit carries (the workloadSelector). */
  podLabels: Record<string, string>;
  /** SIDECAR_INBOUND for an injected workload, GATEWAY for an Istio gateway's pods. */
  context: EnvoyPatchContext;
}

export interface LocalRateLimitArgs extends RateLimit {
  /** One EnvoyFilter per target, each with the same token bucket (per proxy, not per Service). */
  targets: RateLimitTarget[];
  /** Istio's control plane: the EnvoyFilters wait for it (its CRDs and webhooks). */
  controlPlane: pulumi.Resource[];
}

/**
 * A token bucket in every targeted proxy. Each pod's Envoy keeps its own bucket, shared by its
 * worker threads (LocalRateLimit.local_rate_limit_per_downstream_connection, default false): N pods
 * admit N times the rate.
 */
export class LocalRateLimit extends pulumi.ComponentResource {
  /** `<namespace>/<name>` of each EnvoyFilter, in the order of the targets. */
  public readonly filterNames: pulumi.Output<string[]>;

  constructor(name: string, args: LocalRateLimitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:traffic:LocalRateLimit", name, {}, opts);
    const limit = { requestsPerSecond: args.requestsPerSecond, burst: args.burst };
    // Checked first, so a bad limit fails before any child exists, even without targets.
    checkRateLimit(limit);
    const specs = args.targets.map((t) => localRateLimitSpec(t.podLabels, t.context, limit));
    const labels = standardLabels("pingpong", "rate-limit");
    const childOpts = { parent: this, dependsOn: args.controlPlane };
    const filters = args.targets.map(
      (t, i) =>
        new k8s.apiextensions.CustomResource(
          `${name}-${t.name}`,
          {
            apiVersion: "networking.istio.io/v1alpha3",
            kind: "EnvoyFilter",
            metadata: { name: `${t.name}-local-ratelimit`, namespace: t.namespace, labels },
            spec: specs[i],
          },
          childOpts,
        ),
    );
    this.filterNames = pulumi.all(
      filters.map((f) => pulumi.interpolate`${f.metadata.namespace}/${f.metadata.name}`),
    );
    this.registerOutputs({ filterNames: this.filterNames });
  }
}

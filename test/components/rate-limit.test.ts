import Ajv from "ajv";
import addFormats from "ajv-formats";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_RELEASE, gatewayPodLabels } from "../../components/istio";
import {
  LocalRateLimit,
  limitedAnswer,
  localRateLimitPatch,
  type LocalRateLimitArgs,
  type RateLimitTarget,
} from "../../components/rate-limit";
import { CANARY_VERSION, PRIMARY_VERSION, podLabels, serviceSelector } from "../../components/workload";
import { describeWithReference, readReferenceJson } from "../support/reference";
import {
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  selects,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { T } from "../support/tokens";

/**
 * The LocalRateLimit component alone: one EnvoyFilter per target, on the target's pods, inserting
 * Envoy's local rate limit where istio.io's task "Enabling Rate Limits using Envoy" does
 * (content/en/docs/tasks/policy-enforcement/rate-limit/index.md). Upstream names below are that
 * page's literals, not the component's constants.
 */

const UPSTREAM = {
  filter: "envoy.filters.http.local_ratelimit",
  connectionManager: "envoy.filters.network.http_connection_manager",
  router: "envoy.filters.http.router",
  rbac: "envoy.filters.http.rbac",
  typedStruct: "type.googleapis.com/udpa.type.v1.TypedStruct",
  typeUrl: "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
} as const;
/**
 * The HTTP filters istiod 1.31 gives an inbound sidecar's connection manager, in order, each where
 * its policies exist (istio/istio 1.31.0-rc.0 pilot/pkg/networking/core/listener_builder.go,
 * buildHTTPConnectionManager; names from pkg/wellknown/wellknown.go, pilot/pkg/xds/filters and
 * pkg/config/xds/filters.go): metadata exchange first, ext_authz for CUSTOM policies, jwt_authn
 * for RequestAuthentications, RBAC for ALLOW/DENY/AUDIT policies, then "Router filter must be last".
 */
const INBOUND_CHAIN = [
  "istio.metadata_exchange",
  "envoy.filters.http.ext_authz",
  "envoy.filters.http.jwt_authn",
  UPSTREAM.rbac,
  "envoy.filters.http.grpc_stats",
  "envoy.filters.http.fault",
  "envoy.filters.http.cors",
  "istio.stats",
  UPSTREAM.router,
];
/**
 * The gateway chart's pod labels for the release istio-ingressgateway (istio/istio 1.31.0-rc.0
 * manifests/charts/gateway/templates/_helpers.tpl, gateway.selectorLabels); the task's gateway
 * EnvoyFilters select `istio: ingressgateway`.
 */
const GATEWAY_PODS = { app: "istio-ingressgateway", istio: "ingressgateway" };

/** Namespaces as plain strings, as the program's resolve to. */
const TARGETS: Array<RateLimitTarget & { namespace: string }> = [
  { name: "pingpong-a", namespace: "team-a", podLabels: serviceSelector(), context: "SIDECAR_INBOUND" },
  {
    name: "ingress",
    namespace: "istio-ingress",
    podLabels: gatewayPodLabels(GATEWAY_RELEASE),
    context: "GATEWAY",
  },
];
const ARGS: Omit<LocalRateLimitArgs, "controlPlane"> = { requestsPerSecond: 20, burst: 40, targets: TARGETS };
/** Pods each target must reach, and pods of the other target it must not. */
const PODS: Record<string, Record<string, string>[]> = {
  "pingpong-a": [PRIMARY_VERSION, CANARY_VERSION].map((v) => podLabels("pingpong-a", v)),
  ingress: [GATEWAY_PODS],
};

/** Stands in for Istio's releases: the custom resources must wait for them. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

const render = (args: Partial<LocalRateLimitArgs> = {}): Promise<ProgramRun> =>
  runComponent(() => {
    const controlPlane = [new ControlPlane("istiod")];
    const limit = new LocalRateLimit("rate-limit", { ...ARGS, controlPlane, ...args });
    return { filterNames: limit.filterNames };
  });

function filterOf(run: ProgramRun, target: RateLimitTarget): Recorded {
  const found = ofType(run, T.envoyFilter).filter((f) => nameOf(f) === `${target.name}-local-ratelimit`);
  if (found.length !== 1) throw new Error(`expected one EnvoyFilter for ${target.name}`);
  return found[0];
}

/**
 * INSERT_BEFORE on an HTTP filter chain as istio/api networking/v1alpha3/envoy_filter.proto
 * describes it: before the selected sub-filter, at the front when none is selected.
 */
function insertBefore(chain: string[], patch: ReturnType<typeof localRateLimitPatch>): string[] {
  const anchor = patch.match.listener.filterChain.filter.subFilter?.name;
  const at = anchor === undefined ? 0 : chain.indexOf(anchor);
  if (at < 0) throw new Error(`no ${anchor} in the chain`);
  const name = (patch.patch.value as { name: string }).name;
  return [...chain.slice(0, at), name, ...chain.slice(at)];
}

describe("a sidecar target and a gateway target", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render()));

  test("one EnvoyFilter per target, in the target's namespace, after the control plane", () => {
    expect(ofType(run, T.envoyFilter)).toHaveLength(TARGETS.length);
    for (const t of TARGETS) {
      const f = filterOf(run, t);
      expect(namespaceOf(f)).toBe(t.namespace);
      expect(f.inputs.apiVersion).toBe("networking.istio.io/v1alpha3");
      expect(f.dependsOn).toContain("istiod");
    }
    expect(run.outputs.filterNames).toEqual(TARGETS.map((t) => `${t.namespace}/${t.name}-local-ratelimit`));
  });

  test("each workloadSelector selects its target's pods and not the other target's", () => {
    for (const t of TARGETS) {
      const labels = filterOf(run, t).inputs.spec.workloadSelector.labels;
      expect(labels).toEqual(t.podLabels);
      for (const [owner, pods] of Object.entries(PODS))
        for (const pod of pods) expect(selects({ matchLabels: labels }, pod)).toBe(owner === t.name);
    }
  });

  test("the gateway target's labels are the chart's pod labels, which the task's `istio` selector matches", () => {
    expect(gatewayPodLabels(GATEWAY_RELEASE)).toEqual(GATEWAY_PODS);
    expect(selects({ matchLabels: { istio: "ingressgateway" } }, GATEWAY_PODS)).toBe(true);
  });

  test("one HTTP_FILTER patch inserting the local rate limit, in the target's context", () => {
    for (const t of TARGETS) {
      const { configPatches } = filterOf(run, t).inputs.spec;
      expect(configPatches).toHaveLength(1);
      const [p] = configPatches;
      expect({ applyTo: p.applyTo, context: p.match.context, operation: p.patch.operation }).toEqual({
        applyTo: "HTTP_FILTER",
        context: t.context,
        operation: "INSERT_BEFORE",
      });
      expect(p.patch.value.name).toBe(UPSTREAM.filter);
      expect(p.patch.value.typed_config).toMatchObject({
        "@type": UPSTREAM.typedStruct,
        type_url: UPSTREAM.typeUrl,
      });
    }
  });

  test("sidecars and gateway: right before the router, after RBAC, so refused callers spend no tokens", () => {
    for (const t of TARGETS) {
      const patch = filterOf(run, t).inputs.spec.configPatches[0];
      expect(patch.match.listener.filterChain.filter).toEqual({
        name: UPSTREAM.connectionManager,
        subFilter: { name: UPSTREAM.router },
      });
      // With AuthorizationPolicies (every pingpong namespace has them) and without any.
      for (const chain of [INBOUND_CHAIN, INBOUND_CHAIN.filter((f) => f !== UPSTREAM.rbac)]) {
        const patched = insertBefore(chain, patch);
        expect(patched.slice(-2)).toEqual([UPSTREAM.filter, UPSTREAM.router]);
        if (chain.includes(UPSTREAM.rbac))
          expect(patched.indexOf(UPSTREAM.filter)).toBeGreaterThan(patched.indexOf(UPSTREAM.rbac));
      }
    }
  });

  test("the token bucket holds burst tokens and gains requestsPerSecond each second, enforced for all", () => {
    for (const t of TARGETS) {
      const config = filterOf(run, t).inputs.spec.configPatches[0].patch.value.typed_config.value;
      expect(config.token_bucket).toEqual({
        max_tokens: ARGS.burst,
        tokens_per_fill: ARGS.requestsPerSecond,
        fill_interval: "1s",
      });
      const all = { numerator: 100, denominator: "HUNDRED" };
      expect(config.filter_enabled.default_value).toEqual(all);
      expect(config.filter_enforced.default_value).toEqual(all);
    }
  });

  test("a limited request gets Envoy's default 429 and the x-local-rate-limit header", () => {
    expect(limitedAnswer()).toEqual({ status: 429, header: { name: "x-local-rate-limit", value: "true" } });
    const { header } = limitedAnswer();
    for (const t of TARGETS) {
      const config = filterOf(run, t).inputs.spec.configPatches[0].patch.value.typed_config.value;
      // No `status`: Envoy's LocalRateLimit answers 429 when it is unset.
      expect(config).not.toHaveProperty("status");
      expect(config.response_headers_to_add).toEqual([
        { append: false, header: { key: header.name, value: header.value } },
      ]);
    }
  });
});

describeWithReference("against the EnvoyFilter CRD schema", () => {
  // Compiled as test/program/crd-schema.ts compiles the strict schemas (that module renders the
  // program's variants when loaded, which this component test does not need).
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const format of ["int32", "int64", "double", "float", "binary"]) ajv.addFormat(format, true);
  const validate = ajv.compile(
    readReferenceJson<object>("schemas", "crds", "networking.istio.io", "envoyfilter_v1alpha3.json"),
  );
  const specErrors = (spec: unknown): string[] =>
    validate({ spec }) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

  test("every rendered EnvoyFilter spec is valid", async () => {
    const run = await render();
    for (const f of ofType(run, T.envoyFilter))
      expect({ f: f.name, errors: specErrors(f.inputs.spec) }).toEqual({
        f: f.name,
        errors: [],
      });
  });

  test("the schema rejects a patch key it does not know, so the check can fail", () => {
    const patch = localRateLimitPatch("SIDECAR_INBOUND", { requestsPerSecond: 1, burst: 1 });
    const spec = { workloadSelector: { labels: {} }, configPatches: [{ ...patch, filters: [] }] };
    expect(specErrors(spec)).not.toEqual([]);
  });
});

test("the bucket follows other settings: burst equal to the rate", () => {
  const patch = localRateLimitPatch("GATEWAY", { requestsPerSecond: 7, burst: 7 });
  const config = (patch.patch.value as { typed_config: { value: { token_bucket: unknown } } }).typed_config;
  expect(config.value.token_bucket).toEqual({ max_tokens: 7, tokens_per_fill: 7, fill_interval: "1s" });
});

test("no targets, no EnvoyFilter", async () => {
  const run = await render({ targets: [] });
  expect(ofType(run, T.envoyFilter)).toEqual([]);
  expect(run.outputs.filterNames).toEqual([]);
});

describe("bad limits throw naming the argument and its value", () => {
  test.each([
    [{ requestsPerSecond: 0, burst: 10 }, /requestsPerSecond.*got 0/],
    [{ requestsPerSecond: -5, burst: 10 }, /requestsPerSecond.*got -5/],
    [{ requestsPerSecond: 10, burst: 0 }, /burst.*got 0/],
    [{ requestsPerSecond: 2.5, burst: 10 }, /requestsPerSecond.*got 2.5/],
    [{ requestsPerSecond: 10, burst: 5 }, /burst must be at least requestsPerSecond \(10\), got 5/],
  ])("%j", async (limit, message) => {
    expect(() => localRateLimitPatch("SIDECAR_INBOUND", limit)).toThrow(message);
    await expect(render(limit)).rejects.toThrow(message);
    await expect(render({ ...limit, targets: [] })).rejects.toThrow(message);
  });
});

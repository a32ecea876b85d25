import type { Settings } from "../../stacks/settings";
import { chartPodLabels } from "../support/chart-services";
import { inNamespace, ofType, selects, type ProgramRun, type Recorded } from "../support/program";
import { describeWithReference } from "../support/reference";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, release, type Json } from "./lookup";
import { podLabelSets, workloadsIn } from "./workloads";

/**
 * The local rate limits as the whole program places them: a token bucket in every pingpong pod's
 * sidecar and, where it is the edge, in the ingress gateway's pods. The EnvoyFilter patch itself:
 * test/components/rate-limit.test.ts; the burst that proves it: verification.test.ts.
 */

type Variant = keyof typeof SHARED_VARIANTS;
const ALL = Object.keys(SHARED_VARIANTS) as Variant[];
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(SHARED_VARIANTS, runs, settings), 120_000);

const pingpongNamespaces = (s: Settings) => [s.namespaces.a, s.namespaces.b];
const selectorOf = (f: Recorded) => ({ matchLabels: f.inputs.spec.workloadSelector.labels });
const bucketOf = (f: Recorded): Json =>
  (f.inputs.spec.configPatches as Json[])[0].patch.value.typed_config.value.token_bucket;

describe.each(ALL)("rate limits in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test("none where the settings turn them off (the sidecars see only TLS when the app terminates it)", () => {
    expect(ofType(run(), T.envoyFilter).length > 0).toBe(s().rateLimit !== undefined);
    expect(s().rateLimit === undefined).toBe(s().tls.termination === "app");
  });

  test("one EnvoyFilter per pingpong namespace, on every pod there, with the settings' bucket", () => {
    const limit = s().rateLimit;
    for (const n of pingpongNamespaces(s())) {
      const filters = inNamespace(run(), T.envoyFilter, n);
      expect(filters).toHaveLength(limit ? 1 : 0);
      if (!limit) continue;
      for (const w of workloadsIn(run(), n))
        for (const labels of podLabelSets(w)) expect(selects(selectorOf(filters[0]), labels)).toBe(true);
      // Before the router, so after RBAC: a caller the AuthorizationPolicies refuse spends no token
      // (istio/istio 1.31.0-rc.0 listener_builder.go puts RBAC before it, "Router filter must be last").
      expect(filters[0].inputs.spec.configPatches[0].match.listener.filterChain.filter.subFilter).toEqual({
        name: "envoy.filters.http.router",
      });
      // The bucket holds the burst and refills the rate every second.
      expect(bucketOf(filters[0])).toEqual({
        max_tokens: limit.burst,
        tokens_per_fill: limit.requestsPerSecond,
        fill_interval: "1s",
      });
    }
  });
});

describeWithReference("the ingress gateway's limit", () => {
  test.each(ALL)(
    "%s: where the Istio gateway is the edge, on the pods of its release, in their namespace",
    (v) => {
      const run = runs[v];
      const s = settings[v];
      const gateway = release(run, "gateway", s.namespaces.gateway);
      const filters = inNamespace(run, T.envoyFilter, s.namespaces.gateway);
      const limited = s.rateLimit !== undefined && s.tls.termination === "istio";
      expect(filters).toHaveLength(limited ? 1 : 0);
      // Nowhere else beside the pingpong namespaces: not at the egress gateway, which sees TCP only.
      const elsewhere = ofType(run, T.envoyFilter).filter(
        (f) => ![...pingpongNamespaces(s), s.namespaces.gateway].includes(f.inputs.metadata.namespace),
      );
      expect(elsewhere).toEqual([]);
      for (const f of filters) {
        expect(selects(selectorOf(f), chartPodLabels(gateway.inputs))).toBe(true);
        expect(f.inputs.spec.configPatches[0].match.context).toBe("GATEWAY");
      }
    },
  );
});

import { parseProbeArgs, type ProbeArgs } from "../../app/src/probe";
import type { Settings } from "../../stacks/settings";
import { byName, inNamespace, namespaceOf, ofType, type ProgramRun, type Recorded } from "../support/program";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, release, serviceOfUrl, type Json } from "./lookup";
import { instanceService } from "./workloads";

/**
 * The checks of the add-ons as the whole program wires them: an unlisted host refused where the
 * mesh's registry is the limit, each listed host reached through the egress gateway, and a burst
 * that pingpong-b's rate limits must cut. Which checks the plan makes: test/stacks/plan-addons.test.ts.
 */

type Variant = keyof typeof SHARED_VARIANTS;
const ALL = Object.keys(SHARED_VARIANTS) as Variant[];
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(SHARED_VARIANTS, runs, settings), 120_000);

/** Each Job with its probe's arguments, as the probe's own parser reads them. */
const probes = (run: ProgramRun): Array<{ job: Recorded; probe: ProbeArgs }> =>
  ofType(run, T.job).map((job) => ({
    job,
    probe: parseProbeArgs((job.inputs.spec.template.spec.containers[0].args as string[]).slice(1)),
  }));
/** The hosts the ServiceEntries declare, with their ports. */
const registered = (run: ProgramRun): Array<{ entry: Recorded; host: string; ports: number[] }> =>
  ofType(run, T.serviceEntry).flatMap((entry) =>
    (entry.inputs.spec.hosts as string[]).map((host) => ({
      entry,
      host,
      ports: (entry.inputs.spec.ports as Json[]).map((p) => p.number as number),
    })),
  );
/** The mesh's own checks (verification.test.ts), in every stack. */
const MESH_CHECKS = ["a-to-b", "c-to-a", "c-to-b"];
const portOf = (url: URL) => Number(url.port || (url.protocol === "https:" ? 443 : 80));
const inCluster = (url: URL) => url.hostname.endsWith(".svc.cluster.local");

describe.each(ALL)("the add-ons' checks in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test("an unlisted host is proven refused exactly where istiod's outboundTrafficPolicy is REGISTRY_ONLY", () => {
    const mode = release(run(), "istiod").inputs.values.meshConfig.outboundTrafficPolicy.mode;
    const hosts = new Set(registered(run()).map((r) => r.host));
    const unlisted = probes(run()).filter(
      ({ probe }) => !inCluster(probe.url) && !hosts.has(probe.url.hostname),
    );
    expect(unlisted.length).toBe(mode === "REGISTRY_ONLY" ? 1 : 0);
    expect(s().egress.outboundTrafficPolicy).toBe(mode);
    for (const { job, probe } of unlisted) {
      expect(probe.expect).toBe("failure");
      // From a sidecar, whose registry is what refuses it.
      expect(namespaceOf(job)).toBe(s().namespaces.a);
      expect(job.inputs.spec.template.metadata.labels["sidecar.istio.io/inject"]).toBe("true");
    }
  });

  test("each host a ServiceEntry declares is proven reached, on a port it declares, where the cluster has internet", () => {
    const entries = registered(run());
    const egress = probes(run()).filter(({ probe }) => entries.some((e) => e.host === probe.url.hostname));
    const reachable = s().egress.internetAccess ? entries.map((e) => e.host) : [];
    expect(egress.map(({ probe }) => probe.url.hostname).sort()).toEqual(reachable.sort());
    for (const { job, probe } of egress) {
      const entry = entries.find((e) => e.host === probe.url.hostname)!;
      expect(entry.ports).toContain(portOf(probe.url));
      expect(probe.expect).toBe("reached");
      // Through the routes and the gateway's policy, which must exist first.
      const routes = inNamespace(run(), T.virtualService, namespaceOf(entry.entry)).filter((vs) =>
        (vs.inputs.spec.hosts as string[]).includes(entry.host),
      );
      expect(routes).toHaveLength(1);
      expect(job.dependsOn).toEqual(expect.arrayContaining([entry.entry.name, routes[0].name]));
    }
  });

  test("no Job beyond the mesh's three checks and those above", () => {
    const hosts = new Set(registered(run()).map((r) => r.host));
    const own = probes(run()).filter(({ job }) =>
      MESH_CHECKS.includes(job.name.replace(/^verification-/, "")),
    );
    const addons = probes(run()).filter(
      ({ probe }) =>
        probe.expect === "rate-limited" || !inCluster(probe.url) || hosts.has(probe.url.hostname),
    );
    expect(own).toHaveLength(MESH_CHECKS.length);
    expect(own.filter((x) => addons.includes(x))).toEqual([]);
    expect(own.length + addons.length).toBe(ofType(run(), T.job).length);
  });

  test("the burst exceeds what pingpong-b's pods admit, with no more in flight than its callers' sidecars allow", () => {
    const b = s().namespaces.b;
    const filters = inNamespace(run(), T.envoyFilter, b);
    const bursts = probes(run()).filter(({ probe }) => probe.expect === "rate-limited");
    expect(bursts).toHaveLength(filters.length);
    expect(filters.length).toBe(s().rateLimit ? 1 : 0);
    for (const { job, probe } of bursts) {
      expect(serviceOfUrl(run(), probe.url.href).service).toBe(instanceService(run(), b));
      // The most pods that may answer: the autoscaler's maximum (or the replicas), and a fixed canary.
      const w = s().workload;
      const canary = s().traffic.canary;
      const pods =
        (w.autoscaling ? w.autoscaling.maxReplicas : w.replicas) +
        (canary?.instances.includes("b") ? canary.replicas : 0);
      // What each pod's bucket (the EnvoyFilter's) admits in the burst's first second.
      const bucket = filters[0].inputs.spec.configPatches[0].patch.value.typed_config.value.token_bucket;
      expect(bucket.fill_interval).toBe("1s");
      const admitted = pods * (bucket.max_tokens + bucket.tokens_per_fill);
      expect(probe.burst).toBeGreaterThan(admitted);
      // More at once than the caller's sidecar pools would add 503s of its own to the 429s.
      const pool = byName(run(), T.destinationRule, b, "pingpong").inputs.spec.trafficPolicy.connectionPool;
      expect(probe.concurrency).toBeLessThanOrEqual(pool.tcp.maxConnections);
      expect(probe.concurrency).toBeLessThanOrEqual(pool.http.http1MaxPendingRequests);
      // The limits exist before the burst is sent.
      expect(job.dependsOn).toEqual(expect.arrayContaining(filters.map((f) => f.name)));
    }
  });
});

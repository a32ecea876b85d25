import { analyze, failedCreates, injected, injectedNamespaces, readmitPods, settleWorkloads } from "./checks";
import { apply, installPrerequisites, objectKey, prepare, type Applied, type Deployment } from "./deploy";
import type { KubeObject } from "./kube";
import { allowedAnalyzerCodes, allowedWarning, privilegedByDesign } from "./allowed";
import { footprint, total } from "./footprint";
import { record, recordPhases } from "./report";
import { startTier, stopTier, timed, type Tier } from "./session";

/**
 * The assertions every stack meets on the real control plane: each a test of its own, on one
 * cluster per stack variant, after one apply of the stack.
 */

export interface StackRun {
  tier?: Tier;
  deployment?: Deployment;
  first?: Applied[];
  error?: Error;
}

/** Objects an apply changed (status and bookkeeping aside): what it changed. */
function changedBy(applied: Applied[]): string[] {
  return applied.flatMap((a) =>
    [...a.versions].filter(([key, v]) => a.before.get(key) !== v).map(([key]) => key),
  );
}

const label = (a: Applied) =>
  a.step.kind === "object" ? objectKey(a.step.object) : `release ${a.step.release}`;

/** Requests a stack may ask in all, as admitted. */
export interface Budget {
  cpuMilli: number;
  memoryMi: number;
}

export function describeStack(
  name: string,
  stack: string,
  config: Record<string, string | number | boolean>,
  options: { budget?: Budget; more?: (run: StackRun) => void } = {},
): void {
  describe(`${name} on the real control plane`, () => {
    const run: StackRun = {};

    beforeAll(async () => {
      try {
        run.tier = await startTier(name);
        const tier = run.tier;
        run.deployment = await timed(tier, "render", () => prepare(tier.cluster, tier.istiod, stack, config));
        await timed(tier, "prerequisites", () => installPrerequisites(tier, run.deployment!));
        run.first = await timed(tier, "first apply", () => apply(tier, run.deployment!));
      } catch (err) {
        run.error = err as Error;
      }
    });

    afterAll(async () => {
      if (run.tier && run.deployment) {
        const jobs = run.deployment.steps.filter(
          (s) => s.kind === "object" && s.object.kind === "Job",
        ).length;
        // kwok's pod-complete stage marks a Job's pod Succeeded without running it.
        process.stdout.write(
          `tier: ${name}: ${jobs} Job(s) "completed" under kwok without their command running; ` +
            "none is counted as proof of mTLS, egress or rate limits (the e2e suite on a real cluster proves those)\n",
        );
      }
      if (run.first) {
        // Where the first apply's time goes: each release (Helm, waiting for its workloads), then
        // every object together.
        const releases = run.first
          .filter((a) => a.step.kind === "release")
          .map((a) => ({ release: label(a).replace("release ", ""), ms: a.ms }));
        const objectsMs = run.first.filter((a) => a.step.kind === "object").reduce((t, a) => t + a.ms, 0);
        record("first apply", name, { releases, objectsMs });
        const parts = releases.map((r) => `${r.release} ${(r.ms / 1000).toFixed(1)} s`);
        process.stdout.write(
          `tier: ${name}: first apply: ${parts.join(", ")}; ${run.first.length - releases.length} objects ${(objectsMs / 1000).toFixed(1)} s\n`,
        );
      }
      if (run.tier) recordPhases(name, run.tier.phases);
      await stopTier(run.tier);
    });

    const ready = (): { tier: Tier; first: Applied[]; deployment: Deployment } => {
      if (run.error) throw run.error;
      return { tier: run.tier!, first: run.first!, deployment: run.deployment! };
    };

    test("every object is accepted and every chart installs with the program's values", () => {
      const { first, deployment } = ready();
      expect(first).toHaveLength(deployment.steps.length);
    });

    test("the API server warns about nothing the program applies", () => {
      const warned = ready()
        .first.map((a) => ({ a, warnings: a.warnings.filter((w) => !allowedWarning(w)) }))
        .filter(({ warnings }) => warnings.length > 0)
        .map(({ a, warnings }) => `${label(a)}: ${warnings.join("; ")}`);
      expect(warned).toEqual([]);
    });

    test("every Deployment, DaemonSet and StatefulSet becomes available", async () => {
      const { tier } = ready();
      expect(
        await timed(tier, "workloads available", () => settleWorkloads(tier.cluster.kube, 120_000)),
      ).toEqual([]);
    });

    test("every pod in an injected namespace carries the sidecar istiod injected", async () => {
      const { kube } = ready().tier.cluster;
      const namespaces = await injectedNamespaces(kube);
      expect(namespaces.length).toBeGreaterThan(0);
      let pods = 0;
      for (const ns of namespaces) {
        for (const pod of await kube.list("v1", "Pod", ns)) {
          pods += 1;
          expect({ pod: `${ns}/${pod.metadata.name}`, injected: injected(pod as never) }).toEqual({
            pod: `${ns}/${pod.metadata.name}`,
            injected: true,
          });
        }
      }
      expect(pods).toBeGreaterThan(0);
    });

    test("Pod Security admits every pod as it runs, sidecar included, with no warning", async () => {
      const { kube } = ready().tier.cluster;
      const namespaces = (await kube.list("v1", "Namespace")).map((n) => n.metadata.name as string);
      const judged = await readmitPods(kube, namespaces);
      expect(judged.length).toBeGreaterThan(0);
      const findings = judged.filter((j) => j.status >= 300 || j.warnings.length > 0);
      expect(findings.filter((f) => !(f.status < 300 && privilegedByDesign(f.pod)))).toEqual([]);
      // The exceptions are real: each is warned about, so a stale entry would show.
      expect(findings.some((f) => privilegedByDesign(f.pod))).toBe(true);
      expect(await failedCreates(kube)).toEqual([]);
    });

    test("istioctl analyze finds no error and no warning on the live cluster", async () => {
      const { tier } = ready();
      const messages = await timed(tier, "istioctl analyze", () => analyze(tier.cluster.kubeconfig));
      const allowed = allowedAnalyzerCodes();
      const findings = messages.filter((m) => m.level !== "Info" && !allowed.has(m.code));
      expect(findings).toEqual([]);
    });

    test("a second apply changes nothing", async () => {
      const { tier, deployment } = ready();
      const second = await timed(tier, "second apply", () =>
        apply(tier, deployment, { onlyChangedReleases: true }),
      );
      // Compared with each object as it was just before its apply: controllers (status, Argo
      // Rollouts' routes) may change objects between the two applies, the apply itself may not.
      expect(changedBy(second)).toEqual([]);
      expect(second.filter((a) => a.before.size > 0)).toHaveLength(
        second.filter((a) => a.step.kind === "object").length,
      );
    });

    test("after the API server is killed in the middle of an apply and restarted, a new apply converges", async () => {
      const { tier, deployment } = ready();
      const objects = deployment.steps.filter((s) => s.kind === "object").length;
      const mark = (o: KubeObject): KubeObject => ({
        ...o,
        metadata: {
          ...o.metadata,
          labels: { ...(o.metadata.labels ?? {}), "tier.pingpong.dev/pass": "fault" },
        },
      });
      let applied = 0;
      const interrupted = apply(tier, deployment, {
        onlyChangedReleases: true,
        mutate: mark,
        before: async (step) => {
          if (step.kind !== "object") return;
          applied += 1;
          if (applied === Math.floor(objects / 2)) await tier.cluster.killApiserver();
        },
      });
      await expect(interrupted).rejects.toThrow();
      await timed(tier, "API server restart", () => tier.cluster.restartApiserver());
      await timed(tier, "apply after restart", () =>
        apply(tier, deployment, { onlyChangedReleases: true, mutate: mark }),
      );
      // Converged: every object carries the new label, and one more apply changes nothing.
      for (const s of deployment.steps) {
        if (s.kind !== "object") continue;
        const o = s.object;
        const live = await tier.cluster.kube.get(
          o.apiVersion,
          o.kind,
          o.metadata.namespace,
          o.metadata.name!,
        );
        expect({
          object: objectKey(o),
          label: (live?.metadata.labels as Record<string, string>)?.["tier.pingpong.dev/pass"],
        }).toEqual({
          object: objectKey(o),
          label: "fault",
        });
      }
      const again = await apply(tier, deployment, { onlyChangedReleases: true, mutate: mark });
      expect(changedBy(again)).toEqual([]);
    });

    test(`the footprint as admitted${options.budget ? ` fits ${options.budget.cpuMilli}m CPU and ${options.budget.memoryMi} MiB` : " is recorded"}`, async () => {
      const { tier } = ready();
      await settleWorkloads(tier.cluster.kube, 120_000);
      const usage = await footprint(tier.cluster.kube);
      const sum = total(usage);
      record("footprint", name, { usage, total: sum });
      process.stdout.write(
        `tier: ${name}: requests of ${sum.pods} running pods, sidecars included: ${sum.cpuMilli}m CPU, ${Math.round(sum.memoryMi)} MiB\n`,
      );
      expect(sum.pods).toBeGreaterThan(0);
      if (options.budget) {
        expect({ cpuMilli: sum.cpuMilli, memoryMi: Math.round(sum.memoryMi) }).toEqual({
          cpuMilli: Math.min(sum.cpuMilli, options.budget.cpuMilli),
          memoryMi: Math.min(Math.round(sum.memoryMi), options.budget.memoryMi),
        });
      }
    });

    options.more?.(run);
  });
}

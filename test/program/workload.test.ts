import { existsSync } from "node:fs";
import { join } from "node:path";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IServiceAccount } from "kubernetes-models/v1";
import { ENV } from "../../app/src/contract";
import type { Settings } from "../../stacks/settings";
import {
  byName,
  inNamespace,
  nameOf,
  ofType,
  runWithSettings,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { PROJECT_ROOT, stackConfig } from "../support/stack-files";
import { AUTOSCALED_ROLLOUT } from "../support/variants";
import { T } from "./lookup";
import { ENVS, SIDES, as, containerOf, envOf, must, renderStacks, workloadOf, type Env } from "./models";
import { scaleTargetOf, selectsEveryPod, workloadIn } from "./workloads";

/**
 * What each instance's pods run in dev and prod: the image, its resources and security context, its
 * identity, how it rolls out and how many replicas run.
 */

/**
 * How an update replaces pods: a Deployment's rolling update, or the canary steps of a Rollout, whose
 * controller surges by 25% when maxSurge is unset (argo-rollouts utils/defaults GetMaxSurgeOrDefault).
 */
function updateStrategy(w: Recorded): { maxUnavailable: unknown; maxSurge: unknown } {
  const strategy = w.inputs.spec.strategy;
  if (w.type === T.rollout) {
    expect(Object.keys(strategy)).toEqual(["canary"]);
    return { maxUnavailable: strategy.canary.maxUnavailable, maxSurge: strategy.canary.maxSurge ?? "25%" };
  }
  expect(strategy.type).toBe("RollingUpdate");
  return strategy.rollingUpdate;
}

let runs: Record<Env, ProgramRun>;
let settings: Record<Env, Settings>;
const autoscaled = {} as { run: ProgramRun; settings: Settings };
beforeAll(async () => {
  ({ runs, settings } = await renderStacks());
  const { stack, config } = AUTOSCALED_ROLLOUT;
  ({ run: autoscaled.run, settings: autoscaled.settings } = await runWithSettings(stack, {
    ...stackConfig(stack),
    ...config,
  }));
}, 60_000);

describe.each(ENVS)("%s", (env) => {
  const run = () => runs[env];

  describe.each(SIDES)("instance $key", ({ key }) => {
    const ns = () => settings[env].namespaces[key];

    test("requests and limits for CPU and memory (the autoscaler's utilisation is relative to the request)", () => {
      const c = containerOf(workloadOf(run(), ns()));
      const r = settings[env].workload.resources;
      expect(c.resources).toEqual({
        requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
        limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
      });
    });

    test("restricted security context for the pod and the container", () => {
      const pod = must(workloadOf(run(), ns()).spec?.template.spec, "pod spec");
      const c = containerOf(workloadOf(run(), ns()));
      const psc = must(pod.securityContext, "pod securityContext");
      const csc = must(c.securityContext, "container securityContext");
      expect(psc.runAsNonRoot).toBe(true);
      expect(psc.runAsUser).toEqual(expect.any(Number));
      expect(psc.runAsUser).toBeGreaterThan(0);
      expect(psc.seccompProfile?.type).toBe("RuntimeDefault");

      expect(csc.runAsNonRoot ?? psc.runAsNonRoot).toBe(true);
      expect(csc.runAsUser ?? psc.runAsUser).toBeGreaterThan(0);
      expect(csc.allowPrivilegeEscalation).toBe(false);
      expect(csc.readOnlyRootFilesystem).toBe(true);
      expect(csc.privileged ?? false).toBe(false);
      expect(csc.capabilities?.drop).toEqual(["ALL"]);
      expect(csc.capabilities?.add ?? []).toEqual([]);
      expect((csc.seccompProfile ?? psc.seccompProfile)?.type).toBe("RuntimeDefault");

      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.hostPID ?? false).toBe(false);
      expect(pod.hostIPC ?? false).toBe(false);
      expect((pod.volumes ?? []).filter((v) => v.hostPath !== undefined)).toEqual([]);
    });

    test("the pod runs as a ServiceAccount the program declares in its namespace, with no API token mounted", () => {
      const pod = must(workloadOf(run(), ns()).spec?.template.spec, "pod spec");
      const name = must(pod.serviceAccountName, "pod ServiceAccount");
      const account = as<IServiceAccount>(byName(run(), T.serviceAccount, ns(), name));
      expect(account.automountServiceAccountToken).toBe(false);
      expect(pod.automountServiceAccountToken).toBe(false);
      // Beside it only the canary analysis's acceptance probe has an account here, of its own.
      const others = inNamespace(run(), T.serviceAccount, ns()).filter((x) => nameOf(x) !== name);
      expect(others.length).toBe(settings[env].delivery?.instance === key ? 1 : 0);
    });

    test("the image is the built one, pinned by digest", () => {
      const c = containerOf(workloadOf(run(), ns()));
      expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect(c.image).toBe(run().outputs.imageRef);
    });

    test("rollout: never below the desired count, a grace period covering the app's shutdown", () => {
      const d = workloadOf(run(), ns());
      const w = settings[env].workload;
      const { maxUnavailable, maxSurge } = updateStrategy(workloadIn(run(), ns()));
      expect(maxUnavailable).toBe(0);
      // With nothing unavailable, a rollout only progresses by surging.
      expect(maxSurge).not.toBe(0);
      if (typeof maxSurge === "number") expect(maxSurge).toBeGreaterThanOrEqual(1);

      const appEnv = envOf(containerOf(d));
      const shutdownMs = Number(appEnv[ENV.shutdownTimeoutMs]);
      const drainMs = Number(appEnv[ENV.drainDelayMs]);
      expect(shutdownMs).toBe(w.shutdownTimeoutSeconds * 1000);
      expect(drainMs).toBe(w.drainDelaySeconds * 1000);
      expect(drainMs).toBeLessThan(shutdownMs);
      expect(d.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThan(shutdownMs / 1000);
      expect(appEnv[ENV.logLevel]).toBe(w.logLevel);
      expect(Number(appEnv[ENV.tickMs])).toBe(w.tickMs);
      expect(Number(appEnv[ENV.pingTimeoutMs])).toBe(w.pingTimeoutMs);
    });

    test("the pinger marks sampled the share of pings the stack traces (the decision the sidecars follow)", () => {
      const tracing = settings[env].observability.tracing;
      const percent = Number(envOf(containerOf(workloadOf(run(), ns())))[ENV.traceSamplingPercent]);
      expect(percent).toBe(tracing.backend === "none" ? 0 : tracing.samplingPercent);
      // The same rate the Telemetry sets for requests that arrive without a decision.
      const telemetry = run().resources.find((r) => r.type === "kubernetes:telemetry.istio.io/v1:Telemetry");
      expect(telemetry?.inputs.spec.tracing?.[0]?.randomSamplingPercentage ?? 0).toBe(percent);
    });
  });

  test("the image: app/Dockerfile from the project root, BuildKit, pushed to the stack's registry", () => {
    const s = settings[env];
    const images = ofType(run(), T.image);
    expect(images).toHaveLength(1);
    const { build, imageName, skipPush } = images[0].inputs as {
      build: { context: string; dockerfile: string; builderVersion: string; platform?: string };
      imageName: string;
      skipPush?: boolean;
    };
    expect(build.context).toBe(".");
    expect(build.dockerfile).toBe("app/Dockerfile");
    expect(existsSync(join(PROJECT_ROOT, build.context, build.dockerfile))).toBe(true);
    expect(build.builderVersion).toBe("BuilderBuildKit");
    expect(skipPush ?? false).toBe(false);
    expect(imageName.startsWith(`${s.image.registry}/`)).toBe(true);
    expect(imageName).toBe(`${s.image.registry}/${s.image.repository}:${env}`);
    expect(build.platform).toBe(s.image.platform);
    if (env === "prod") expect(build.platform).toBe("linux/amd64");
    if (env === "dev") expect(s.image.registry).toBe("localhost:5001");
  });

  test("the image reference in the outputs is the built image's, pinned by digest", () => {
    const s = settings[env];
    const ref = String(run().outputs.imageRef);
    expect(ref).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(ref.startsWith(`${s.image.registry}/${s.image.repository}@sha256:`)).toBe(true);
  });
});

describe.each(["dev", "prod", "dev-autoscaled"] as const)("replicas in %s", (v) => {
  const run = () => (v === "dev-autoscaled" ? autoscaled.run : runs[v]);
  const s = () => (v === "dev-autoscaled" ? autoscaled.settings : settings[v]);

  test.each(SIDES)(
    "pingpong-$key: the workload's own without an autoscaler, else the autoscaler's, with a budget below its minimum",
    ({ key }) => {
      const ns = s().namespaces[key];
      const workload = workloadIn(run(), ns);
      const d = workloadOf(run(), ns);
      const hpas = ofType(run(), T.hpa).filter(
        (r) => as<IHorizontalPodAutoscaler>(r).metadata?.namespace === ns,
      );
      const pdbs = ofType(run(), T.pdb).filter((r) => as<IPodDisruptionBudget>(r).metadata?.namespace === ns);
      const autoscaling = s().workload.autoscaling;
      expect(autoscaling === undefined).toBe(v === "dev");
      if (autoscaling === undefined) {
        expect(d.spec?.replicas).toBe(s().workload.replicas);
        expect(hpas).toEqual([]);
        expect(pdbs).toEqual([]);
        return;
      }
      expect(d.spec).not.toHaveProperty("replicas");
      expect(hpas).toHaveLength(1);
      const hpa = must(as<IHorizontalPodAutoscaler>(hpas[0]).spec, "HPA spec");
      expect(hpa.minReplicas).toBe(autoscaling.minReplicas);
      expect(hpa.maxReplicas).toBe(autoscaling.maxReplicas);
      // A Rollout is scaled like a Deployment, through its scale subresource.
      expect(hpa.scaleTargetRef).toEqual(scaleTargetOf(workload));
      expect(hpa.metrics).toEqual([
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: autoscaling.cpuUtilization },
          },
        },
      ]);

      expect(pdbs).toHaveLength(1);
      const pdb = must(as<IPodDisruptionBudget>(pdbs[0]).spec, "PDB spec");
      expect(pdb.maxUnavailable).toBeUndefined();
      expect(typeof pdb.minAvailable).toBe("number");
      expect(pdb.minAvailable).toBeGreaterThanOrEqual(1);
      expect(pdb.minAvailable).toBeLessThan(must(hpa.minReplicas, "minReplicas"));
      const selector = must(pdb.selector, "PDB selector");
      expect(Object.keys(selector.matchLabels ?? {}).length).toBeGreaterThan(0);
      // Canary and stable pods of a Rollout alike.
      expect(selectsEveryPod(selector, workload)).toBe(true);
    },
  );
});

test("dev-autoscaled runs pingpong-b under a Rollout, the other instance under a Deployment", () => {
  const { run, settings: s } = autoscaled;
  expect(s.delivery?.instance).toBe("b");
  expect(workloadIn(run, s.namespaces.b).type).toBe(T.rollout);
  expect(workloadIn(run, s.namespaces.a).type).toBe(T.deployment);
});

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1";
import type { IServiceAccount } from "kubernetes-models/v1";
import { ENV } from "../../app/src/contract";
import type { Settings } from "../../stacks/settings";
import { oneIn, ofType, selects, type ProgramRun } from "../support/program";
import { PROJECT_ROOT } from "../support/stack-files";
import { T } from "./lookup";
import {
  ENVS,
  SIDES,
  as,
  containerOf,
  deploymentOf,
  envOf,
  must,
  renderStacks,
  templateLabels,
  type Env,
} from "./models";

/**
 * What each instance's pods run in dev and prod: the image, its resources and security context, its
 * identity, how it rolls out and how many replicas run.
 */

let runs: Record<Env, ProgramRun>;
let settings: Record<Env, Settings>;
beforeAll(async () => ({ runs, settings } = await renderStacks()), 60_000);

describe.each(ENVS)("%s", (env) => {
  const run = () => runs[env];

  describe.each(SIDES)("instance $key", ({ key }) => {
    const ns = () => settings[env].namespaces[key];

    test("requests and limits for CPU and memory (the autoscaler's utilisation is relative to the request)", () => {
      const c = containerOf(deploymentOf(run(), ns()));
      const r = settings[env].workload.resources;
      expect(c.resources).toEqual({
        requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
        limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
      });
    });

    test("restricted security context for the pod and the container", () => {
      const pod = must(deploymentOf(run(), ns()).spec?.template.spec, "pod spec");
      const c = containerOf(deploymentOf(run(), ns()));
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

    test("the pod runs as the namespace's own ServiceAccount, with no API token mounted", () => {
      const account = as<IServiceAccount>(oneIn(run(), T.serviceAccount, ns()));
      const pod = must(deploymentOf(run(), ns()).spec?.template.spec, "pod spec");
      expect(account.automountServiceAccountToken).toBe(false);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe(must(account.metadata?.name, "ServiceAccount name"));
    });

    test("the image is the built one, pinned by digest", () => {
      const c = containerOf(deploymentOf(run(), ns()));
      expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect(c.image).toBe(run().outputs.imageRef);
    });

    test("rollout: never below the desired count, a grace period covering the app's shutdown", () => {
      const d = deploymentOf(run(), ns());
      const w = settings[env].workload;
      expect(d.spec?.strategy?.type).toBe("RollingUpdate");
      expect(d.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
      // With nothing unavailable, a rollout only progresses by surging.
      expect(d.spec?.strategy?.rollingUpdate?.maxSurge).toBeGreaterThanOrEqual(1);

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

    test("replicas: the Deployment's own in dev, the autoscaler's in prod, with a budget below its minimum", () => {
      const d = deploymentOf(run(), ns());
      const hpas = ofType(run(), T.hpa).filter(
        (r) => as<IHorizontalPodAutoscaler>(r).metadata?.namespace === ns(),
      );
      const pdbs = ofType(run(), T.pdb).filter(
        (r) => as<IPodDisruptionBudget>(r).metadata?.namespace === ns(),
      );
      if (env === "dev") {
        expect(d.spec?.replicas).toBe(settings[env].workload.replicas);
        expect(hpas).toEqual([]);
        expect(pdbs).toEqual([]);
        return;
      }
      expect(d.spec).not.toHaveProperty("replicas");
      expect(hpas).toHaveLength(1);
      const hpa = must(as<IHorizontalPodAutoscaler>(hpas[0]).spec, "HPA spec");
      const autoscaling = must(settings[env].workload.autoscaling, "autoscaling settings");
      expect(hpa.minReplicas).toBe(autoscaling.minReplicas);
      expect(hpa.maxReplicas).toBe(autoscaling.maxReplicas);
      expect(hpa.scaleTargetRef).toEqual({
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: d.metadata?.name,
      });
      expect(hpa.metrics).toEqual([
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: {
              type: "Utilization",
              averageUtilization: autoscaling.cpuUtilization,
            },
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
      expect(selects(selector, templateLabels(d))).toBe(true);
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

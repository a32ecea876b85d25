import { chartPath } from "./deploy";
import type { KubeObject } from "./kube";
import type { ReleaseStep } from "./plan-apply";
import type { StackRun } from "./suite";

/**
 * Each class of defect the mocks cannot see, shown failing on a real mistake against the live
 * cluster: a CRD's CEL rule, istiod's validation webhook, Pod Security admission of a pod, and a
 * chart value of the wrong type. Each starts from what the program really applies and breaks one
 * field, so a pass also says the unbroken object is accepted.
 */

function programObject(
  run: StackRun,
  kind: string,
  namespace: string | undefined,
  match: (o: KubeObject) => boolean = () => true,
): KubeObject {
  const found = run.deployment!.steps.find(
    (s) =>
      s.kind === "object" &&
      s.object.kind === kind &&
      s.object.metadata.namespace === namespace &&
      match(s.object),
  );
  if (!found || found.kind !== "object") throw new Error(`the program applies no ${kind} in ${namespace}`);
  return structuredClone(found.object);
}

export function describeDefects(run: StackRun): void {
  describe("defects the real systems refuse", () => {
    const kube = () => {
      if (run.error) throw run.error;
      return run.tier!.cluster.kube;
    };
    // An instance's namespace: injected, restricted, under STRICT mTLS (its PeerAuthentication's).
    const ns = () => {
      const strict = run.deployment!.steps.find(
        (s) => s.kind === "object" && s.object.kind === "PeerAuthentication",
      );
      if (!strict || strict.kind !== "object") throw new Error("the program applies no PeerAuthentication");
      return strict.object.metadata.namespace!;
    };

    test("a CRD's CEL rule refuses a VirtualService timeout under 1ms", async () => {
      const vs = programObject(run, "VirtualService", ns()) as KubeObject & {
        spec: { http: Array<Record<string, unknown>> };
      };
      vs.spec.http[0].timeout = "0s";
      const a = await kube().dryRunCreate({ ...vs, metadata: { ...vs.metadata, name: "tier-bad-timeout" } });
      expect(a.status).toBe(422);
      expect(a.body.message).toMatch(/must be a valid duration greater than 1ms/);
    });

    test("istiod's validation webhook refuses an AuthorizationPolicy with an empty source", async () => {
      const policy = programObject(run, "AuthorizationPolicy", ns(), (o) =>
        Array.isArray((o.spec as { rules?: unknown[] })?.rules),
      );
      (policy.spec as { rules: unknown[] }).rules = [{ from: [{ source: {} }] }];
      const good = programObject(run, "AuthorizationPolicy", ns(), (o) =>
        Array.isArray((o.spec as { rules?: unknown[] })?.rules),
      );
      const accepted = await kube().dryRunCreate({
        ...good,
        metadata: { ...good.metadata, name: "tier-good-policy" },
      });
      expect(accepted.status).toBe(201);
      const a = await kube().dryRunCreate({
        ...policy,
        metadata: { ...policy.metadata, name: "tier-bad-policy" },
      });
      expect(a.status).toBe(400);
      expect(a.body.message).toMatch(/admission webhook "[a-z.]*validation\.istio\.io" denied the request/);
      expect(a.body.message).toMatch(/`from.source` must not be empty/);
    });

    test("Pod Security refuses a privileged pod in a restricted namespace", async () => {
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "tier-privileged", namespace: ns() },
        spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] },
      };
      const a = await kube().dryRunCreate(pod);
      expect(a.status).toBe(403);
      expect(a.body.message).toMatch(/violates PodSecurity "restricted:latest".*privileged/);
    });

    test("a chart value of the wrong type fails the release and leaves nothing installed", async () => {
      const { helm } = run.tier!;
      const gateway = run.deployment!.steps.find(
        (s): s is ReleaseStep =>
          s.kind === "release" && /gateway/.test(s.chart) && /ingress/.test(s.namespace),
      );
      if (!gateway) throw new Error("the program installs no ingress gateway release");
      const broken: ReleaseStep = {
        ...gateway,
        release: "tier-bad-gateway",
        values: { ...gateway.values, replicaCount: "two" },
      };
      await expect(helm.install(broken, chartPath(run.deployment!, gateway))).rejects.toThrow(
        /replicaCount|replicas/,
      );
      await expect(helm.values("tier-bad-gateway", gateway.namespace)).rejects.toThrow(/not found/);
    });
  });
}

import { PATHS } from "../../app/src/contract";
import { parseProbeArgs } from "../../app/src/probe";
import type { Settings } from "../../stacks/settings";
import {
  nameOf,
  namespaceOf,
  ofType,
  oneIn,
  selects,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, serviceOfUrl } from "./lookup";
import { instanceIngressPeers } from "./netpol";
import { instanceService, workloadIn, workloadsIn } from "./workloads";

/**
 * The mTLS verification as the program wires it: Jobs probing the real Services as the real
 * identities, and re-run when what they verify changes. The component alone:
 * test/components/verification.test.ts; which checks exist: the plan (test/stacks/plan.test.ts);
 * the add-ons' checks: verification-addons.test.ts.
 */

const VARIANTS = {
  ...SHARED_VARIANTS,
  // Beside the shared ones, two choices index.ts makes between components, which only a whole
  // program shows: the image's reference is among the triggers that name the Jobs, and without
  // checks there is no Verification at all.
  "dev-registry": { stack: "dev", config: { registry: "localhost:5002" } },
  "dev-noverify": { stack: "dev", config: { verification: false } },
};
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

/** The mesh's own checks, in every stack beside those of its add-ons. */
const CHECKS = ["a-to-b", "c-to-a", "c-to-b"];
/** The check a Job runs: its logical name, which the results are keyed by. */
const checkOf = (j: Recorded) => j.name.replace(/^verification-/, "");
const argAfter = (args: string[], flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};
function job(run: ProgramRun, check: string): Recorded {
  const found = ofType(run, T.job).filter((j) => j.name === `verification-${check}`);
  if (found.length !== 1) throw new Error(`expected one Job ${check}, found ${found.length}`);
  return found[0];
}
/** Istio's spelling of a workload identity, as a SPIFFE ID. */
const spiffeOf = (sa: Recorded, trustDomain: string) =>
  `spiffe://${trustDomain}/ns/${namespaceOf(sa)}/sa/${nameOf(sa)}`;

describe.each(["dev", "prod", "dev-app"] as const)("verification Jobs in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];
  const args = (check: string): string[] => job(run(), check).inputs.spec.template.spec.containers[0].args;
  const all = () => ofType(run(), T.job).map(checkOf);

  test("the mesh's three checks and the add-ons', each probing an instance's Service port or a host outside the cluster, never retried", () => {
    expect(all()).toEqual(expect.arrayContaining(CHECKS));
    for (const [check, target] of [
      ["a-to-b", s().namespaces.b],
      ["c-to-a", s().namespaces.a],
      ["c-to-b", s().namespaces.b],
    ]) {
      const { service } = serviceOfUrl(run(), argAfter(args(check), "--url") ?? "");
      expect(service).toBe(instanceService(run(), target));
    }
    for (const check of all()) {
      expect({ check, backoffLimit: job(run(), check).inputs.spec.backoffLimit }).toEqual({
        check,
        backoffLimit: 0,
      });
      const url = new URL(argAfter(args(check), "--url") ?? "");
      // A cluster name must be a Service port of the program's; anything else is outside the cluster.
      const own = ofType(run(), T.service).map((x) => `${nameOf(x)}.${namespaceOf(x)}`);
      if (url.hostname.endsWith(".svc.cluster.local")) serviceOfUrl(run(), url.href);
      else
        expect({
          check,
          own: own.some((h) => url.hostname === h || url.hostname.startsWith(`${h}.`)),
        }).toEqual({ check, own: false });
    }
    expect(Object.keys(run().outputs.verificationResults as object).sort()).toEqual([...all()].sort());
  });

  test("every Job of pingpong-a's namespace runs in the mesh as pingpong-a's pods; every other outside it", () => {
    const account = workloadIn(run(), s().namespaces.a).inputs.spec.template.spec.serviceAccountName;
    for (const j of ofType(run(), T.job)) {
      const pod = j.inputs.spec.template;
      const inMesh = namespaceOf(j) === s().namespaces.a;
      if (!inMesh)
        expect({ check: checkOf(j), ns: namespaceOf(j) }).toEqual({
          check: checkOf(j),
          ns: s().namespaces.c,
        });
      expect({
        check: checkOf(j),
        inject: pod.metadata.labels["sidecar.istio.io/inject"],
        sa: pod.spec.serviceAccountName,
      }).toEqual({
        check: checkOf(j),
        inject: String(inMesh),
        sa: inMesh ? account : undefined,
      });
    }
  });

  test("a-to-b runs as pingpong-a's ServiceAccount and expects its SPIFFE ID", () => {
    const j = job(run(), "a-to-b");
    const sa = oneIn(run(), T.serviceAccount, s().namespaces.a);
    expect(nameOf(sa)).toBe(workloadIn(run(), s().namespaces.a).inputs.spec.template.spec.serviceAccountName);
    expect(namespaceOf(j)).toBe(s().namespaces.a);
    expect(j.inputs.spec.template.spec.serviceAccountName).toBe(nameOf(sa));
    expect(argAfter(args("a-to-b"), "--expect")).toBe("success");
    const caller = argAfter(args("a-to-b"), "--expect-caller");
    // The mesh tells the callee who called only when it sees HTTP.
    if (s().tls.termination === "app") expect(caller).toBeUndefined();
    else expect(caller).toBe(spiffeOf(sa, s().mesh.trustDomain));
  });

  test.each(["c-to-a", "c-to-b"])("%s runs outside the mesh and expects ECONNRESET", (check) => {
    const j = job(run(), check);
    expect(namespaceOf(j)).toBe(s().namespaces.c);
    expect(j.inputs.spec.template.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
    expect(argAfter(args(check), "--expect")).toBe("failure");
    expect(argAfter(args(check), "--expect-error")).toBe("ECONNRESET");
  });

  test("each probe holds its expectation over consecutive attempts and ends before its Job's deadline", () => {
    for (const check of all()) {
      // The probe's own parser: the Job's arguments are a command line it accepts, as it reads them.
      const probe = parseProbeArgs(args(check).slice(1));
      expect(probe.attempts).toBeGreaterThan(1);
      // Room for a whole streak even when every attempt takes its full timeout.
      const streak = probe.attempts * probe.timeoutMs + (probe.attempts - 1) * probe.intervalMs;
      expect(probe.deadlineMs).toBeGreaterThanOrEqual(streak);
      // The probe ends by its deadline; the Job's must leave time for scheduling, pull and sidecar.
      const jobMs = Number(job(run(), check).inputs.spec.activeDeadlineSeconds) * 1000;
      expect(jobMs - probe.deadlineMs).toBeGreaterThanOrEqual(30_000);
    }
  });

  test("Jobs wait for the workloads and the mesh policies", () => {
    const needed = [
      ...[s().namespaces.a, s().namespaces.b].flatMap((n) => workloadsIn(run(), n).map((w) => w.name)),
      ...ofType(run(), T.peerAuthentication).map((r) => r.name),
      ...ofType(run(), T.authorizationPolicy).map((r) => r.name),
    ];
    for (const j of ofType(run(), T.job))
      expect({ j: j.name, deps: j.dependsOn }).toEqual({ j: j.name, deps: expect.arrayContaining(needed) });
  });

  test("pingpong-b's NetworkPolicy admits the verification pods of pingpong-a", () => {
    const podLabels = job(run(), "a-to-b").inputs.spec.template.metadata.labels;
    const admitting = instanceIngressPeers(run(), s().namespaces.b).filter(
      (p) =>
        p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === s().namespaces.a &&
        p.podSelector !== undefined &&
        selects(p.podSelector, podLabels),
    );
    expect(admitting.length).toBeGreaterThan(0);
  });
});

describe("verification Job names", () => {
  /** Each check's Job name, by check. */
  const names = (v: Variant) =>
    Object.fromEntries(ofType(runs[v], T.job).map((j) => [checkOf(j), nameOf(j)]));
  /** Every check of both variants has a Job in each, under another name. */
  const allRenamed = (a: Record<string, string>, b: Record<string, string>) => {
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(Object.keys(a)).toEqual(expect.arrayContaining(CHECKS));
    for (const check of Object.keys(a))
      expect({ check, renamed: a[check] !== b[check] }).toEqual({ check, renamed: true });
  };

  test("change when the image reference changes", () => {
    expect(runs.dev.outputs.imageRef).not.toEqual(runs["dev-registry"].outputs.imageRef);
    allRenamed(names("dev"), names("dev-registry"));
  });

  test("change when tlsTermination changes", () => {
    allRenamed(names("dev"), names("dev-ingress"));
  });

  test("with verification=false there are no Jobs and no results", () => {
    expect(ofType(runs["dev-noverify"], T.job)).toEqual([]);
    expect(runs["dev-noverify"].outputs.verificationResults).toEqual({});
  });
});

describe.each(["dev", "prod"] as const)("pingpong-c and outputs in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];

  test("pingpong-c is never injected and its toolbox runs restricted without a sidecar", () => {
    const namespace = ofType(run(), T.namespace).find((r) => nameOf(r) === s().namespaces.c);
    expect(namespace?.inputs.metadata.labels["istio-injection"]).toBe("disabled");
    const toolbox = oneIn(run(), T.deployment, s().namespaces.c);
    const tpl = toolbox.inputs.spec.template;
    expect(tpl.metadata.labels["sidecar.istio.io/inject"]).toBe("false");
    expect(tpl.spec.securityContext.runAsNonRoot).toBe(true);
    expect(tpl.spec.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    expect(tpl.spec.automountServiceAccountToken).toBe(false);
    for (const c of tpl.spec.containers) {
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
      expect(c.image).toBe(s().verification.toolboxImage);
    }
  });

  test("outputs: mtlsModes, a verification result per Job, HTTPS URLs, Istio version", () => {
    const { outputs } = run();
    expect(outputs.istioVersion).toBe(s().mesh.istioVersion);
    expect(outputs.mtlsModes).toEqual(expect.objectContaining({ a: "STRICT", b: "STRICT" }));
    expect(Object.keys(outputs.verificationResults as object).sort()).toEqual(
      ofType(run(), T.job).map(checkOf).sort(),
    );
    expect((outputs.ingress as { urls: string[] }).urls).toEqual(
      s().tls.hosts.map((h) => `https://${h}${PATHS.ping}`),
    );
  });
});

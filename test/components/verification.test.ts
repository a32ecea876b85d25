import { parseProbeArgs } from "../../app/src/probe-args";
import { spiffeId } from "../../components/mesh-security";
import {
  VERIFIER_LABELS,
  Verification,
  checkPodLabels,
  resolveCheck,
  type CheckEndpoint,
  type CheckSpec,
  type VerificationArgs,
} from "../../components/verification";
import { TLS_MOUNT } from "../../components/workload";
import {
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { T } from "../support/tokens";

/** The Verification component alone: checks resolved to identities, Jobs named by what they verify. */

type Key = "a" | "b";
const A = { namespace: "team-a", serviceAccount: "pinger" };
const ENDPOINTS: Record<Key, CheckEndpoint> = {
  a: {
    identity: A,
    url: "https://a.example/ping",
    tlsSecretName: "tls-a",
  },
  b: { identity: { namespace: "team-b", serviceAccount: "ponger" }, url: "https://b.example/ping" },
};
const CHECKS: CheckSpec<Key>[] = [
  { name: "a-to-b", from: { instance: "a" }, to: "b", expect: "success", expectCallerOf: "a", tls: true },
  {
    name: "c-to-a",
    from: { outside: "outsiders" },
    to: "a",
    expect: "failure",
    expectError: "ECONNRESET",
    tls: false,
  },
];
const TRUST = "mesh.example";
const ARGS: VerificationArgs<Key> = {
  image: "registry.example/pingpong@sha256:" + "b".repeat(64),
  checks: CHECKS,
  endpoints: ENDPOINTS,
  outsideNamespace: "outsiders",
  trustDomain: TRUST,
  triggers: ["policy-1"],
  dependsOn: [],
};

const render = (args: Partial<VerificationArgs<Key>> = {}): Promise<ProgramRun> =>
  runComponent(() => ({ results: new Verification("verification", { ...ARGS, ...args }).results }));
const jobOf = (run: ProgramRun, check: string): Recorded => {
  const found = ofType(run, T.job).filter((j) => nameOf(j).startsWith(`verify-${check}-`));
  if (found.length !== 1) throw new Error(`expected one Job for ${check}, found ${found.length}`);
  return found[0];
};
const podOf = (j: Recorded) => j.inputs.spec.template;

describe("resolveCheck", () => {
  test("a check from an instance runs as its identity, in the mesh, and expects its SPIFFE ID", () => {
    const c = resolveCheck(CHECKS[0], ENDPOINTS, "outsiders", TRUST);
    expect(c).toMatchObject({
      namespace: ENDPOINTS.a.identity.namespace,
      serviceAccount: ENDPOINTS.a.identity.serviceAccount,
      inMesh: true,
      url: ENDPOINTS.b.url,
      tlsSecretName: ENDPOINTS.a.tlsSecretName,
    });
    expect(c.caFile?.startsWith(`${TLS_MOUNT.path}/`)).toBe(true);
  });

  test("a check from outside runs in the outside namespace, without a ServiceAccount or sidecar", () => {
    const c = resolveCheck(CHECKS[1], ENDPOINTS, "outsiders", TRUST);
    expect(c).toMatchObject({
      namespace: "outsiders",
      inMesh: false,
      url: ENDPOINTS.a.url,
      expectError: "ECONNRESET",
    });
    expect(c.serviceAccount).toBeUndefined();
    expect(c.tlsSecretName).toBeUndefined();
    expect(c.expectCaller).toBeUndefined();
  });

  test("without TLS the instance's certificate Secret is not mounted", () => {
    const c = resolveCheck({ ...CHECKS[0], tls: false }, ENDPOINTS, "outsiders", TRUST);
    expect(c.tlsSecretName).toBeUndefined();
    expect(c.caFile).toBeUndefined();
  });
});

describe("the Jobs", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render()));

  test("one Job per check, where resolveCheck puts it, with a probe command line the probe accepts", () => {
    expect(ofType(run, T.job)).toHaveLength(CHECKS.length);
    const inside = jobOf(run, "a-to-b");
    expect(namespaceOf(inside)).toBe(ENDPOINTS.a.identity.namespace);
    expect(podOf(inside).spec.serviceAccountName).toBe(ENDPOINTS.a.identity.serviceAccount);
    const probe = parseProbeArgs(podOf(inside).spec.containers[0].args.slice(1));
    expect(probe.url.href).toBe(ENDPOINTS.b.url);
    expect(probe.expectCaller).toBe(spiffeId(TRUST, A.namespace, A.serviceAccount));
    expect(probe.cacert?.startsWith(TLS_MOUNT.path)).toBe(true);
    const outside = parseProbeArgs(podOf(jobOf(run, "c-to-a")).spec.containers[0].args.slice(1));
    expect(outside).toMatchObject({ expect: "failure", expectError: "ECONNRESET" });
  });

  test("the sidecar is injected exactly into the probes that run in the mesh", () => {
    expect(podOf(jobOf(run, "a-to-b")).metadata.labels["sidecar.istio.io/inject"]).toBe("true");
    expect(podOf(jobOf(run, "c-to-a")).metadata.labels["sidecar.istio.io/inject"]).toBe("false");
  });

  test("the TLS probe mounts the instance's certificate Secret where its --cacert points", () => {
    const spec = podOf(jobOf(run, "a-to-b")).spec;
    const volume = spec.volumes.find(
      (v: { secret?: { secretName: string } }) => v.secret?.secretName === "tls-a",
    );
    const mount = spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
    const probe = parseProbeArgs(spec.containers[0].args.slice(1));
    expect(probe.cacert?.startsWith(`${mount.mountPath}/`)).toBe(true);
    expect(podOf(jobOf(run, "c-to-a")).spec.volumes).toBeUndefined();
  });

  test("each check's pods carry its name beside the verifiers' labels: a NetworkPolicy can select one check's pods", () => {
    for (const c of CHECKS) {
      const labels = podOf(jobOf(run, c.name)).metadata.labels;
      expect(labels).toMatchObject(checkPodLabels(c.name));
      expect(labels).toMatchObject(VERIFIER_LABELS);
    }
    const [a, b] = CHECKS.map((c) => checkPodLabels(c.name));
    expect(Object.entries(a).every(([k, v]) => b[k] === v)).toBe(false);
  });

  test("a Job is never retried, and the results name each check", () => {
    for (const j of ofType(run, T.job)) expect(j.inputs.spec.backoffLimit).toBe(0);
    expect(Object.keys(run.outputs.results as object).sort()).toEqual(CHECKS.map((c) => c.name).sort());
  });
});

test("a change of any trigger renames every Job, so the next update runs them again", async () => {
  // Renders run one at a time: each gets the mocks to itself.
  const before = await render();
  const same = await render();
  const after = await render({ triggers: ["policy-2"] });
  const names = (r: ProgramRun) => ofType(r, T.job).map(nameOf).sort();
  expect(names(same)).toEqual(names(before));
  for (const name of names(after)) expect(names(before)).not.toContain(name);
});

test("behind a private registry, the outside namespace gets a pull Secret that every Job names", async () => {
  const run = await render({
    pullCredentials: { server: "registry.example", username: "ci", password: "pw" },
  });
  const [secret] = ofType(run, T.secret);
  expect(namespaceOf(secret)).toBe(ARGS.outsideNamespace);
  for (const j of ofType(run, T.job))
    expect(podOf(j).spec.imagePullSecrets).toEqual([{ name: nameOf(secret) }]);
});

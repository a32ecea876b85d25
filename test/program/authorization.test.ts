import { PATHS } from "../../app/src/contract";
import { INSTANCES, type Settings } from "../../stacks/settings";
import {
  byName,
  inNamespace,
  nameOf,
  namespaceOf,
  ofType,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, release, releaseNamespace, type Json } from "./lookup";
import { selectsEveryPod, servedPort, workloadsIn } from "./workloads";

/**
 * Who the program lets call whom: STRICT mTLS and default-deny in both instances, callers named by
 * the real ServiceAccounts of the peer, of the edge and, where a canary is analysed, of its acceptance
 * probe. What MeshSecurity builds from its arguments: test/components/mesh-security.test.ts.
 */

type Variant = keyof typeof SHARED_VARIANTS;
const ALL = Object.keys(SHARED_VARIANTS) as Variant[];
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(SHARED_VARIANTS, runs, settings), 120_000);

/** Istio's spelling of a workload identity in AuthorizationPolicy `principals`. */
const principal = (trustDomain: string, namespace: string, serviceAccount: string) =>
  `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
const principalOf = (sa: Recorded, trustDomain: string) =>
  principal(trustDomain, namespaceOf(sa), nameOf(sa));

/** The ServiceAccount the pods of `namespace`'s workloads run as; fails unless they share exactly one. */
function podAccount(run: ProgramRun, namespace: string): Recorded {
  const names = new Set(
    workloadsIn(run, namespace).map((w) => w.inputs.spec.template.spec.serviceAccountName as string),
  );
  if (names.size !== 1)
    throw new Error(`expected one pod ServiceAccount in ${namespace}, found ${names.size}`);
  return byName(run, T.serviceAccount, namespace, [...names][0]);
}

/**
 * The ServiceAccounts the canary analysis's Jobs run as: each AnalysisTemplate's job metrics, in the
 * template's namespace, where the controller creates the Job.
 */
function acceptanceAccounts(run: ProgramRun, namespace: string): Recorded[] {
  return inNamespace(run, T.analysisTemplate, namespace).flatMap((t) =>
    (t.inputs.spec.metrics as Json[])
      .filter((m) => m.provider.job !== undefined)
      .map((m) =>
        byName(run, T.serviceAccount, namespace, m.provider.job.spec.template.spec.serviceAccountName),
      ),
  );
}

/** The allow-callers policy's principals and operation in a namespace. */
function callers(run: ProgramRun, namespace: string) {
  const p = byName(run, T.authorizationPolicy, namespace, "allow-pingpong-callers");
  expect(p.inputs.spec.action).toBe("ALLOW");
  expect(p.inputs.spec.rules).toHaveLength(1);
  const rule = p.inputs.spec.rules[0];
  return {
    principals: (rule.from as Array<{ source: { principals: string[] } }>)
      .flatMap((f) => f.source.principals)
      .sort(),
    operation: rule.to[0].operation as { ports?: string[]; methods?: string[]; paths?: string[] },
    selector: p.inputs.spec.selector,
  };
}

describe.each(ALL)("mesh security in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];
  const namespaces = () => INSTANCES.map((k) => s().namespaces[k]);
  const sa = (n: string) => podAccount(run(), n);

  test("PeerAuthentication default STRICT in each instance, and in the root namespace only where meshWideMtls", () => {
    // The mesh-wide policy goes where istiod runs: Istio's root namespace.
    const root = releaseNamespace(release(run(), "istiod"));
    const expected = [...namespaces(), ...(s().mesh.meshWideMtls ? [root] : [])];
    expect(s().mesh.meshWideMtls).toBe(v === "prod");
    const pas = ofType(run(), T.peerAuthentication);
    expect(pas.map(namespaceOf).sort()).toEqual(expected.sort());
    for (const pa of pas) {
      expect(nameOf(pa)).toBe("default");
      expect(pa.inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
    }
    const modes = run().outputs.mtlsModes as Record<string, string>;
    expect(modes).toEqual({ a: "STRICT", b: "STRICT", ...(s().mesh.meshWideMtls ? { mesh: "STRICT" } : {}) });
  });

  test("an allow-nothing policy (empty spec) per namespace", () => {
    for (const n of namespaces()) {
      const empty = inNamespace(run(), T.authorizationPolicy, n).filter(
        (p) => Object.keys(p.inputs.spec ?? {}).length === 0,
      );
      expect(empty).toHaveLength(1);
    }
  });

  test("callers are exactly the peer's ServiceAccount, the edge of the TLS mode and the canary's acceptance probe", () => {
    const td = s().mesh.trustDomain;
    const mode = s().tls.termination;
    // The gateway chart names the gateway's ServiceAccount after its release.
    const gateway = release(run(), "gateway", s().namespaces.gateway);
    const controller = s().tls.ingressController;
    const edge =
      mode === "istio"
        ? [principal(td, releaseNamespace(gateway), gateway.inputs.name)]
        : mode === "ingress"
          ? [principal(td, controller.namespace, controller.serviceAccount)]
          : [];
    // The acceptance probe runs in the analysed instance's own namespace, as an account of its own.
    const acceptance = (n: string) => acceptanceAccounts(run(), n).map((x) => principalOf(x, td));
    expect(acceptance(s().namespaces.b).length).toBe(s().delivery?.instance === "b" ? 1 : 0);
    expect(callers(run(), s().namespaces.a).principals).toEqual(
      [principalOf(sa(s().namespaces.b), td), ...edge, ...acceptance(s().namespaces.a)].sort(),
    );
    expect(callers(run(), s().namespaces.b).principals).toEqual(
      [principalOf(sa(s().namespaces.a), td), ...acceptance(s().namespaces.b)].sort(),
    );
    const all = namespaces().flatMap((n) => callers(run(), n).principals);
    expect(all.some((p) => p.endsWith(`/sa/${gateway.inputs.name}`))).toBe(mode === "istio");
    expect(all.some((p) => p.includes(`/ns/${controller.namespace}/`))).toBe(mode === "ingress");
  });

  test("the callers rule applies to the instance's pods, on the port calls arrive on; methods and paths except when the app terminates TLS", () => {
    for (const n of namespaces()) {
      const { operation, selector } = callers(run(), n);
      for (const w of workloadsIn(run(), n)) expect(selectsEveryPod(selector, w)).toBe(true);
      expect(operation.ports).toEqual([String(servedPort(run(), n))]);
      if (s().tls.termination === "app") {
        expect(operation.methods).toBeUndefined();
        expect(operation.paths).toBeUndefined();
      } else {
        expect(operation.methods).toEqual(["GET", "HEAD"]);
        expect(operation.paths).toEqual([PATHS.ping]);
      }
    }
  });
});

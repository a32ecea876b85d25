import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "../../app/src/contract";
import { MeshSecurity, type MeshSecurityArgs } from "../../components/mesh-security";
import { CANARY_VERSION, PORTS, PRIMARY_VERSION, podLabels } from "../../components/workload";
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
 * The MeshSecurity component alone: STRICT mTLS and default-deny per namespace, ALLOW rules for the
 * callers and scrapers given, and the mesh-wide policy. Who the program names as callers:
 * test/program/authorization.test.ts.
 */

/** Identities by name, as the program's ServiceAccounts resolve to. */
type Named = { namespace: string; serviceAccount: string };
const A: Named = { namespace: "team-a", serviceAccount: "pinger" };
const B: Named = { namespace: "team-b", serviceAccount: "ponger" };
const EDGE: Named = { namespace: "edge", serviceAccount: "gateway" };
const PROTECTED: Record<string, { namespace: string; callers: Named[] }> = {
  a: { namespace: A.namespace, callers: [B, EDGE] },
  b: { namespace: B.namespace, callers: [A] },
};
const ARGS: Omit<MeshSecurityArgs, "controlPlane"> = {
  trustDomain: "mesh.example",
  namespaces: PROTECTED,
  scraperNamespaces: ["metrics"],
  httpRules: true,
};

/** Stands in for Istio's releases: the custom resources must wait for them. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}

const render = (args: Partial<MeshSecurityArgs> = {}): Promise<ProgramRun> =>
  runComponent(() => {
    const controlPlane = [new ControlPlane("istiod")];
    const security = new MeshSecurity("mesh-security", { ...ARGS, controlPlane, ...args });
    return { mtlsModes: security.mtlsModes, fingerprint: security.policyFingerprint };
  });
const policies = (run: ProgramRun) => [
  ...ofType(run, T.peerAuthentication),
  ...ofType(run, T.authorizationPolicy),
];
function policy(run: ProgramRun, namespace: string, name: string): Recorded {
  const found = ofType(run, T.authorizationPolicy).filter(
    (p) => namespaceOf(p) === namespace && nameOf(p) === name,
  );
  if (found.length !== 1) throw new Error(`expected one AuthorizationPolicy ${namespace}/${name}`);
  return found[0];
}
/** Istio's spelling of a workload identity in AuthorizationPolicy `principals`. */
const principalOf = (trustDomain: string, id: Named) =>
  `${trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
const namespaces = Object.values(PROTECTED).map((n) => n.namespace);

describe("HTTP-aware rules, no mesh-wide policy", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render()));

  test("per namespace exactly: PeerAuthentication default, allow-nothing, allow-callers and allow-scrapers", () => {
    for (const ns of namespaces) {
      expect(
        policies(run)
          .filter((p) => namespaceOf(p) === ns)
          .map((p) => `${p.inputs.kind} ${nameOf(p)}`)
          .sort(),
      ).toEqual([
        "AuthorizationPolicy allow-metrics-scrapers",
        "AuthorizationPolicy allow-nothing",
        "AuthorizationPolicy allow-pingpong-callers",
        "PeerAuthentication default",
      ]);
    }
    expect(policies(run)).toHaveLength(4 * namespaces.length);
  });

  test("mTLS is STRICT in each namespace, and the modes say so per namespace key", () => {
    for (const pa of ofType(run, T.peerAuthentication))
      expect(pa.inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(run.outputs.mtlsModes).toEqual({ a: "STRICT", b: "STRICT" });
  });

  test("the allow-nothing policy has no rules: whatever the other policies do not allow is denied", () => {
    for (const ns of namespaces) expect(policy(run, ns, "allow-nothing").inputs.spec).toEqual({});
  });

  test("every policy waits for the control plane (its CRDs and webhooks)", () => {
    for (const p of policies(run))
      expect({ p: p.name, deps: p.dependsOn }).toEqual({ p: p.name, deps: ["istiod"] });
  });

  test("callers: exactly the principals of the identities given, on the namespace's pods of every version", () => {
    for (const [key, target] of Object.entries(PROTECTED)) {
      const spec = policy(run, target.namespace, "allow-pingpong-callers").inputs.spec;
      expect(spec.action).toBe("ALLOW");
      expect(spec.rules).toHaveLength(1);
      const principals = spec.rules[0].from.flatMap(
        (f: { source: { principals: string[] } }) => f.source.principals,
      );
      expect(principals.sort()).toEqual(target.callers.map((c) => principalOf(ARGS.trustDomain, c)).sort());
      for (const version of [PRIMARY_VERSION, CANARY_VERSION])
        expect(selects(spec.selector, podLabels(`pingpong-${key}`, version))).toBe(true);
    }
  });

  test("callers may only GET or HEAD /ping, on the http port", () => {
    for (const ns of namespaces) {
      const [rule] = policy(run, ns, "allow-pingpong-callers").inputs.spec.rules;
      expect(rule.to).toEqual([
        { operation: { ports: [String(PORTS.http.port)], methods: ["GET", "HEAD"], paths: [PATHS.ping] } },
      ]);
    }
  });

  test("scrapers: the scraper namespaces may GET the metrics port, nothing else", () => {
    for (const ns of namespaces) {
      const spec = policy(run, ns, "allow-metrics-scrapers").inputs.spec;
      expect(spec.action).toBe("ALLOW");
      expect(spec.rules).toEqual([
        {
          from: [{ source: { namespaces: ARGS.scraperNamespaces } }],
          to: [{ operation: { ports: [String(PORTS.metrics.port)], methods: ["GET"] } }],
        },
      ]);
      expect(selects(spec.selector, podLabels("pingpong", PRIMARY_VERSION))).toBe(true);
    }
  });

  test("the policy fingerprint holds every policy, and changes with any of them", async () => {
    expect(run.outputs.fingerprint).toHaveLength(policies(run).length);
    const same = await render();
    const fewerCallers = await render({
      namespaces: { ...PROTECTED, a: { namespace: A.namespace, callers: [B] } },
    });
    expect(same.outputs.fingerprint).toEqual(run.outputs.fingerprint);
    expect(fewerCallers.outputs.fingerprint).not.toEqual(run.outputs.fingerprint);
  });
});

test("TCP-only rules (the app terminates TLS): the callers rule stays at the port, naming no method or path", async () => {
  const run = await render({ httpRules: false });
  for (const ns of namespaces) {
    const [rule] = policy(run, ns, "allow-pingpong-callers").inputs.spec.rules;
    expect(rule.to).toEqual([{ operation: { ports: [String(PORTS.http.port)] } }]);
  }
});

test("mesh-wide: one more STRICT PeerAuthentication default, in the root namespace, after the control plane", async () => {
  const rootNamespace = "mesh-root";
  const run = await render({ meshWide: { rootNamespace } });
  const root = ofType(run, T.peerAuthentication).filter((p) => namespaceOf(p) === rootNamespace);
  expect(root).toHaveLength(1);
  expect(nameOf(root[0])).toBe("default");
  expect(root[0].inputs.spec).toEqual({ mtls: { mode: "STRICT" } });
  expect(root[0].dependsOn).toContain("istiod");
  expect(ofType(run, T.authorizationPolicy).filter((p) => namespaceOf(p) === rootNamespace)).toEqual([]);
  expect(run.outputs.mtlsModes).toEqual({ a: "STRICT", b: "STRICT", mesh: "STRICT" });
});

import { APP_TLS } from "../support/variants";
import { INSTANCE_KEYS, plan, type InstancePlan, type Plan } from "../../stacks/plan";
import { parseSettings, type Settings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";

/**
 * What one setting changes in the plan, and nothing else: the whole program is rendered only for the
 * stack files and their TLS terminations, so the other variants are checked here, on the pure plan,
 * and on the components that take these plan parts (test/components/).
 */

function planFor(
  stack: string,
  config: Record<string, string | number | boolean> = {},
  unset: string[] = [],
): [Plan, Settings] {
  const raw: Record<string, string | number | boolean> = { ...stackConfig(stack), ...config };
  for (const key of unset) delete raw[`pingpong:${key}`];
  const s = parseSettings(engineConfig(raw), stack);
  return [plan(s), s];
}
/** Without tracing, the stack file's span collector has nothing to do (and is refused). */
const APP_TLS_UNSET = ["tracingCollector"];
const withoutNetwork = ({ network: _network, ...rest }: InstancePlan) => rest;

test("networkPolicy=false drops the network rules and changes nothing else", () => {
  const [off] = planFor("dev", { networkPolicy: false });
  const [on] = planFor("dev");
  for (const key of INSTANCE_KEYS) {
    expect(on.instances[key].network).toBeDefined();
    expect(off.instances[key].network).toBeUndefined();
    expect(withoutNetwork(off.instances[key])).toEqual(withoutNetwork(on.instances[key]));
  }
  expect(on.network).toBeDefined();
  expect(off.network).toBeUndefined();
  expect({ ...off, instances: undefined, network: undefined }).toEqual({
    ...on,
    instances: undefined,
    network: undefined,
  });
});

test("verification=false drops the checks and changes nothing else", () => {
  const [off] = planFor("dev", { verification: false });
  const [on] = planFor("dev");
  expect(on.checks.length).toBeGreaterThan(0);
  expect(off.checks).toEqual([]);
  // The checks' pods go, and with them their NetworkPolicies; every other pod keeps its own.
  const policies = (p: Plan) => Object.values(p.network ?? {}).flat();
  expect(policies(off)).toEqual(policies(on).filter((x) => !x.name.startsWith("verify-")));
  expect({ ...off, checks: undefined, network: undefined }).toEqual({
    ...on,
    checks: undefined,
    network: undefined,
  });
});

test.each(["dev", "prod"])(
  "%s with tlsTermination=app: the certificate also names both Services' hosts",
  (stack) => {
    const [p, s] = planFor(stack, APP_TLS, APP_TLS_UNSET);
    const hosts = INSTANCE_KEYS.map((k) => p.instances[k].host);
    expect(p.certificates.dnsNames).toEqual([...s.tls.hosts, ...hosts]);
    expect(p.edge).toMatchObject({ mode: "app", scheme: "https", ingressUrls: [] });
    for (const key of INSTANCE_KEYS) expect(new URL(p.instances[key].target).protocol).toBe("https:");
  },
);

test("prod with tlsTermination=app keeps prod's mesh: mesh-wide mTLS and the plug-in CA", () => {
  const [app, s] = planFor("prod", APP_TLS, APP_TLS_UNSET);
  const [istio, prod] = planFor("prod");
  expect(s.mesh.meshWideMtls).toBe(true);
  expect(app.security.meshWide).toBe(true);
  expect(app.certificates).toMatchObject({ mode: "generated", intermediateCa: true });
  // Istio stays as it is, but for the tracing provider, which app mode has nothing to send to.
  expect(app.istio).toEqual({ ...istio.istio, tracing: undefined });
  // The workload too, but that its pinger samples no trace: nothing would record the spans.
  expect(app.workload).toEqual({
    ...istio.workload,
    workload: { ...istio.workload.workload, traceSamplingPercent: 0 },
  });
  const tracing = prod.observability.tracing;
  expect(istio.workload.workload.traceSamplingPercent).toBe(
    tracing.backend === "none" ? 0 : tracing.samplingPercent,
  );
  // Only the sidecars stop seeing HTTP: the callers rule stays at the port.
  expect(app.security).toEqual({ ...istio.security, httpRules: false });
});

import { ACCEPTANCE_POD_LABELS } from "../../components/canary-analysis";
import { EGRESS_RELEASE, gatewayPodLabels } from "../../components/istio";
import { TOOLBOX_POD_LABELS } from "../../components/toolbox";
import { checkPodLabels } from "../../components/verification";
import { plan, type CheckPlan, type Plan } from "../../stacks/plan";
import { UNLISTED_URL, serviceNamespace, tracingEgress } from "../../stacks/plan-addons";
import { checkEgress, type PodEgressPlan } from "../../stacks/plan-network";
import { parseSettings, type Settings } from "../../stacks/settings";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";

/** The plan's egress for every pod besides pingpong's own in the three namespaces. Pure. */

type Config = Record<string, string | number | boolean>;
function planFor(stack: string, config: Config = {}): [Plan, Settings] {
  const s = parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
  return [plan(s), s];
}
const policy = (pods: PodEgressPlan[] | undefined, name: string) => pods?.find((p) => p.name === name);
const check = (p: Plan, name: string): CheckPlan => p.checks.find((c) => c.name === name)!;
const appPods = (s: Settings, key: "a" | "b") => ({
  namespace: s.namespaces[key],
  podLabels: { app: "pingpong" },
});

describe.each(["dev", "staging", "prod"])("%s", (stack) => {
  const [p, s] = planFor(stack);

  test("each check's pod has a policy in the namespace it runs in, selecting it by the check's name", () => {
    for (const c of p.checks) {
      const key = "instance" in c.from ? c.from.instance : "c";
      const own = policy(p.network?.[key], `verify-${c.name}`);
      expect({ check: c.name, podLabels: own?.podLabels, sidecar: own?.sidecar }).toEqual({
        check: c.name,
        podLabels: checkPodLabels(c.name),
        sidecar: "instance" in c.from,
      });
    }
    const listed = Object.values(p.network!)
      .flat()
      .map((x) => x.name);
    expect(new Set(listed).size).toBe(listed.length);
  });

  test("pingpong-c's probes reach their instance's port, and the toolbox both: the mesh must be what refuses them", () => {
    for (const key of ["a", "b"] as const)
      expect(policy(p.network!.c, `verify-c-to-${key}`)!.egress).toEqual([
        { to: [appPods(s, key)], port: 8080 },
      ]);
    expect(policy(p.network!.c, "toolbox")).toEqual({
      name: "toolbox",
      podLabels: TOOLBOX_POD_LABELS,
      sidecar: false,
      egress: [
        { to: [appPods(s, "a")], port: 8080 },
        { to: [appPods(s, "b")], port: 8080 },
      ],
    });
  });

  test("the probes from pingpong-a reach pingpong-b's port, and their sidecars the span collector", () => {
    for (const name of ["a-to-b", "a-to-b-burst"])
      expect(policy(p.network!.a, `verify-${name}`)!.egress).toEqual([
        { to: [appPods(s, "b")], port: 8080 },
        ...tracingEgress(p.addons),
      ]);
  });
});

describe("the egress check", () => {
  test("reaches the egress gateway's pods on 443 and nothing else, not even the span collector", () => {
    const [p, s] = planFor("dev");
    const egress = policy(p.network!.a, "verify-a-to-egress-0")!;
    expect(egress.sidecar).toBe(true);
    expect(egress.egress).toEqual([
      {
        to: [{ namespace: s.egress.gateway!.namespace, podLabels: gatewayPodLabels(EGRESS_RELEASE) }],
        port: 443,
      },
    ]);
    expect(tracingEgress(p.addons).length).toBeGreaterThan(0);
  });

  test("under prod's REGISTRY_ONLY as well", () => {
    const [p] = planFor("prod", { egressHosts: "example.com,example.org", internetAccess: true });
    for (const name of ["a-to-egress-0", "a-to-egress-1"])
      expect(policy(p.network!.a, `verify-${name}`)!.egress.map((r) => r.port)).toEqual([443]);
  });
});

test("the unlisted address is open to its probe, so that a 502 or reset can only be its sidecar's", () => {
  const [p] = planFor("prod");
  const host = new URL(UNLISTED_URL).hostname;
  expect(policy(p.network!.a, "verify-a-to-unlisted")!.egress[0]).toEqual({
    cidrs: [`${host}/32`],
    port: 80,
  });
});

test("a check to a host neither listed nor an address is refused: no policy can name it", () => {
  const [p, s] = planFor("prod");
  const c = { ...check(p, "a-to-unlisted"), to: { url: "http://unlisted.example/" } };
  expect(() => checkEgress(c, s, p.addons)).toThrow(/cannot name unlisted.example/);
});

test("the acceptance probe, only under canary analysis, reaches its own instance in the mesh", () => {
  const [dev, s] = planFor("dev");
  const key = dev.addons.delivery!.instance;
  expect(policy(dev.network![key], "canary-acceptance")).toEqual({
    name: "canary-acceptance",
    podLabels: ACCEPTANCE_POD_LABELS,
    sidecar: true,
    egress: [{ to: [appPods(s, key)], port: 8080 }, ...tracingEgress(dev.addons)],
  });
  const [prod] = planFor("prod");
  expect(
    Object.values(prod.network!)
      .flat()
      .map((x) => x.name),
  ).not.toContain("canary-acceptance");
});

test("without NetworkPolicies there is no network plan", () => {
  expect(planFor("dev", { networkPolicy: false })[0].network).toBeUndefined();
});

test("a collector's namespace is read from a cluster Service name only", () => {
  expect(serviceNamespace("otel-collector.observability.svc.cluster.local")).toBe("observability");
  expect(serviceNamespace("otel-collector.observability.svc")).toBe("observability");
  for (const host of ["otel.example.com", "collector.ops.svc.example.com", "a.b.c.svc", "otel-collector"])
    expect({ host, ns: serviceNamespace(host) }).toEqual({ host, ns: undefined });
});

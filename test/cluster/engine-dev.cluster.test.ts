import { X509Certificate } from "node:crypto";
import { defaultIn } from "../../stacks/key";
import { MESH_KEYS } from "../../stacks/keys-mesh";
import { parseSummary } from "../../stacks/summary";
import { until, untilSeen } from "./cluster";
import type { EngineAnswer } from "./engine-stack-run";
import {
  EngineSession,
  NEXT_IMAGE,
  THIRD_IMAGE,
  TIER_IMAGE,
  engineConfig,
  helmReleases,
  killCli,
  planPendingCreates,
  uninstallInterruptedInstalls,
} from "./engine-stack";
import type { KubeObject } from "./kube";
import { record } from "./report";

// `pulumi up` of the dev stack for real: the Pulumi CLI and the Kubernetes provider built from
// source, the project's own program (index.ts) and policy pack, the tier's API server, istiod and
// Argo Rollouts controller. One cluster; the tests run in order, each from where the last left it.
// The stack brings its own certificates and Kiali key (the tls and random providers are not served
// by the Go module proxy, docs/cluster-tier.md) and a prebuilt image (no docker provider). It runs
// pingpong-b's Rollout under an autoscaler, so the HorizontalPodAutoscaler writes replicas too.

const STACK = "dev";
const HOSTS = String(defaultIn(MESH_KEYS.ingressHosts, STACK)).split(",");
const ROUTE = { v: "networking.istio.io/v1", kind: "VirtualService", ns: "pingpong-b", name: "pingpong" };

const session = new EngineSession("engine-dev", STACK);
const engine = (op: string, phase: string, env: Record<string, string> = {}) => session.run(op, phase, env);
/** An operation under a fault the test injects: a provider crash in it is not rerun. */
const engineUnderFault = (op: string, phase: string, env: Record<string, string> = {}) =>
  session.run(op, phase, env, { retryProviderCrash: false });
const tier = () => session.tier!;

/** The stack's configuration with `changes` over the tier's settings. */
const configWith = (changes: Record<string, string> = {}) =>
  engineConfig(
    STACK,
    { ...session.settings, ...changes },
    {
      ...session.pki,
      "pingpong:kialiSigningKey": { value: "tier-kiali-signing-key-32-bytes!", secret: true },
    },
  );

/** What an operation changed, one line per resource step (`update ...VirtualService::traffic-b-virtualservice [spec.http]`). */
const changed = (r: EngineAnswer) =>
  r.steps.map(
    (s) => `${s.op} ${s.urn.split("::").pop()}${s.diffs?.length ? ` [${s.diffs.join(", ")}]` : ""}`,
  );

/** An up or preview that changes nothing: every resource `same`, no step, and no failure. */
function expectNoChange(r: EngineAnswer): void {
  expect({ ok: r.ok, error: r.error, steps: changed(r), diff: r.diff ?? "" }).toEqual({
    ok: true,
    error: undefined,
    steps: [],
    diff: "",
  });
  expect(Object.keys(r.changes)).toEqual(["same"]);
}

const kube = () => tier().cluster.kube;
const rollout = () => kube().get("argoproj.io/v1alpha1", "Rollout", "pingpong-b", "pingpong");
const virtualService = () => kube().get(ROUTE.v, ROUTE.kind, ROUTE.ns, ROUTE.name);
type Route = { route: Array<{ destination: { subset: string }; weight: number }>; timeout?: string };
const weights = (vs: KubeObject | undefined) =>
  Object.fromEntries(
    ((vs?.spec as { http: Route[] }).http[0]?.route ?? []).map((d) => [d.destination.subset, d.weight]),
  );
const rolloutStatus = async () =>
  ((await rollout())?.status ?? {}) as {
    phase?: string;
    stableRS?: string;
    currentPodHash?: string;
    abort?: boolean;
  };
const managers = (o: KubeObject | undefined) =>
  ((o?.metadata.managedFields ?? []) as Array<{ manager: string }>).map((m) => m.manager);

/** What `kubectl argo rollouts promote --full` / `abort` do: set the Rollout's status field. */
async function rolloutCommand(status: Record<string, boolean>): Promise<void> {
  await kube().ok(
    "PATCH",
    "/apis/argoproj.io/v1alpha1/namespaces/pingpong-b/rollouts/pingpong/status?fieldManager=kubectl-argo-rollouts",
    { status },
    "application/merge-patch+json",
  );
}

/** The Rollout's status and the weights of pingpong-b's route, as the controller leaves them. */
const rolloutAndRoute = async () => ({
  status: await rolloutStatus(),
  weights: weights(await virtualService()),
});

/** Waits until the controller has shifted `canary` percent of the route to the canary subset. */
const canaryAt = (canary: number) =>
  untilSeen(
    `the Rollout controller to set the canary's weight to ${canary}`,
    120_000,
    rolloutAndRoute,
    ({ weights: w }) => w.canary === canary,
  );

/** Waits until the Rollout is Healthy on its newest pods and all traffic is on the stable subset. */
const settledOnStable = () =>
  untilSeen(
    "the Rollout to be Healthy with everything on the stable subset",
    120_000,
    rolloutAndRoute,
    ({ status: s, weights: w }) =>
      s.phase === "Healthy" && s.stableRS === s.currentPodHash && w.stable === 100 && w.canary === 0,
  );

/**
 * Waits for the autoscaler's 2 replicas of pingpong-a's Deployment and pingpong-b's Rollout to be
 * available. A refresh while a new pod is not ready yet reads the Deployment as unready, and the next
 * up awaits it again (the provider's readiness check): comparisons start settled.
 */
const autoscaled = () =>
  untilSeen(
    "the HPA's 2 replicas of pingpong-a's Deployment and pingpong-b's Rollout to be available",
    120_000,
    async () =>
      [await kube().get("apps/v1", "Deployment", "pingpong-a", "pingpong-v1"), await rollout()].map(
        (o) => (o?.status as { availableReplicas?: number })?.availableReplicas,
      ),
    (counts) => counts.every((n) => n === 2),
  );

/** Waits for an up to be halfway: the mesh is installed and the app's namespaces are being filled. */
const halfCreated = () =>
  until(
    "the stack to be half-created",
    300_000,
    async () =>
      (await kube()
        .get("v1", "Namespace", undefined, "pingpong-a")
        .catch(() => undefined)) !== undefined,
  );

beforeAll(() =>
  session.start({
    hosts: HOSTS,
    meshCa: defaultIn(MESH_KEYS.pluginCa, STACK) === true,
    renderConfig: { image: TIER_IMAGE },
    settings: { image: TIER_IMAGE, autoscaling: "true", hpaMinReplicas: "2" },
    config: () => configWith(),
  }),
);

afterAll(() => session.stop());

describe("pulumi up of dev with the real engine", () => {
  let first: EngineAnswer;

  test("up from empty creates every resource, under the policy pack, with no tls, random or docker resource", async () => {
    first = await engine("up", "pulumi up (create)");
    expect({ ok: first.ok, error: first.error }).toEqual({ ok: true, error: undefined });
    expect(first.changes.create).toBe(first.resources);
    expect(first.resources).toBeGreaterThan(60);
    // Violations of any level are reported as policy events: none, mandatory or advisory.
    expect(first.policy).toEqual([]);
    const providers = new Set(first.steps.map((s) => s.type.split(":")[0]));
    expect([...providers].filter((p) => ["tls", "random", "docker"].includes(p))).toEqual([]);
    record("engine", "dev up (create)", { ms: first.ms, resources: first.resources });
  });

  test("the stack outputs meet their contract and carry what the stack was given", () => {
    expect(first.outputs).toBeDefined();
    const summary = parseSummary(first.outputs);
    const leaf = new X509Certificate(session.pki["pingpong:serverCertificate"].value);
    expect(summary).toMatchObject({
      environment: "dev",
      image: { ref: TIER_IMAGE, digest: TIER_IMAGE.split("@")[1] },
      namespaces: { a: "pingpong-a", b: "pingpong-b", c: "pingpong-c" },
      certificate: { expiry: new Date(leaf.validTo).toISOString() },
      endpoints: { ingress: HOSTS.map((h) => `https://${h}/ping`) },
    });
    const ca = new X509Certificate(String(first.outputs!.caCertificatePem));
    expect(ca.fingerprint256).toBe(
      new X509Certificate(session.pki["pingpong:caCertificate"].value).fingerprint256,
    );
  });

  test("once the autoscaler has raised the replicas, a second up and a preview --diff change nothing", async () => {
    // Without metrics the HPA still raises replicas to its minimum (2), through /scale: the
    // Deployment's and the Rollout's replicas are the autoscaler's, which the program leaves alone.
    // A refresh while the new pod is not ready yet reads the Deployment as unready and the next up
    // awaits it again: that is the provider's readiness check, so the comparison starts settled.
    await autoscaled();
    expectNoChange(await engine("up", "pulumi up (no change)"));
    expectNoChange(await engine("preview", "pulumi preview (no change)"));
    expect(((await rollout())?.spec as { replicas?: number }).replicas).toBe(2);
    const a = await kube().get("apps/v1", "Deployment", "pingpong-a", "pingpong-v1");
    expect((a?.spec as { replicas: number }).replicas).toBe(2);
  });

  test("a promotion: the controller's writes are left alone and the next up changes nothing", async () => {
    await untilSeen("the Rollout to be Healthy", 120_000, rolloutStatus, (s) => s.phase === "Healthy");
    session.stack.setConfig(configWith({ image: NEXT_IMAGE }));
    const update = await engine("up", "pulumi up (new image)");
    expect(update.ok).toBe(true);
    expect(changed(update)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^update pingpong-b-rollout/)]),
    );
    await canaryAt(20);
    // The controller now owns the route (its update took all of the atomic spec.http).
    expect(managers(await virtualService())).toContain("rollouts-controller");
    await rolloutCommand({ promoteFull: true });
    await settledOnStable();
    expectNoChange(await engine("up", "pulumi up (no change)"));
    expectNoChange(await engine("preview", "pulumi preview (no change)"));
    const dr = await kube().get("networking.istio.io/v1", "DestinationRule", "pingpong-b", "pingpong");
    const subsets = (dr?.spec as { subsets: Array<{ labels: Record<string, string> }> }).subsets;
    // The subsets keep the hashes the controller gave them.
    expect(subsets.every((s) => s.labels["rollouts-pod-template-hash"] !== undefined)).toBe(true);
  });

  test("an abort and a rollback: the controller's writes are left alone and up changes nothing", async () => {
    session.stack.setConfig(configWith({ image: THIRD_IMAGE }));
    expect((await engine("up", "pulumi up (new image)")).ok).toBe(true);
    await canaryAt(20);
    await rolloutCommand({ abort: true });
    await canaryAt(0);
    expectNoChange(await engine("up", "pulumi up (no change)"));
    // The rollback: the stack goes back to the stable image; the controller returns to it at once.
    session.stack.setConfig(configWith({ image: NEXT_IMAGE }));
    expect((await engine("up", "pulumi up (rollback)")).ok).toBe(true);
    await settledOnStable();
    expectNoChange(await engine("up", "pulumi up (no change)"));
  });

  test("a route setting of pingpong-b changes after the controller's writes: up updates it", async () => {
    session.stack.setConfig(configWith({ image: NEXT_IMAGE, routeTimeoutMs: "4500", retryAttempts: "3" }));
    const r = await engine("up", "pulumi up (route change)");
    expect({ ok: r.ok, error: r.error }).toEqual({ ok: true, error: undefined });
    expect(changed(r)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^update traffic-b-virtualservice/)]),
    );
    const vs = await virtualService();
    const http = (vs?.spec as { http: Array<Route & { retries: { attempts: number } }> }).http[0];
    expect([http.timeout, http.retries.attempts]).toEqual(["4.5s", 3]);
    expect(weights(vs)).toEqual({ stable: 100, canary: 0 });
    expectNoChange(await engine("up", "pulumi up (no change)"));
  });

  test("drift: a hand edit shows in preview --refresh and the next up takes it back", async () => {
    const p = await kube().path("security.istio.io/v1", "PeerAuthentication", "pingpong-a", "default");
    // What `kubectl edit` sends for a custom resource.
    await kube().ok(
      "PATCH",
      `${p}?fieldManager=kubectl-edit`,
      { spec: { mtls: { mode: "PERMISSIVE" } } },
      "application/merge-patch+json",
    );
    const preview = await engine("preview", "pulumi preview (drift)");
    expect({ ok: preview.ok, error: preview.error }).toEqual({ ok: true, error: undefined });
    expect(changed(preview)).toEqual(["update mesh-security-a-peerauthentication [spec.mtls.mode]"]);
    expect(preview.diff).toMatch(/mode\s*:\s*"PERMISSIVE" => "STRICT"/);
    const up = await engine("up", "pulumi up (drift)");
    expect(changed(up)).toEqual(["update mesh-security-a-peerauthentication [spec.mtls.mode]"]);
    const live = await kube().get("security.istio.io/v1", "PeerAuthentication", "pingpong-a", "default");
    expect((live?.spec as { mtls: { mode: string } }).mtls.mode).toBe("STRICT");
    expectNoChange(await engine("up", "pulumi up (no change)"));
  });

  test("a Helm release with a bad value fails up with a clear message; the fixed value recovers it", async () => {
    const bad = await engineUnderFault("up", "pulumi up (bad value)", { ENGINE_FAULT: "bad-gateway-value" });
    expect(bad.ok).toBe(false);
    // The engine names the release and Helm the chart's schema and the value it refuses.
    const said = [bad.error, ...(bad.diagnostics ?? [])].join("\n");
    process.stdout.write(`tier: engine-dev: the bad value's failure says:\n${said}\n`);
    expect(said).toMatch(/istio-gateway/);
    expect(said).toMatch(/replicaCount/);
    const fixed = await engine("up", "pulumi up (fixed value)");
    expect({ ok: fixed.ok, error: fixed.error }).toEqual({ ok: true, error: undefined });
    expectNoChange(await engine("up", "pulumi up (no change)"));
    const releases = await helmReleases(tier());
    // Every release ends deployed: no revision left pending or failed-and-current.
    expect(Object.entries(releases).filter(([, s]) => !s.includes("deployed"))).toEqual([]);
  });

  test("destroy removes everything the stack created and leaves no namespace Terminating", async () => {
    const gone = await engine("destroy", "pulumi destroy");
    expect({ ok: gone.ok, error: gone.error, resources: gone.resources }).toEqual({
      ok: true,
      error: undefined,
      resources: 0,
    });
    await expectBackToStart();
  });

  test("the API server killed in the middle of up and restarted: the next up converges, no duplicate, no orphan", async () => {
    session.stack.setConfig(configWith());
    const running = engineUnderFault("up", "pulumi up (API server killed)");
    await halfCreated();
    await tier().cluster.killApiserver();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await tier().cluster.restartApiserver();
    const interrupted = await running;
    process.stdout.write(
      `tier: engine-dev: the interrupted up ${interrupted.ok ? "succeeded" : "failed"}; ${interrupted.pending} pending operation(s); ${interrupted.resources} resources in state\n`,
    );
    // A failed operation (not a killed engine) leaves no pending operation: each step ended, in error.
    expect(interrupted.pending).toBe(0);
    // A Helm install the outage cut off stays pending-install, outside the state: Helm's recovery.
    const uninstalled = await uninstallInterruptedInstalls(tier());
    process.stdout.write(
      `tier: engine-dev: interrupted Helm installs uninstalled: ${JSON.stringify(uninstalled)}\n`,
    );
    const converged = await engine("up", "pulumi up (after the fault)");
    expect({ ok: converged.ok, error: converged.error }).toEqual({ ok: true, error: undefined });
    expect(converged.pending).toBe(0);
    await autoscaled();
    expectNoChange(await engine("up", "pulumi up (no change)"));
    const releases = await helmReleases(tier());
    expect(
      Object.entries(releases).filter(([, s]) => s.filter((x) => x === "deployed").length !== 1),
    ).toEqual([]);
    // Orphans would outlive the destroy.
    expect((await engine("destroy", "pulumi destroy")).ok).toBe(true);
    await expectBackToStart();
  });

  test("the engine itself killed in the middle of up: its lock cancelled, pending creates imported or cleared as Pulumi documents, then up converges", async () => {
    const running = session.stack.run("up");
    await halfCreated();
    expect(killCli("up")).toBe(true);
    const killed = await running;
    expect(killed.ok).toBe(false);
    process.stdout.write(
      `tier: engine-dev: the killed up left ${killed.pending} pending operation(s), ${killed.resources} resources in state\n`,
    );
    expect(killed.pending).toBeGreaterThan(0);
    // The dead engine's lock stays: the next operation says so and names the way out.
    const locked = await engineUnderFault("up", "pulumi up (locked)");
    expect(locked.ok).toBe(false);
    expect(locked.error).toMatch(/currently locked[\s\S]*pulumi cancel/);
    expect((await engine("cancel", "pulumi cancel")).ok).toBe(true);
    // Which pending creates went through: the cluster has the object, or Helm the deployed release.
    // An install Helm had not finished is uninstalled (Helm's recovery of `pending-install`).
    const plan = await planPendingCreates(tier(), killed.pendingOps ?? []);
    process.stdout.write(
      `tier: engine-dev: of ${killed.pending} pending create(s): ${plan.imports.length} imported, ` +
        `${plan.uninstall.length} interrupted Helm install(s) uninstalled, ${plan.cleared.length} cleared\n`,
    );
    for (const r of plan.uninstall)
      await tier().helm.run(["uninstall", r.name, `--namespace=${r.namespace}`, "--wait"]);
    const imports = plan.imports;
    const resolved = await engine("resolve-pending", "pulumi refresh (pending creates)", {
      PENDING_IMPORTS: JSON.stringify(imports),
    });
    expect({ ok: resolved.ok, error: resolved.error, pending: resolved.pending }).toEqual({
      ok: true,
      error: undefined,
      pending: 0,
    });
    const converged = await engine("up", "pulumi up (after the crash)");
    expect({ ok: converged.ok, error: converged.error }).toEqual({ ok: true, error: undefined });
    await autoscaled();
    expectNoChange(await engine("up", "pulumi up (no change)"));
    expect((await engine("destroy", "pulumi destroy")).ok).toBe(true);
    await expectBackToStart();
  });
});

/** Every namespace the stack made is gone (none Terminating), and nothing else it made outlives it but CRDs Helm keeps. */
async function expectBackToStart(): Promise<void> {
  expect(await session.leftovers()).toEqual({ namespaces: session.before.namespaces, objects: [] });
}

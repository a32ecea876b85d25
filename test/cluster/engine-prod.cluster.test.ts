import { X509Certificate } from "node:crypto";
import { defaultIn } from "../../stacks/key";
import { WORKLOAD_KEYS } from "../../stacks/keys-workload";
import { parseSummary } from "../../stacks/summary";
import { stackConfigValues } from "../support/stack-files";
import { untilSeen } from "./cluster";
import type { KubeObject } from "./kube";
import type { EngineAnswer } from "./engine-stack-run";
import { EngineSession, TIER_IMAGE, engineConfig, helmReleases } from "./engine-stack";
import { record } from "./report";

// `pulumi up` of prod for real, as its stack file sets it, on a cluster that has what prod expects
// beforehand (a Prometheus Operator's CRDs, a monitoring namespace). The tier gives it a kubeconfig
// instead of the prod context, a prebuilt image instead of the registry, and the organisation's PKI
// with istiod's intermediate CA (prod's pluginCa). Its policy pack runs with prod's mandatory rules.

const STACK = "prod";
// prod has no default hosts: its stack file names them.
const HOSTS = String(stackConfigValues(STACK)["pingpong:ingressHosts"]).split(",");

const session = new EngineSession("engine-prod", STACK);
const engine = (op: string, phase: string) => session.run(op, phase);
let leaf: X509Certificate;

/** What an operation changed: its steps but the reads (of the monitoring namespace prod expects). */
const changed = (r: EngineAnswer) =>
  r.steps.filter((s) => s.op !== "read").map((s) => `${s.op} ${s.urn.split("::").pop()}`);

beforeAll(async () => {
  await session.start({
    hosts: HOSTS,
    meshCa: true,
    // The mock render only finds the pinned charts and the prerequisites: as its stack file says.
    settings: { image: TIER_IMAGE },
    // The registry and the prod context are the deploying machine's; the image replaces the one.
    config: (settings, pki) =>
      engineConfig(STACK, settings, pki, ["pingpong:registry", "pingpong:kubeContext"]),
  });
  if (session.pki) leaf = new X509Certificate(session.pki["pingpong:serverCertificate"].value);
});

afterAll(() => session.stop());

describe("pulumi up of prod with the real engine", () => {
  let first: EngineAnswer;

  test("up from empty creates every resource under prod's mandatory policies", async () => {
    first = await engine("up", "pulumi up (create)");
    expect({ ok: first.ok, error: first.error }).toEqual({ ok: true, error: undefined });
    // Everything in the state was created, but what prod only reads (its monitoring namespace).
    const reads = first.steps.filter((s) => s.op === "read").length;
    expect(reads).toBe(1);
    expect(first.changes.create + reads).toBe(first.resources);
    expect(first.policy).toEqual([]);
    expect(first.steps.filter((s) => /^(tls|random|docker):/.test(s.type))).toEqual([]);
    record("engine", "prod up (create)", { ms: first.ms, resources: first.resources });
  });

  test("the stack outputs meet their contract", () => {
    const summary = parseSummary(first.outputs);
    expect(summary).toMatchObject({
      environment: "prod",
      image: { ref: TIER_IMAGE, digest: TIER_IMAGE.split("@")[1] },
      certificate: { expiry: new Date(leaf.validTo).toISOString() },
      endpoints: { ingress: HOSTS.map((h) => `https://${h}/ping`) },
    });
    // prod enforces STRICT mTLS mesh-wide as well as per namespace.
    expect(summary.mtls).toMatchObject({ mesh: "STRICT" });
  });

  test("istiod's plug-in CA is the organisation's intermediate", async () => {
    const cacerts = await session.tier!.cluster.kube.get("v1", "Secret", "istio-system", "cacerts");
    const data = (cacerts?.data ?? {}) as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual([
      "ca-cert.pem",
      "ca-key.pem",
      "cert-chain.pem",
      "root-cert.pem",
    ]);
    const mesh = new X509Certificate(Buffer.from(data["ca-cert.pem"], "base64"));
    expect(mesh.ca).toBe(true);
    expect(mesh.subject).toMatch(/mesh intermediate CA/);
  });

  test("a second up and a preview --diff change nothing", async () => {
    // Settled first: the autoscalers have raised pingpong's Deployments to their minimum and every
    // Deployment is available (a refresh of an unready Deployment awaits it again).
    const min = Number(defaultIn(WORKLOAD_KEYS.hpaMinReplicas, STACK));
    const status = (d: KubeObject) => (d.status ?? {}) as { replicas?: number; availableReplicas?: number };
    await untilSeen(
      "the autoscaled Deployments to be available",
      180_000,
      () => session.tier!.cluster.kube.list("apps/v1", "Deployment"),
      (deployments) => {
        const pingpong = deployments.filter((d) => /^pingpong-[ab]$/.test(d.metadata.namespace ?? ""));
        return (
          pingpong.length === 2 &&
          pingpong.every((d) => (status(d).availableReplicas ?? 0) >= min) &&
          deployments.every((d) => (status(d).availableReplicas ?? 0) === (status(d).replicas ?? 0))
        );
      },
    );
    for (const [op, phase] of [
      ["up", "pulumi up (no change)"],
      ["preview", "pulumi preview (no change)"],
    ]) {
      const r = await engine(op, phase);
      expect({ ok: r.ok, error: r.error, steps: changed(r) }).toEqual({
        ok: true,
        error: undefined,
        steps: [],
      });
      expect(Object.keys(r.changes).filter((k) => k !== "read")).toEqual(["same"]);
    }
    expect(
      Object.entries(await helmReleases(session.tier!)).filter(([, s]) => !s.includes("deployed")),
    ).toEqual([]);
  });

  test("destroy removes everything the stack created and leaves no namespace Terminating", async () => {
    const gone = await engine("destroy", "pulumi destroy");
    expect({ ok: gone.ok, error: gone.error, resources: gone.resources }).toEqual({
      ok: true,
      error: undefined,
      resources: 0,
    });
    const left = await session.leftovers();
    expect(left).toEqual({ namespaces: session.before.namespaces, objects: [] });
  });
});

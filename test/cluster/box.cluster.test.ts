import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { NODE_COUNT } from "./cluster";
import { startTier, stopTier, timed, type Tier } from "./session";
import { recordPhases } from "./report";
import { toolPath } from "./tools";

// The cluster in a box itself: where it runs, what it runs, and that its admission is on.

/** The pins, as test/cluster/tools/build.sh declares them (`NAME=value` lines). */
const PINS = Object.fromEntries(
  [
    ...readFileSync(path.join(__dirname, "tools", "build.sh"), "utf8").matchAll(
      /^([A-Z_]+_VERSION)=(\S+)$/gm,
    ),
  ].map((m) => [m[1], m[2]]),
);
const pin = (name: string): string => {
  if (!PINS[name]) throw new Error(`build.sh declares no ${name}`);
  return PINS[name];
};

const version = (tool: string, args: string[]) =>
  execFileSync(toolPath(tool), args, { encoding: "utf8" }).trim();

describe("the cluster in a box", () => {
  let tier: Tier | undefined;
  beforeAll(async () => {
    tier = await startTier("box");
  });
  afterAll(async () => {
    if (tier) recordPhases("box", tier.phases);
    await stopTier(tier);
  });

  test("runs in a network namespace with only loopback", () => {
    // netlink answers for the namespace the process is in (/sys/class/net would show the host's mount).
    const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => line.split(":")[1].trim());
    expect(links).toEqual(["lo"]);
    // No route leaves it: a connection to an address outside loopback fails at once.
    const routes = execFileSync("ip", ["-4", "route", "show"], { encoding: "utf8" }).trim();
    expect(routes).toBe("");
  });

  test("the API server reports its true version and Pod Security is on", async () => {
    const { kube } = tier!.cluster;
    const v = (await kube.ok("GET", "/version")).body as { gitVersion: string; major: string; minor: string };
    const [major, minor] = pin("KUBE_VERSION").slice(1).split(".");
    expect(v).toMatchObject({ gitVersion: pin("KUBE_VERSION"), major, minor });
    await kube.apply({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "box-restricted", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "root", namespace: "box-restricted" },
      spec: { containers: [{ name: "c", image: "busybox", securityContext: { runAsUser: 0 } }] },
    };
    const refused = await kube.dryRunCreate(pod);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  test(`has ${NODE_COUNT} Ready kwok nodes that run what the scheduler places`, async () => {
    const { kube } = tier!.cluster;
    await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "box-run" } });
    await kube.apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "box-run" },
      spec: {
        replicas: NODE_COUNT,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx" }] },
        },
      },
    });
    await timed(tier!, "deployment available", async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const d = await kube.get("apps/v1", "Deployment", "box-run", "web");
        if ((d?.status as { availableReplicas?: number })?.availableReplicas === NODE_COUNT) return;
        if (Date.now() > deadline) throw new Error(`Deployment not available: ${JSON.stringify(d?.status)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    const pods = await kube.list("v1", "Pod", "box-run");
    expect(pods.map((p) => (p.status as { phase: string }).phase)).toEqual(Array(NODE_COUNT).fill("Running"));
    expect(
      pods.every((p) => String((p.spec as { nodeName?: string }).nodeName).startsWith("kwok-node-")),
    ).toBe(true);
  });

  test("every tool reports the version it is pinned at", () => {
    expect(version("etcd", ["--version"])).toContain(`etcd Version: ${pin("ETCD_VERSION").slice(1)}`);
    expect(version("helm", ["version", "--short"]).startsWith(pin("HELM_VERSION"))).toBe(true);
    expect(version("kwok", ["--version"])).toContain(pin("KWOK_VERSION"));
    expect(version("istioctl", ["version", "--remote=false"])).toBe(
      `client version: ${pin("ISTIO_VERSION")}`,
    );
    expect(version("rollouts-controller", ["--version"])).toContain(pin("ARGO_ROLLOUTS_VERSION"));
    expect(version("pulumi", ["version"])).toBe(pin("PULUMI_VERSION"));
  });
});

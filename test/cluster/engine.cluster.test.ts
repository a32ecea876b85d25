import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../support/process";
import { startTier, stopTier, timed, type Tier } from "./session";
import { recordPhases } from "./report";
import { toolPath, toolsCache } from "./tools";

// The real Pulumi engine (the CLI built from github.com/pulumi/pulumi/pkg/v3) and the real
// Kubernetes provider (from github.com/pulumi/pulumi-kubernetes/provider/v4) against the tier's
// API server: a small inline program through the Automation API, with a file backend, no update
// check and no plugin download. The stacks themselves need the tls and random providers too, which
// the module proxy does not serve (docs/cluster-tier.md).

interface EngineResult {
  op: string;
  changes: Record<string, number>;
  outputs?: Record<string, unknown>;
}

let tier: Tier | undefined;
let work = "";

function engine(op: string, env: Record<string, string> = {}): Promise<EngineResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(__dirname, "engine-run.ts"),
        op,
        toolsCache(),
        work,
      ],
      {
        cwd: ROOT,
        timeout: 300_000,
        env: {
          PATH: `${path.dirname(toolPath("pulumi"))}:${process.env.PATH}`,
          HOME: work,
          PULUMI_HOME: path.join(work, "pulumi-home"),
          PULUMI_CONFIG_PASSPHRASE: "tier",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
          KUBECONFIG: tier!.cluster.kubeconfig,
          ...env,
        },
      },
      (err, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop() ?? "";
        if (err) return reject(new Error(`engine ${op}: ${stderr.trim() || err.message}`));
        resolve(JSON.parse(line) as EngineResult);
      },
    );
  });
}

describe("the real Pulumi engine on the cluster", () => {
  beforeAll(async () => {
    tier = await startTier("engine");
    work = path.join(tier.cluster.dir, "engine");
    mkdirSync(path.join(work, "state"), { recursive: true });
  });
  afterAll(async () => {
    if (tier) recordPhases("engine", tier.phases);
    await stopTier(tier);
  });

  test("up creates, a second up and a preview change nothing, a change updates, destroy removes", async () => {
    const first = await timed(tier!, "pulumi up (create)", () => engine("up"));
    expect(first.changes).toMatchObject({ create: 4 });
    expect(first.outputs).toEqual({ namespace: "engine-smoke", configMap: "settings" });
    const live = await tier!.cluster.kube.get("v1", "ConfigMap", "engine-smoke", "settings");
    expect(live?.data).toEqual({ greeting: "hello" });
    // Applied by the provider with server-side apply, under its own field manager.
    const managers = (live?.metadata.managedFields as Array<{ manager: string; operation: string }>).map(
      (m) => m.manager,
    );
    expect(managers.some((m) => m.startsWith("pulumi-kubernetes"))).toBe(true);

    const again = await timed(tier!, "pulumi up (no change)", () => engine("up"));
    expect(again.changes).toEqual({ same: 4 });
    const preview = await timed(tier!, "pulumi preview (no change)", () => engine("preview"));
    expect(preview.changes).toEqual({ same: 4 });

    // A label of the namespace changes: one update in place, by server-side apply.
    const changed = await engine("up", { GREETING: "hi" });
    expect(changed.changes).toEqual({ same: 3, update: 1 });
    const updated = await tier!.cluster.kube.get("v1", "Namespace", undefined, "engine-smoke");
    expect((updated?.metadata.labels as Record<string, string>).greeting).toBe("hi");

    const gone = await timed(tier!, "pulumi destroy", () => engine("destroy"));
    expect(gone.changes).toMatchObject({ delete: 4 });
    const ns = await tier!.cluster.kube.get("v1", "Namespace", undefined, "engine-smoke");
    // Deleted, or on its way out (its finalizer runs in the namespace controller).
    expect(ns === undefined || (ns.status as { phase?: string }).phase === "Terminating").toBe(true);
  });
});

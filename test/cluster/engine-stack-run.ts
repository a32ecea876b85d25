/**
 * One operation of the real Pulumi engine on the project's own program (index.ts) for one stack,
 * through the Automation API with the program inline: the SDK serves the language runtime itself,
 * so no Node.js language host is needed. The policy pack runs as `npm run up` applies it.
 *
 * Run as its own process by engine-stack.ts, with a file backend, no update check and no plugin
 * download; the CLI and the kubernetes provider come from the tools' bin folder on PATH, the
 * policy pack's analyzer from test/cluster/bin. Prints one JSON line (EngineAnswer).
 *
 *   engine-stack-run.ts <op> <cli root> <work dir> <stack> <config.json>
 *   op: up | preview | cancel | resolve-pending | destroy | export
 * up and preview refresh first, with the policy pack, as `npm run up` and `npm run preview` do.
 *
 * ENGINE_FAULT=bad-gateway-value makes the ingress gateway's Helm values invalid (a string
 * replica count), as a mistyped value would.
 */
import * as pulumi from "@pulumi/pulumi";
import * as auto from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const [op, root, workDir, stackName, configFile] = process.argv.slice(2);
const ROOT = path.resolve(__dirname, "../..");

export interface ResourceStep {
  op: string;
  type: string;
  urn: string;
  /** Property paths that differ, when the engine says. */
  diffs?: string[];
}

export interface PendingOp {
  type: string;
  urn: string;
  /** "creating", "updating", "deleting", ... */
  kind: string;
  /** The object's (or the Helm release's) name and namespace, from the inputs the engine recorded. */
  name?: string;
  namespace?: string;
  apiVersion?: string;
  objectKind?: string;
}

export interface EngineAnswer {
  op: string;
  ok: boolean;
  ms: number;
  changes: Record<string, number>;
  /** Every resource step that is not `same`. */
  steps: ResourceStep[];
  outputs?: Record<string, unknown>;
  /** Resources in the state, and pending operations. */
  resources?: number;
  pending?: number;
  /** The pending operations: what the engine had started and not seen finish. */
  pendingOps?: PendingOp[];
  /** Wall time during which at least one Helm release was being installed, upgraded or deleted. */
  helmMs?: number;
  /** Policy violations reported. */
  policy?: string[];
  error?: string;
  /** preview: what `--diff` printed about the resources that change. */
  diff?: string;
  /** Diagnostics of severity error, one line each. */
  diagnostics?: string[];
}

const FAULTS: Record<string, () => void> = {
  // The gateway chart's schema and templates want a number: a string fails the release.
  "bad-gateway-value": () =>
    pulumi.runtime.registerResourceTransform((args) => {
      if (args.type !== "kubernetes:helm.sh/v3:Release" || args.name !== "istio-gateway") return undefined;
      const props = { ...args.props };
      props.values = pulumi.output(props.values).apply((v: Record<string, unknown>) => ({
        ...v,
        replicaCount: "two",
      }));
      return { props, opts: args.opts };
    }),
};

function program(): Promise<Record<string, unknown>> {
  const fault = process.env.ENGINE_FAULT;
  if (fault) {
    const inject = FAULTS[fault];
    if (!inject) throw new Error(`ENGINE_FAULT=${fault}: expected one of ${Object.keys(FAULTS).join(", ")}`);
    inject();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pingpong = require(path.join(ROOT, "index.ts")) as () => Record<string, unknown>;
  return Promise.resolve(pingpong());
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, auto.ConfigValue>;
  const pulumiCommand = await auto.PulumiCommand.get({ root, skipVersionCheck: false });
  const projectName = "pingpong";
  const stack = await auto.LocalWorkspace.createOrSelectStack(
    { stackName, projectName, program },
    {
      pulumiCommand,
      workDir,
      projectSettings: {
        name: projectName,
        runtime: "nodejs",
        // As `npm run up` keeps state without a backend configured (stacks/run.sh).
        backend: { url: `file://${path.join(workDir, "state")}?metadata=skip` },
      },
    },
  );
  await stack.setAllConfig(config);

  const steps: ResourceStep[] = [];
  const diagnostics: string[] = [];
  const policy: string[] = [];
  // When each Helm release's step started and ended, for the share of time spent in Helm.
  const releaseSteps = new Map<string, { start: number; end?: number }>();
  const onEvent = (e: auto.EngineEvent) => {
    const m = e.resourcePreEvent?.metadata;
    if (m && m.type === "kubernetes:helm.sh/v3:Release" && m.op !== "same" && m.op !== "refresh")
      releaseSteps.set(m.urn, { start: Date.now() });
    const done = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
    const step = done && releaseSteps.get(done.urn);
    if (step) step.end = Date.now();
    if (m && m.op !== "same" && m.op !== "refresh") {
      const detailed = Object.keys(m.detailedDiff ?? {});
      steps.push({ op: m.op, type: m.type, urn: m.urn, diffs: detailed.length ? detailed : m.diffs });
    }
    const d = e.diagnosticEvent;
    if (d && d.severity === "error") diagnostics.push(`${d.urn ?? ""} ${d.message.trim()}`.trim());
    const p = e.policyEvent;
    if (p)
      policy.push(`${p.enforcementLevel} ${p.policyName}: ${p.message.trim()} (${p.resourceUrn ?? "stack"})`);
  };
  const policyOpts = {
    policyPacks: [path.join(ROOT, "policy")],
    policyPackConfigs: [policyConfig(stackName)],
  };
  const answer = (changes: Record<string, number>, extra: Partial<EngineAnswer> = {}): EngineAnswer => ({
    op,
    ok: true,
    ms: Date.now() - t0,
    helmMs: unionMs([...releaseSteps.values()]),
    changes,
    steps,
    policy,
    diagnostics,
    ...extra,
  });

  let out: EngineAnswer;
  try {
    if (op === "up") {
      // As `npm run up` runs it: refreshed first, so drift from the cluster is seen and undone.
      const r = await stack.up({ ...policyOpts, refresh: true, diff: true, onEvent });
      out = answer(r.summary.resourceChanges ?? {}, {
        diff: changedParts(r.stdout),
        outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value])),
      });
    } else if (op === "preview") {
      const r = await stack.preview({ ...policyOpts, diff: true, refresh: true, onEvent });
      // The diff as `pulumi preview --diff` prints it, without the resources that do not change.
      out = answer(r.changeSummary, { diff: changedParts(r.stdout) });
    } else if (op === "cancel") {
      // The file backend's lock of an update whose engine died: `pulumi cancel` deletes it.
      await stack.cancel();
      out = answer({});
    } else if (op === "resolve-pending") {
      // Pulumi's recovery of pending creates: those that exist are imported with their IDs
      // (`pulumi refresh --import-pending-creates <urn> --import-pending-creates <id>`), the others cleared
      // (`--clear-pending-creates`). Which exist, the caller asked the cluster (PENDING_IMPORTS).
      const imports = JSON.parse(process.env.PENDING_IMPORTS ?? "[]") as Array<[string, string]>;
      if (imports.length > 0) {
        execFileSync(
          pulumiCommand.command,
          [
            "refresh",
            "--yes",
            "--skip-preview",
            "--non-interactive",
            "--stack",
            stackName,
            // A string array: the flag once per URN and once per ID.
            ...imports.flat().flatMap((v) => ["--import-pending-creates", v]),
          ],
          { cwd: workDir, stdio: ["ignore", "ignore", "pipe"] },
        );
      }
      const r = await stack.refresh({ clearPendingCreates: true, onEvent });
      out = answer(r.summary.resourceChanges ?? {});
    } else if (op === "destroy") {
      const r = await stack.destroy({ onEvent });
      out = answer(r.summary.resourceChanges ?? {});
    } else if (op === "export") {
      out = answer({});
    } else {
      throw new Error(`unknown operation ${op}`);
    }
  } catch (err) {
    out = answer({}, { ok: false, error: briefly((err as Error).message) });
  }
  const state = (await stack.exportStack()).deployment as {
    resources?: unknown[];
    pending_operations?: Array<{
      type: string;
      resource: { urn: string; type: string; inputs?: Record<string, unknown> };
    }>;
  };
  out.resources = state.resources?.length ?? 0;
  out.pending = state.pending_operations?.length ?? 0;
  out.pendingOps = (state.pending_operations ?? []).map((p) => {
    const inputs = p.resource.inputs ?? {};
    const meta = (inputs.metadata ?? {}) as { name?: string; namespace?: string };
    return {
      type: p.resource.type,
      urn: p.resource.urn,
      kind: p.type,
      name: (meta.name ?? inputs.name) as string | undefined,
      namespace: (meta.namespace ?? inputs.namespace) as string | undefined,
      apiVersion: inputs.apiVersion as string | undefined,
      objectKind: inputs.kind as string | undefined,
    };
  });
  console.log(JSON.stringify(out));
}

/** The length of the union of time intervals (ms); an interval without an end is cut at now. */
function unionMs(intervals: Array<{ start: number; end?: number }>): number {
  const sorted = intervals.map((i) => [i.start, i.end ?? Date.now()]).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = [0, 0];
  for (const [a, b] of sorted) {
    if (a > to) {
      total += to - from;
      [from, to] = [a, b];
    } else to = Math.max(to, b);
  }
  return total + (to - from);
}

/** The blocks of `pulumi preview --diff` output that describe a change (`~`, `+`, `-`, `+-`). */
function changedParts(stdout: string): string {
  // eslint-disable-next-line no-control-regex
  const text = stdout.replace(/\u001b\[[0-9;]*m/g, "");
  const blocks = text.split(/\n(?=\s{4}[~+-]{1,2}\s|\s{4}\S)/);
  return blocks
    .filter((b) => /^\s{4}(~|\+|-|\+-)\s/.test(b))
    .join("\n")
    .slice(0, 20_000);
}

/** The lines of an engine error that say what failed (each `error:` line and the six after it), or else its last lines. */
function briefly(message: string): string {
  // eslint-disable-next-line no-control-regex
  const lines = message.replace(/\u001b\[[0-9;]*m/g, "").split("\n");
  const kept = new Set<number>();
  lines.forEach((line, i) => {
    if (/error:/.test(line)) for (let j = i; j < Math.min(i + 7, lines.length); j++) kept.add(j);
  });
  const out = [...kept].map((i) => lines[i]).filter((l) => l.trim() !== "");
  return (out.length ? out : lines.slice(-40)).slice(0, 80).join("\n");
}

/** The policy pack's configuration for a stack, as stacks/run.sh picks it. */
function policyConfig(stackName: string): string {
  const own = path.join(ROOT, "policy", "config", `${stackName}.json`);
  try {
    readFileSync(own);
    return own;
  } catch {
    return path.join(ROOT, "policy", "config", "prod.json");
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});

/**
 * End-to-end suite: deploys the dev stack to the local kind cluster with the Pulumi Automation
 * API, checks the mesh, HTTPS, metrics and the mesh's add-ons (traces, Kiali, egress, the Argo
 * Rollout, rate limits) from outside, then destroys the stack.
 *
 *   npm run test:e2e            (E2E_KEEP=1 keeps the stack afterwards)
 *
 * Needs pulumi, docker (with a running engine), kind and kubectl. When one is missing it prints what
 * to install and `e2e: not run (missing: ...)`, and exits 2. Exit 0 only when every check ran and
 * passed, 1 otherwise. Not part of `npm test` (jest ignores test/e2e/).
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { checkAToB, checkCToA, checkHttps, checkMetrics, runCheck } from "./checks";
import { checkEgress, checkKiali, checkRateLimit, checkRollout, checkTraces, runIf } from "./checks-addons";
import {
  CHECKS,
  EXIT,
  exitCodeFor,
  formatResult,
  judgeVerification,
  missingPrerequisites,
  missingReport,
  notRunResults,
  onPathLookup,
  parseOutputs,
  summaryLine,
  type CheckResult,
  type StackFacts,
} from "./harness";
import {
  outputTargets,
  rawConfig,
  settingsTargets,
  unreadSettings,
  type SettingsTargets,
} from "./harness-addons";
import { ROOT, run } from "./processes";

export * from "./harness";
export { run } from "./processes";

const STACK = "dev";

const log = (line: string) => console.log(line);

function commandOnPath(): (command: string) => boolean {
  return onPathLookup(
    process.env.PATH,
    (file) => {
      try {
        accessSync(file, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    path.delimiter,
  );
}

function dockerAnswers(): boolean {
  const r = spawnSync("docker", ["info"], { stdio: "ignore", timeout: 30_000 });
  return r.status === 0;
}

/** The settings-based checks, from the stack's config as the program parsed it (stacks/settings.ts). */
async function targetsFromSettings(stack: Stack, facts: StackFacts): Promise<SettingsTargets> {
  try {
    // Loaded here, like the Automation API: the program's modules are not needed before the deployment.
    const { parseSettings } = await import("../../stacks/settings");
    const { plan } = await import("../../stacks/plan");
    const { addonChecks } = await import("../../stacks/plan-addons");
    const s = parseSettings(rawConfig(await stack.getAllConfig()), STACK);
    return settingsTargets(s, addonChecks(s, plan(s).addons), facts);
  } catch (err) {
    return unreadSettings(`not run: the stack's settings could not be read (${(err as Error).message})`);
  }
}

export async function main(): Promise<number> {
  const missing = missingPrerequisites(commandOnPath(), dockerAnswers);
  if (missing.length > 0) {
    const report = missingReport(missing);
    report.lines.forEach((line) => log(line));
    return report.exitCode;
  }

  // Imported here so that a machine without the Pulumi CLI never loads the Automation API.
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");

  const env: Record<string, string> = {};
  let stateDir: string | undefined;
  if (!process.env.PULUMI_BACKEND_URL) {
    stateDir = mkdtempSync(path.join(tmpdir(), "pingpong-e2e-state-"));
    env.PULUMI_BACKEND_URL = `file://${stateDir}`;
  }
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    env.PULUMI_CONFIG_PASSPHRASE = `pingpong-e2e-${process.pid}-${Date.now()}`;
  }
  log(`e2e: backend ${env.PULUMI_BACKEND_URL ?? process.env.PULUMI_BACKEND_URL}`);

  // Creating the stack on a fresh backend writes an encryption salt into Pulumi.dev.yaml; put it back.
  const stackFile = path.join(ROOT, `Pulumi.${STACK}.yaml`);
  const stackFileBefore = readFileSync(stackFile, "utf8");
  let destroyFailed = false;

  const results: CheckResult[] = [];
  let stack: Stack | undefined;
  let notRunReason = "not run: the deployment did not complete";
  try {
    log("e2e: kind cluster and registry (stacks/kind/up.sh)");
    const kindUp = await run("bash", ["stacks/kind/up.sh"], { timeoutMs: 10 * 60_000, stream: true });
    if (kindUp.code !== 0) throw new Error(`stacks/kind/up.sh failed (${kindUp.code ?? "timeout"})`);

    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: STACK, workDir: ROOT },
      { envVars: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" } },
    );
    log(`e2e: pulumi up on stack ${STACK}`);
    const up = await stack.up({ onOutput: (out) => process.stdout.write(out), color: "never" });
    notRunReason = "not run: the suite stopped before this check";
    const facts = parseOutputs(up.outputs);
    const addons = { ...outputTargets(facts), ...(await targetsFromSettings(stack, facts)) };

    results.push(
      await runCheck("verification", 10_000, () =>
        Promise.resolve(judgeVerification(facts.verificationResults)),
      ),
    );
    results.push(await runCheck("a-to-b", 3 * 60_000, () => checkAToB(facts)));
    results.push(await runCheck("c-to-a", 90_000, () => checkCToA(facts)));
    results.push(await runCheck("https", 120_000, () => checkHttps(facts)));
    results.push(await runCheck("metrics", 4 * 60_000, () => checkMetrics(3 * 60_000)));
    results.push(await runIf("traces", addons.traces, 5 * 60_000, (t) => checkTraces(t, facts, 3 * 60_000)));
    results.push(await runIf("kiali", addons.kiali, 4 * 60_000, (t) => checkKiali(t, facts, 2 * 60_000)));
    results.push(await runIf("egress", addons.egress, 3 * 60_000, (t) => checkEgress(t, facts)));
    results.push(await runIf("rollout", addons.rollout, 7 * 60_000, (t) => checkRollout(t, 5 * 60_000)));
    // Last: the burst empties pingpong-b's token buckets for a moment.
    results.push(await runIf("rate-limit", addons.rateLimit, 4 * 60_000, (t) => checkRateLimit(t, facts)));
  } catch (err) {
    log(`e2e: error: ${(err as Error).message}`);
    notRunReason = `${notRunReason} (${(err as Error).message})`;
  } finally {
    for (const r of notRunResults(results, notRunReason)) {
      results.push(r);
      log(formatResult(r));
    }
    if (stack && process.env.E2E_KEEP === "1") {
      log(`e2e: E2E_KEEP=1: keeping stack ${STACK}${stateDir ? ` (state in ${stateDir})` : ""}`);
    } else if (stack) {
      log(`e2e: pulumi destroy on stack ${STACK}`);
      try {
        await stack.destroy({ onOutput: (out) => process.stdout.write(out), color: "never" });
        if (stateDir) {
          await stack.workspace.removeStack(STACK);
          if (readFileSync(stackFile, "utf8") !== stackFileBefore) writeFileSync(stackFile, stackFileBefore);
        }
      } catch (err) {
        destroyFailed = true;
        log(`e2e: destroy failed: ${(err as Error).message}`);
        // The stack's resources may still exist: keep the state so `pulumi destroy` can finish the job.
        stateDir = undefined;
      }
    }
    if (stateDir && process.env.E2E_KEEP !== "1") rmSync(stateDir, { recursive: true, force: true });
  }

  log(summaryLine(results, CHECKS.length));
  if (destroyFailed) {
    log("e2e: failing the run because the stack could not be destroyed");
    return EXIT.failed;
  }
  return exitCodeFor(results, CHECKS.length);
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT.failed);
    },
  );
}

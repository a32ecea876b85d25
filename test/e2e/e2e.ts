/**
 * End-to-end suite: deploys the dev stack to the local kind cluster with the Pulumi Automation
 * API, checks the mesh, HTTPS and metrics from outside, then destroys the stack.
 *
 *   npm run test:e2e            (E2E_KEEP=1 keeps the stack afterwards)
 *
 * Needs pulumi, docker (with a running engine), kind and kubectl. When one is missing it prints what
 * to install and `e2e: not run (missing: ...)`, and exits 2. Exit 0 only when every check ran and
 * passed, 1 otherwise. Not part of `npm test` (jest ignores test/e2e/).
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CHECKS,
  EXIT,
  UNTRUSTED_CERT_CODES,
  exitCodeFor,
  firstIngress,
  formatResult,
  judgeExit,
  judgeVerification,
  missingPrerequisites,
  missingReport,
  notRunResults,
  onPathLookup,
  parseOutputs,
  prometheusValue,
  summaryLine,
  titleOf,
  type CheckId,
  type CheckResult,
  type StackFacts,
} from "./harness";

export * from "./harness";

const ROOT = path.resolve(__dirname, "../..");
const STACK = "dev";
const CONTEXT = "kind-pingpong";
const CALLER_A = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
const PROMETHEUS = { namespace: "monitoring", service: "svc/kube-prometheus-stack-prometheus", port: 9090 };
const GATEWAY = { namespace: "istio-ingress", service: "svc/istio-ingressgateway", port: 443 };
const METRICS_QUERY = 'sum(pingpong_pings_total{result="success"})';

const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------------------------
// Processes

interface RunResult {
  code: number | null;
  output: string;
  timedOut: boolean;
}

/** Runs a command to completion (or kills it at the timeout), capturing stdout and stderr. */
export function run(
  command: string,
  args: string[],
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; stream?: boolean } = { timeoutMs: 60_000 },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: opts.env ?? process.env });
    let output = "";
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (opts.stream) process.stdout.write(chunk);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.on("error", (err) => {
      output += String(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, output, timedOut });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface PortForward {
  port: number;
  stop(): void;
}

/** `kubectl port-forward` in the background; resolves once kubectl says it is forwarding. */
async function portForward(namespace: string, target: string, remotePort: number): Promise<PortForward> {
  const port = await freePort();
  const child = spawn(
    "kubectl",
    ["--context", CONTEXT, "-n", namespace, "port-forward", target, `${port}:${remotePort}`],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`port-forward ${namespace}/${target}: not ready after 30s: ${output.trim()}`));
    }, 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Forwarding from")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward ${namespace}/${target} exited (${code}): ${output.trim()}`));
    });
  });
  return { port, stop };
}

async function withPortForward<T>(
  namespace: string,
  target: string,
  remotePort: number,
  body: (port: number) => Promise<T>,
): Promise<T> {
  const forward = await portForward(namespace, target, remotePort);
  try {
    return await body(forward.port);
  } finally {
    forward.stop();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Checks

type Verdict = { pass: boolean; detail: string };

function kubectlExec(namespace: string, target: string, container: string | undefined, command: string[]) {
  return run(
    "kubectl",
    [
      "--context",
      CONTEXT,
      "-n",
      namespace,
      "exec",
      target,
      ...(container ? ["-c", container] : []),
      "--",
      ...command,
    ],
    { timeoutMs: 60_000 },
  );
}

async function checkAToB(facts: StackFacts): Promise<Verdict> {
  const r = await kubectlExec("pingpong-a", "deploy/pingpong-v1", "pingpong", [
    "/nodejs/bin/node",
    "/app/dist/probe.js",
    "--url",
    facts.pingUrls.b,
    "--expect",
    "success",
    "--expect-caller",
    CALLER_A,
  ]);
  return judgeExit(r.code, 0, r.output);
}

async function checkCToA(facts: StackFacts): Promise<Verdict> {
  const r = await kubectlExec("pingpong-c", "deploy/toolbox", undefined, [
    "curl",
    "-sS",
    "-o",
    "/dev/null",
    facts.pingUrls.a,
  ]);
  return judgeExit(r.code, 56, r.output);
}

interface HttpsOutcome {
  status?: number;
  body?: string;
  errorCode?: string;
  error?: string;
}

/** GET https://host:port/path, connecting to 127.0.0.1 (like curl --resolve). */
function httpsGet(
  host: string,
  port: number,
  urlPath: string,
  ca: string | undefined,
): Promise<HttpsOutcome> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path: urlPath,
        method: "GET",
        servername: host,
        headers: { host: `${host}:${port}` },
        ca,
        rejectUnauthorized: true,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ errorCode: err.code, error: err.message }));
    req.end();
  });
}

async function checkHttps(facts: StackFacts): Promise<Verdict> {
  const { host, path: urlPath } = firstIngress(facts.ingressUrls);
  return withPortForward(GATEWAY.namespace, GATEWAY.service, GATEWAY.port, async (port) => {
    // The gateway may still be settling after the update: retry the trusted request for a while.
    let trusted: HttpsOutcome = {};
    for (let attempt = 0; attempt < 10; attempt++) {
      trusted = await httpsGet(host, port, urlPath, facts.caCertificatePem);
      if (trusted.status === 200) break;
      await sleep(3_000);
    }
    if (trusted.status !== 200 || trusted.body?.trim() !== "pong") {
      const got = trusted.error ?? `${trusted.status} ${JSON.stringify(trusted.body ?? "")}`;
      return { pass: false, detail: `with the stack CA: expected 200 pong, got ${got}` };
    }
    const untrusted = await httpsGet(host, port, urlPath, undefined);
    if (untrusted.errorCode === undefined || !UNTRUSTED_CERT_CODES.has(untrusted.errorCode)) {
      const got = untrusted.errorCode ?? untrusted.error ?? `HTTP ${untrusted.status}`;
      return {
        pass: false,
        detail: `without the stack CA: expected a certificate verification error, got ${got}`,
      };
    }
    return {
      pass: true,
      detail: `https://${host}${urlPath}: 200 pong with the stack CA; ${untrusted.errorCode} without it`,
    };
  });
}

function httpGetJson(port: number, urlPath: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`HTTP ${res.statusCode}: not JSON: ${body.slice(0, 200)}`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

async function checkMetrics(deadlineMs: number): Promise<Verdict> {
  return withPortForward(PROMETHEUS.namespace, PROMETHEUS.service, PROMETHEUS.port, async (port) => {
    const query = `/api/v1/query?query=${encodeURIComponent(METRICS_QUERY)}`;
    const until = Date.now() + deadlineMs;
    let last = "no answer yet";
    while (Date.now() < until) {
      try {
        const value = prometheusValue(await httpGetJson(port, query));
        if (value !== null && value > 0) return { pass: true, detail: `${METRICS_QUERY} = ${value}` };
        last = value === null ? "empty result" : `value ${value}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(5_000);
    }
    return { pass: false, detail: `${METRICS_QUERY} not > 0 after ${deadlineMs / 1000}s (${last})` };
  });
}

async function runCheck(id: CheckId, timeoutMs: number, body: () => Promise<Verdict>): Promise<CheckResult> {
  const name = titleOf(id);
  let result: CheckResult;
  try {
    const verdict = await withTimeout(body(), timeoutMs, name);
    result = { name, status: verdict.pass ? "pass" : "fail", detail: verdict.detail };
  } catch (err) {
    result = { name, status: "fail", detail: (err as Error).message };
  }
  log(formatResult(result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// The suite

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
  let stack: Awaited<ReturnType<typeof LocalWorkspace.createOrSelectStack>> | undefined;
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
    const facts = parseOutputs(up.outputs);

    results.push(
      await runCheck("verification", 10_000, () =>
        Promise.resolve(judgeVerification(facts.verificationResults)),
      ),
    );
    results.push(await runCheck("a-to-b", 90_000, () => checkAToB(facts)));
    results.push(await runCheck("c-to-a", 90_000, () => checkCToA(facts)));
    results.push(await runCheck("https", 120_000, () => checkHttps(facts)));
    results.push(await runCheck("metrics", 4 * 60_000, () => checkMetrics(3 * 60_000)));
  } catch (err) {
    log(`e2e: error: ${(err as Error).message}`);
  } finally {
    for (const r of notRunResults(results, "not run: the deployment did not complete")) {
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

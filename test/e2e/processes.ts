/**
 * Processes for the end-to-end suite (e2e.ts): commands run to completion, `kubectl` against the
 * kind cluster, `kubectl port-forward` in the background, and timeouts.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { readyPod } from "./harness-addons";

export const ROOT = path.resolve(__dirname, "../..");
export const CONTEXT = "kind-pingpong";

export interface RunResult {
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
  /** stdout alone, for output to parse. */
  stdout: string;
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
    let stdout = "";
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (opts.stream) process.stdout.write(chunk);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      collect(chunk);
    });
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
      resolve({ code: timedOut ? null : code, output, stdout, timedOut });
    });
  });
}

/** `kubectl --context kind-pingpong ...`. */
export function kubectl(args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return run("kubectl", ["--context", CONTEXT, ...args], { timeoutMs });
}

/** `kubectl exec` in `target` (a pod, or deploy/NAME); its exit code is the remote command's. */
export function kubectlExec(
  namespace: string,
  target: string,
  container: string | undefined,
  command: string[],
  timeoutMs = 60_000,
): Promise<RunResult> {
  return kubectl(
    ["-n", namespace, "exec", target, ...(container ? ["-c", container] : []), "--", ...command],
    timeoutMs,
  );
}

/**
 * A ready, not terminating pod matching `selector` in `namespace`, as `pod/NAME` for kubectl exec
 * (which takes pods and Deployments, not Argo Rollouts). Throws, saying what it found, when none is.
 */
export async function readyPodIn(namespace: string, selector: string): Promise<string> {
  const r = await kubectl(["-n", namespace, "get", "pods", "-l", selector, "-o", "json"]);
  if (r.code !== 0) {
    throw new Error(`kubectl get pods -l ${selector} in ${namespace}: exit ${r.code}: ${r.output.trim()}`);
  }
  let list: unknown;
  try {
    list = JSON.parse(r.stdout);
  } catch {
    throw new Error(`kubectl get pods -l ${selector} in ${namespace}: not JSON: ${r.stdout.slice(0, 200)}`);
  }
  const found = readyPod(list);
  if (found.pod === undefined) throw new Error(`${namespace}, ${selector}: ${found.detail}`);
  return `pod/${found.pod}`;
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

export async function withPortForward<T>(
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

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${Math.round(ms / 1000)}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

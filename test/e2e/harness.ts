/**
 * The pure parts of the end-to-end suite (test/e2e/e2e.ts): prerequisites, parsing of the stack
 * outputs, verdicts and the report lines (those of the add-on checks: harness-addons.ts). Nothing
 * here touches the network, the file system or a child process, so test/program/e2e-harness.test.ts
 * runs it under jest.
 */
export * from "./outputs";

/** Exit codes of `npm run test:e2e`. */
export const EXIT = { passed: 0, failed: 1, notRun: 2 } as const;

export interface Prerequisite {
  /** What is missing, as the report names it. */
  name: string;
  /** What to install (or start) to get it. */
  install: string;
}

/** The tools the suite runs, in the order they are checked (same as stacks/run.sh). */
export const TOOLS: readonly Prerequisite[] = [
  { name: "pulumi", install: "Pulumi CLI 3.x: https://www.pulumi.com/docs/install/" },
  { name: "docker", install: "Docker with BuildKit: https://docs.docker.com/engine/install/" },
  {
    name: "kind",
    install:
      "kind, the release stacks/kind/cluster.yaml names (kind-release) or later: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
  },
  { name: "kubectl", install: "kubectl: https://kubernetes.io/docs/tasks/tools/" },
];

/** Reported when the docker CLI is there but `docker info` gets no answer from the engine. */
export const DOCKER_DAEMON: Prerequisite = {
  name: "docker daemon",
  install: "a running Docker engine that `docker info` reaches (start Docker, or set DOCKER_HOST)",
};

/**
 * What is missing. `onPath` says whether a command is on PATH; `daemonAnswers` runs `docker info`
 * and is only called when the docker CLI itself was found.
 */
export function missingPrerequisites(
  onPath: (command: string) => boolean,
  daemonAnswers: () => boolean,
): Prerequisite[] {
  const missing = TOOLS.filter((tool) => !onPath(tool.name));
  if (!missing.some((tool) => tool.name === "docker") && !daemonAnswers()) missing.push(DOCKER_DAEMON);
  return missing;
}

/** One line per missing prerequisite, then the final verdict line; with the exit code to use. */
export function missingReport(missing: readonly Prerequisite[]): { lines: string[]; exitCode: number } {
  if (missing.length === 0) throw new Error("missingReport: nothing is missing");
  return {
    lines: [
      ...missing.map((p) => `missing prerequisite: ${p.name} (install ${p.install})`),
      `e2e: not run (missing: ${missing.map((p) => p.name).join(", ")})`,
    ],
    exitCode: EXIT.notRun,
  };
}

/** Finds a command on a PATH-like string, given a predicate saying whether a file is executable. */
export function onPathLookup(
  pathVariable: string | undefined,
  isExecutable: (file: string) => boolean,
  separator = ":",
): (command: string) => boolean {
  const dirs = (pathVariable ?? "").split(separator).filter((d) => d !== "");
  return (command) => dirs.some((dir) => isExecutable(`${dir.replace(/\/+$/, "")}/${command}`));
}

// ---------------------------------------------------------------------------------------------
// Checks and the report

export type CheckStatus = "pass" | "fail" | "not-run";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** The checks of the suite, in order; every one of them appears in the report, run or not. */
export const CHECKS = [
  { id: "verification", title: "(a) stack output verificationResults: every verification Job passed" },
  { id: "a-to-b", title: "(b) pingpong-a -> pingpong-b succeeds and names pingpong-a's SPIFFE identity" },
  { id: "c-to-a", title: "(c) pingpong-c (no sidecar) -> pingpong-a is refused (curl exit 56)" },
  { id: "https", title: "(d) HTTPS through the ingress gateway verifies with the stack's CA only" },
  { id: "metrics", title: "(e) pingpong_pings_total{result=success} arrives in Prometheus" },
  {
    id: "traces",
    title: "(f) Jaeger lists pingpong services; a trace has spans from both instances' sidecars",
  },
  { id: "kiali", title: "(g) Kiali answers /kiali/api/status as running and lists pingpong-a's namespace" },
  { id: "egress", title: "(h) pingpong-a reaches the first egress host over HTTPS (probe --expect reached)" },
  { id: "rollout", title: "(i) the Argo Rollout pingpong in pingpong-b's namespace is Healthy" },
  {
    id: "rate-limit",
    title: "(j) a burst pingpong-a -> pingpong-b meets HTTP 429 (local rate limit), no other error",
  },
] as const;

export type CheckId = (typeof CHECKS)[number]["id"];

export const titleOf = (id: CheckId): string => CHECKS.find((c) => c.id === id)?.title ?? id;

export function formatResult(result: CheckResult): string {
  const tag = result.status === "pass" ? "PASS" : result.status === "fail" ? "FAIL" : "NOT RUN";
  return `${tag} ${result.name}${result.detail ? `: ${result.detail}` : ""}`;
}

/**
 * The final line. A check that did not run counts as failed (never as passed), and so does an
 * expected check missing from `results`.
 */
export function summaryLine(results: readonly CheckResult[], expected = results.length): string {
  const passed = results.filter((r) => r.status === "pass").length;
  const notRun =
    results.filter((r) => r.status === "not-run").length + Math.max(0, expected - results.length);
  const failed = Math.max(expected, results.length) - passed;
  return `e2e: ${passed} passed, ${failed} failed${notRun > 0 ? ` (${notRun} not run)` : ""}`;
}

/** 0 only when at least one check ran, all expected checks are there and every one passed. */
export function exitCodeFor(results: readonly CheckResult[], expected = results.length): number {
  const allPassed =
    results.length > 0 && results.length >= expected && results.every((r) => r.status === "pass");
  return allPassed ? EXIT.passed : EXIT.failed;
}

/** Every check of CHECKS that has no result yet, marked not run with the reason. */
export function notRunResults(done: readonly CheckResult[], reason: string): CheckResult[] {
  const names = new Set(done.map((r) => r.name));
  return CHECKS.map((c) => c.title)
    .filter((title) => !names.has(title))
    .map((title) => ({ name: title, status: "not-run" as const, detail: reason }));
}

// ---------------------------------------------------------------------------------------------
// Verdicts

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Node's codes for a server certificate that does not chain to a trusted root. */
export const UNTRUSTED_CERT_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
]);

/** The sum of the samples of a Prometheus instant-query answer; null when it has none. */
export function prometheusValue(body: unknown): number | null {
  if (!isRecord(body) || body.status !== "success" || !isRecord(body.data)) return null;
  const result = body.data.result;
  if (!Array.isArray(result) || result.length === 0) return null;
  let sum = 0;
  for (const sample of result) {
    if (!isRecord(sample) || !Array.isArray(sample.value) || sample.value.length !== 2) return null;
    const n = Number(sample.value[1]);
    if (!Number.isFinite(n)) return null;
    sum += n;
  }
  return sum;
}

/** `kubectl exec` reports the remote command's exit code as its own. */
export function judgeExit(
  code: number | null,
  expected: number,
  output: string,
): { pass: boolean; detail: string } {
  const tail = output.trim().split("\n").slice(-3).join(" | ");
  if (code === expected) return { pass: true, detail: `exit ${code}${tail ? ` (${tail})` : ""}` };
  return {
    pass: false,
    detail: `expected exit ${expected}, got ${code === null ? "a timeout or signal" : `exit ${code}`}${
      tail ? ` (${tail})` : ""
    }`,
  };
}

import { spawn } from "node:child_process";
import { parseSummary, renderStatusPage, SummaryError } from "../../stacks/status-page";
import { runProgram, type ProgramRun } from "../support/program";
import { CANARY_VARIANT } from "../support/variants";
import { PROJECT_ROOT, stackConfig } from "../support/stack-files";

const ENVS = ["dev", "prod"] as const;
type Env = (typeof ENVS)[number];
const runs = {} as Record<Env, ProgramRun>;
let canaryRun: ProgramRun;

beforeAll(async () => {
  for (const env of ENVS) runs[env] = await runProgram(env, stackConfig(env));
  // The one whole-program variant with a canary (v1/v2 at 75/25), shared with the traffic tests.
  const { stack, config } = CANARY_VARIANT;
  canaryRun = await runProgram(stack, { ...stackConfig(stack), ...config });
}, 60_000);

type Obj = Record<string, unknown>;
const summaryOf = (run: ProgramRun): Obj => run.outputs.summary as Obj;
/** The outputs as `pulumi stack output --json` prints them: plain JSON. */
const asJson = (run: ProgramRun): unknown => JSON.parse(JSON.stringify(run.outputs));

/** Every key path of a JSON value with the type at it: `image.digest: string`. */
function shape(value: unknown, path = ""): string[] {
  if (value === null) return [`${path}: null`];
  if (Array.isArray(value)) return [`${path}: array`, ...value.flatMap((v) => shape(v, `${path}[]`))];
  if (typeof value === "object") {
    return Object.entries(value as Obj)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([k, v]) => shape(v, path ? `${path}.${k}` : k));
  }
  return [`${path}: ${typeof value}`];
}

const SHAPE = (mtls: string[], ingressUrls: number): string[] =>
  [
    "canary: null",
    "certificate.expiry: string",
    "dashboardUid: string",
    "endpoints.ingress: array",
    ...Array.from({ length: ingressUrls }, () => "endpoints.ingress[]: string"),
    "endpoints.internal.a: string",
    "endpoints.internal.b: string",
    "environment: string",
    "image.digest: string",
    "image.ref: string",
    "istioVersion: string",
    ...mtls.map((k) => `mtls.${k}: string`),
    "namespaces.a: string",
    "namespaces.b: string",
    "namespaces.c: string",
  ].sort((a, b) => a.localeCompare(b));

/** Runs the status-page CLI with `input` on stdin. */
function cli(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "stacks/status-page.ts"],
      {
        cwd: PROJECT_ROOT,
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, TS_NODE_PROJECT: "tsconfig.json" },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe.each(ENVS)("the summary output of %s", (env) => {
  const run = () => runs[env];
  const s = () => summaryOf(run());

  test("has exactly the contract's keys, nested keys and types", () => {
    const mtls = env === "prod" ? ["a", "b", "mesh"] : ["a", "b"];
    expect(shape(s())).toEqual(SHAPE(mtls, 1));
    expect(Object.keys(s()).sort()).toEqual(
      [
        "canary",
        "certificate",
        "dashboardUid",
        "endpoints",
        "environment",
        "image",
        "istioVersion",
        "mtls",
        "namespaces",
      ].sort(),
    );
  });

  test("values are derived from the other outputs", () => {
    const { outputs } = run();
    const summary = s() as {
      environment: string;
      endpoints: { ingress: string[]; internal: Obj };
      namespaces: Obj;
      image: { ref: string; digest: string };
      istioVersion: string;
      certificate: { expiry: string };
      mtls: Obj;
      canary: unknown;
      dashboardUid: string;
    };
    expect(summary.environment).toBe(outputs.environment);
    expect(summary.environment).toBe(env);
    expect(summary.endpoints.internal).toEqual(outputs.pingUrls);
    expect(summary.endpoints.ingress).toEqual((outputs.ingress as { urls: string[] }).urls);
    expect(summary.namespaces).toEqual(outputs.namespaces);
    expect(summary.image.ref).toBe(outputs.imageRef);
    const [, digest] = String(outputs.imageRef).split("@");
    expect(summary.image.digest).toBe(digest);
    expect(summary.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(summary.istioVersion).toBe(outputs.istioVersion);
    expect(summary.certificate.expiry).toBe(outputs.certificateExpiry);
    expect(summary.certificate.expiry).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
    );
    expect(Number.isNaN(Date.parse(summary.certificate.expiry))).toBe(false);
    expect(summary.mtls).toEqual(outputs.mtlsModes);
    expect(summary.dashboardUid).toBe(outputs.dashboardUid);
    expect(summary.canary).toBeNull();
    expect(outputs.canary).toBeNull();
  });

  test("parseSummary accepts the real outputs, unchanged", () => {
    expect(parseSummary(asJson(run()))).toEqual(s());
  });

  test("renderStatusPage renders the real outputs", () => {
    const html = renderStatusPage(asJson(run()), new Date("2026-01-15T00:00:00Z"));
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain(`pingpong status: ${env}`);
    const summary = s() as { image: { digest: string }; dashboardUid: string; istioVersion: string };
    expect(html).toContain(summary.image.digest);
    expect(html).toContain(summary.dashboardUid);
    expect(html).toContain(summary.istioVersion);
  });
});

describe("the summary with a canary", () => {
  test("canary holds the v1/v2 weights of the canary output", () => {
    const summary = summaryOf(canaryRun);
    expect(summary.canary).toEqual({ v1: 75, v2: 25 });
    expect(summary.canary).toEqual((canaryRun.outputs.canary as { weights: unknown }).weights);
    expect(shape(summary)).toEqual(
      SHAPE(["a", "b", "mesh"], 1)
        .filter((x) => x !== "canary: null")
        .concat(["canary.v1: number", "canary.v2: number"])
        .sort((a, b) => a.localeCompare(b)),
    );
    expect(parseSummary(asJson(canaryRun)).canary).toEqual({ v1: 75, v2: 25 });
    expect(renderStatusPage(asJson(canaryRun), new Date("2026-01-15T00:00:00Z"))).toMatch(/75/);
  });

  test("parseSummary refuses a summary that broke the contract (the consumer checks, it does not guess)", () => {
    const broken = asJson(runs.dev) as { summary: { image: Obj } };
    delete broken.summary.image.digest;
    expect(() => parseSummary(broken)).toThrow(SummaryError);
    expect(() => parseSummary(broken)).toThrow(/summary\.image\.digest/);
  });
});

describe("the status-page CLI", () => {
  test("the real dev outputs on stdin: exit 0, HTML on stdout", async () => {
    const { code, stdout, stderr } = await cli(JSON.stringify(runs.dev.outputs));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(stdout).toContain("pingpong status: dev");
    expect(stdout).toContain("</html>");
  }, 30_000);

  test("invalid JSON: exit 1, the message on stderr, nothing on stdout", async () => {
    const { code, stdout, stderr } = await cli("{ not json");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^status-page: stdin is not JSON/);
  }, 30_000);

  test("outputs without a valid summary: exit 1 naming the field", async () => {
    const outputs = JSON.parse(JSON.stringify(runs.prod.outputs)) as { summary: Obj };
    outputs.summary.canary = "none";
    const { code, stdout, stderr } = await cli(JSON.stringify(outputs));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("summary.canary");
  }, 30_000);
});

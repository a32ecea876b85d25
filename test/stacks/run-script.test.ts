import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stackConfigValues } from "../support/stack-files";

const root = path.resolve(__dirname, "../..");

/** The kind release stacks/kind/cluster.yaml names as the one that built its node image. */
const kindRelease = /^# kind-release: v(\d+)\.(\d+)\.(\d+)$/m
  .exec(readFileSync(path.join(root, "stacks/kind/cluster.yaml"), "utf8"))
  ?.slice(1)
  .map(Number) ?? [NaN, NaN, NaN];
const required = kindRelease.join(".");

/** What a fake tool does after logging its arguments: bash run with the tool's arguments. */
type Fakes = Record<string, string>;

/**
 * Healthy tools: Pulumi 3 with nobody logged in, a Docker daemon that answers with a Linux engine,
 * kind at the release cluster.yaml names, kubectl knowing the kind context.
 */
const HEALTHY: Fakes = {
  pulumi: 'case "$1" in whoami) exit 1 ;; version) echo v3.150.0 ;; esac',
  docker: '[ "$1" != info ] || echo "27.5.1 linux"',
  kind: `[ "$1" != version ] || echo "kind v${required} go1.24.6 linux/amd64"`,
  kubectl: '[ "$1 $2" != "config get-contexts" ] || echo kind-pingpong',
};

/** A stopped Docker daemon, as the docker client reports it. */
const DAEMON_DOWN =
  "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";
const STOPPED_DOCKER = `[ "$1" != info ] || { echo "${DAEMON_DOWN}" >&2; exit 1; }`;
const kindAt = (version: string) => `[ "$1" != version ] || echo "kind v${version} go1.24.6 linux/amd64"`;

/** Calls that only ask; anything else (docker run, kind create, pulumi stack select ...) creates something. */
const PROBE =
  /^(pulumi version|pulumi whoami|pulumi stack ls|docker info|kind version|kubectl config get-contexts)( |$)/;

/**
 * A copy of the scripts in a scratch project, and a PATH holding only bash, coreutils and the
 * fake tools a case provides, so the machine's own tools never leak in.
 */
function sandbox(
  tools: string[],
  fakes: Fakes = {},
): {
  dir: string;
  bin: string;
  calls: () => string[];
  run: (args: string[], env?: Record<string, string>) => ReturnType<typeof spawnSync>;
  runScript: (script: string) => ReturnType<typeof spawnSync>;
} {
  const dir = mkdtempSync(path.join(tmpdir(), "pingpong-run-"));
  mkdirSync(path.join(dir, "stacks/kind"), { recursive: true });
  cpSync(path.join(root, "stacks/run.sh"), path.join(dir, "stacks/run.sh"));
  cpSync(path.join(root, "stacks/kind"), path.join(dir, "stacks/kind"), { recursive: true });
  cpSync(path.join(root, "policy/config"), path.join(dir, "policy/config"), { recursive: true });
  for (const file of readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
    cpSync(path.join(root, file), path.join(dir, file));
  }
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  for (const cmd of ["bash", "dirname", "mkdir", "cat", "grep", "printf", "env", "timeout"]) {
    const found = spawnSync("bash", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim();
    if (found.startsWith("/")) symlinkSync(found, path.join(bin, cmd));
  }
  const log = path.join(dir, "calls.log");
  for (const tool of tools) {
    const script = `#!/usr/bin/env bash\necho "${tool} $*" >> "${log}"\n${fakes[tool] ?? HEALTHY[tool] ?? ""}\nexit 0\n`;
    writeFileSync(path.join(bin, tool), script);
    chmodSync(path.join(bin, tool), 0o755);
  }
  const env = (extra: Record<string, string> = {}) => ({ PATH: bin, HOME: dir, ...extra });
  const run = (args: string[], extra: Record<string, string> = {}) =>
    spawnSync(path.join(bin, "bash"), [path.join(dir, "stacks/run.sh"), ...args], {
      cwd: dir,
      encoding: "utf8",
      env: env(extra),
    });
  const runScript = (script: string) =>
    spawnSync(path.join(bin, "bash"), [path.join(dir, script)], { cwd: dir, encoding: "utf8", env: env() });
  const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  return { dir, bin, calls, run, runScript };
}

describe("stacks/run.sh (npm run up | preview | down)", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** What every refusal shares: exit 3, a heading, and nothing created or started. */
  function expectRefused(box: ReturnType<typeof sandbox>, result: ReturnType<typeof spawnSync>): void {
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("nothing was created");
    expect(existsSync(path.join(box.dir, ".pulumi"))).toBe(false);
    expect(box.calls().filter((call) => !PROBE.test(call))).toEqual([]);
  }

  test.each([
    [["pulumi", "docker", "kind"], ["kubectl"]],
    [["docker", "kind", "kubectl"], ["pulumi"]],
    [[], ["pulumi", "docker", "kind", "kubectl"]],
  ])("with only %j on PATH, up stops before creating anything and names %j", (present, missing) => {
    const box = sandbox(present);
    dirs.push(box.dir);
    const result = box.run(["up"]);
    expectRefused(box, result);
    for (const tool of missing) expect(result.stderr).toMatch(new RegExp(`- ${tool}: install `));
    for (const tool of present) expect(result.stderr).not.toMatch(new RegExp(`- ${tool}:`));
  });

  test("with the Docker daemon stopped, up names the daemon and creates no .pulumi/, registry or cluster", () => {
    const box = sandbox(["pulumi", "docker", "kind", "kubectl"], { docker: STOPPED_DOCKER });
    dirs.push(box.dir);
    const result = box.run(["up", "--yes"]);
    expectRefused(box, result);
    expect(result.stderr).toContain(
      `- docker: Docker is installed but its daemon is not running (docker info: ${DAEMON_DOWN}); start Docker`,
    );
    expect(result.stderr).not.toMatch(/- (pulumi|kind|kubectl):/);
  });

  test("stacks/kind/up.sh run alone checks the same way before starting the registry", () => {
    const box = sandbox(["docker", "kind", "kubectl"], { docker: STOPPED_DOCKER });
    dirs.push(box.dir);
    const result = box.runScript("stacks/kind/up.sh");
    expectRefused(box, result);
    expect(result.stderr).toContain("stacks/kind/up.sh: the dev cluster cannot be created");
    expect(result.stderr).toContain("- docker: Docker is installed but its daemon is not running");
  });

  const [major, minor] = kindRelease;
  test.each([
    [`${major}.${minor - 1}.9`, false],
    ["0.24.0", false],
    [required, true],
    [`${major}.${minor + 1}.0`, true],
    [`${major + 1}.0.0-alpha+0a1b2c3`, true],
  ])("kind %s, against the release cluster.yaml names: accepted %s", (version, accepted) => {
    for (const script of ["stacks/run.sh", "stacks/kind/up.sh"]) {
      const box = sandbox(["pulumi", "docker", "kind", "kubectl"], { kind: kindAt(version) });
      dirs.push(box.dir);
      const result = script === "stacks/run.sh" ? box.run(["preview"]) : box.runScript(script);
      if (accepted) {
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
      } else {
        expectRefused(box, result);
        expect(result.stderr).toContain(
          `- kind: kind ${version} is older than ${required}, the release that built the dev cluster's node image (kindest/node:v`,
        );
        expect(result.stderr).toContain(`upgrade kind to ${required} or later`);
      }
    }
  });

  test("lists every problem at once: stopped daemon, old kind, Pulumi 2, no kubectl", () => {
    const box = sandbox(["pulumi", "docker", "kind"], {
      docker: STOPPED_DOCKER,
      kind: kindAt("0.24.0"),
      pulumi: '[ "$1" != version ] || echo v2.25.2',
    });
    dirs.push(box.dir);
    const result = box.run(["up"]);
    expectRefused(box, result);
    const listed = String(result.stderr)
      .split("\n")
      .filter((l) => l.startsWith("  - "));
    expect(listed).toEqual([
      expect.stringMatching(/^ {2}- pulumi: Pulumi CLI 2\.25\.2 found, 3\.x needed: https:/),
      expect.stringMatching(/^ {2}- docker: Docker is installed but its daemon is not running/),
      expect.stringMatching(
        new RegExp(`^ {2}- kind: kind 0\\.24\\.0 is older than ${required.replace(/\./g, "\\.")}`),
      ),
      expect.stringMatching(/^ {2}- kubectl: install kubectl: https:/),
    ]);
  });

  test("an engine that cannot build with BuildKit (Windows containers) is named", () => {
    const box = sandbox(["pulumi", "docker", "kind", "kubectl"], {
      docker: '[ "$1" != info ] || echo "27.5.1 windows"',
    });
    dirs.push(box.dir);
    const result = box.run(["up"]);
    expectRefused(box, result);
    expect(result.stderr).toContain("- docker: the engine (Docker 27.5.1, windows containers) cannot build");
  });

  test("another stack whose kube context is not in the kubeconfig is refused, naming the context", () => {
    const context = String(stackConfigValues("prod")["pingpong:kubeContext"]);
    const box = sandbox(["pulumi", "kubectl"]);
    dirs.push(box.dir);
    const refused = box.run(["preview"], { PINGPONG_STACK: "prod", PULUMI_BACKEND_URL: "s3://state" });
    expectRefused(box, refused);
    expect(refused.stderr).toContain(
      `- kube context: Pulumi.prod.yaml deploys to context ${context}, which your kubeconfig`,
    );

    const known = sandbox(["pulumi", "kubectl"], {
      kubectl: `[ "$1 $2" != "config get-contexts" ] || printf '%s\\n' kind-pingpong ${context}`,
    });
    dirs.push(known.dir);
    const accepted = known.run(["preview"], { PINGPONG_STACK: "prod", PULUMI_BACKEND_URL: "s3://state" });
    expect(accepted.stderr).toBe("");
    expect(accepted.status).toBe(0);
    expect(known.calls().pop()).toMatch(/^pulumi preview --diff --refresh --stack prod /);
  });

  test.each([
    ["prod", '""', ["pulumi", "kubectl"]],
    ["prod", "''", ["pulumi"]],
    ["staging", "", ["pulumi", "kubectl"]],
    ["dev", '""', ["pulumi", "docker", "kind", "kubectl"]],
  ])(
    "a Pulumi.%s.yaml that sets pingpong:kubeContext to %s is refused in one line (tools: %j)",
    (stack, value, tools) => {
      const box = sandbox(tools);
      dirs.push(box.dir);
      writeFileSync(
        path.join(box.dir, `Pulumi.${stack}.yaml`),
        `config:\n  pingpong:registry: ghcr.io/acme\n  pingpong:kubeContext: ${value}\n`,
      );
      const result = box.run(["preview"], { PINGPONG_STACK: stack, PULUMI_BACKEND_URL: "s3://state" });
      expectRefused(box, result);
      const listed = String(result.stderr)
        .split("\n")
        .filter((l) => l.startsWith("  - "));
      expect(listed).toEqual([
        `  - kube context: Pulumi.${stack}.yaml sets pingpong:kubeContext to an empty string, which would deploy to whatever context is current; name the ${stack} cluster's context (kubectl config get-contexts -o name)`,
      ]);
    },
  );

  test("a mistyped PINGPONG_STACK is refused in one line listing the known stacks; no stack is created", () => {
    const box = sandbox(["pulumi"]);
    dirs.push(box.dir);
    const result = box.run(["preview"], { PINGPONG_STACK: "prdo", PULUMI_BACKEND_URL: "s3://state" });
    expectRefused(box, result);
    const listed = String(result.stderr)
      .split("\n")
      .filter((l) => l.startsWith("  - "));
    expect(listed).toEqual([
      "  - stack: PINGPONG_STACK=prdo has no Pulumi.prdo.yaml and is not a stack of the backend; known stacks: dev, prod, staging (PINGPONG_CREATE_STACK=1 creates prdo)",
    ]);
    expect(box.calls()).toContain("pulumi stack ls --json");
  });

  test("with the local backend and no .pulumi/ yet, a mistyped stack is refused without creating .pulumi/", () => {
    const box = sandbox(["pulumi"]);
    dirs.push(box.dir);
    const result = box.run(["preview"], { PINGPONG_STACK: "stagin" });
    expectRefused(box, result);
    expect(result.stderr).toContain("  - stack: PINGPONG_STACK=stagin has no Pulumi.stagin.yaml");
  });

  test("a stack the backend has, without a stack file, is used as it is", () => {
    const box = sandbox(["pulumi"], {
      pulumi: `${HEALTHY.pulumi}\ncase "$1 $2" in "stack ls") printf '[\\n  {\\n    "name": "acme/pingpong/feature-x",\\n    "current": false\\n  }\\n]\\n' ;; esac`,
    });
    dirs.push(box.dir);
    const result = box.run(["preview"], { PINGPONG_STACK: "feature-x", PULUMI_BACKEND_URL: "s3://state" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(box.calls().pop()).toMatch(/^pulumi preview --diff --refresh --stack feature-x /);
  });

  test("PINGPONG_CREATE_STACK=1 creates a stack that has no stack file, as asked", () => {
    const box = sandbox(["pulumi"]);
    dirs.push(box.dir);
    const result = box.run(["preview"], {
      PINGPONG_STACK: "prod-eu",
      PINGPONG_CREATE_STACK: "1",
      PULUMI_BACKEND_URL: "s3://state",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const calls = box.calls();
    expect(calls).toContain("pulumi stack select --create prod-eu");
    expect(calls).not.toContain("pulumi stack ls --json");
    expect(calls.pop()).toMatch(/^pulumi preview --diff --refresh --stack prod-eu /);
  });

  test("the header comment documents PINGPONG_CREATE_STACK", () => {
    const header = readFileSync(path.join(root, "stacks/run.sh"), "utf8").split("\nset -euo pipefail")[0];
    expect(header).toContain("PINGPONG_CREATE_STACK=1");
  });

  test("rejects an unknown action with usage and exit 2", () => {
    const box = sandbox([]);
    dirs.push(box.dir);
    const result = box.run(["deploy"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: stacks\/run.sh up\|preview\|down/);
  });

  test("up on dev: local backend, dev passphrase, cluster bootstrap, then pulumi up on dev", () => {
    const box = sandbox(["pulumi", "docker", "kind", "kubectl"]);
    dirs.push(box.dir);
    const result = box.run(["up", "--yes"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`keeping state in ${box.dir}/.pulumi`);
    expect(result.stdout).toContain("dev-only passphrase");
    expect(existsSync(path.join(box.dir, ".pulumi"))).toBe(true);
    const calls = readFileSync(path.join(box.dir, "calls.log"), "utf8");
    const lines = calls.trim().split("\n");
    // The registry and the cluster are handled before Pulumi selects the stack and runs up.
    expect(
      lines.findIndex((l) => l.startsWith("kind create cluster --name pingpong")),
    ).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf("pulumi stack select --create dev")).toBeGreaterThan(
      lines.findIndex((l) => l.startsWith("kind create")),
    );
    expect(lines[lines.length - 1]).toBe(
      "pulumi up --refresh --stack dev --policy-pack policy --policy-pack-config policy/config/dev.json --yes",
    );
  });

  test("preview on another stack needs only pulumi and keeps the caller's backend and passphrase", () => {
    const box = sandbox(["pulumi"]);
    dirs.push(box.dir);
    const result = box.run(["preview"], { PINGPONG_STACK: "prod", PULUMI_BACKEND_URL: "s3://state" });
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain("dev-only passphrase");
    expect(existsSync(path.join(box.dir, ".pulumi"))).toBe(false);
    const calls = readFileSync(path.join(box.dir, "calls.log"), "utf8");
    expect(calls).not.toContain("kind");
    expect(calls.trim().split("\n").pop()).toBe(
      "pulumi preview --diff --refresh --stack prod --policy-pack policy --policy-pack-config policy/config/prod.json",
    );
  });
});

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "../..");

/**
 * A copy of the scripts in a scratch project, and a PATH holding only bash, coreutils and the
 * fake tools a case provides, so the machine's own tools never leak in.
 */
function sandbox(tools: string[]): {
  dir: string;
  bin: string;
  run: (args: string[], env?: Record<string, string>) => ReturnType<typeof spawnSync>;
} {
  const dir = mkdtempSync(path.join(tmpdir(), "pingpong-run-"));
  mkdirSync(path.join(dir, "stacks/kind"), { recursive: true });
  cpSync(path.join(root, "stacks/run.sh"), path.join(dir, "stacks/run.sh"));
  cpSync(path.join(root, "stacks/kind"), path.join(dir, "stacks/kind"), { recursive: true });
  cpSync(path.join(root, "policy/config"), path.join(dir, "policy/config"), { recursive: true });
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  for (const cmd of ["bash", "dirname", "mkdir", "cat", "grep", "printf", "env"]) {
    const found = spawnSync("bash", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim();
    if (found.startsWith("/")) symlinkSync(found, path.join(bin, cmd));
  }
  const log = path.join(dir, "calls.log");
  for (const tool of tools) {
    // Each fake tool records its arguments; `pulumi whoami` fails as when nobody is logged in.
    const script = `#!/usr/bin/env bash\necho "${tool} $*" >> "${log}"\n[ "${tool} $1" = "pulumi whoami" ] && exit 1\nexit 0\n`;
    writeFileSync(path.join(bin, tool), script);
    chmodSync(path.join(bin, tool), 0o755);
  }
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(path.join(bin, "bash"), [path.join(dir, "stacks/run.sh"), ...args], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: bin, HOME: dir, ...env },
    });
  return { dir, bin, run };
}

describe("stacks/run.sh (npm run up | preview | down)", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test.each([
    [["pulumi", "docker", "kind"], ["kubectl"]],
    [["docker", "kind", "kubectl"], ["pulumi"]],
    [[], ["pulumi", "docker", "kind", "kubectl"]],
  ])("with only %j on PATH, up stops before creating anything and names %j", (present, missing) => {
    const box = sandbox(present);
    dirs.push(box.dir);
    const result = box.run(["up"]);
    expect(result.status).toBe(3);
    for (const tool of missing) expect(result.stderr).toMatch(new RegExp(`- ${tool}: install `));
    for (const tool of present) expect(result.stderr).not.toMatch(new RegExp(`- ${tool}:`));
    expect(result.stderr).toContain("nothing was created");
    expect(existsSync(path.join(box.dir, ".pulumi"))).toBe(false);
    expect(existsSync(path.join(box.dir, "calls.log"))).toBe(false);
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
      "pulumi up --stack dev --policy-pack policy --policy-pack-config policy/config/dev.json --yes",
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
      "pulumi preview --diff --stack prod --policy-pack policy --policy-pack-config policy/config/prod.json",
    );
  });
});

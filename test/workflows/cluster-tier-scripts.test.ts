import { spawnSync } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// The cluster tier's entry points refuse, in one line and with exit 2, what they cannot work
// without; the tier itself runs in `npm run test:cluster` (test/cluster/).

const ROOT = path.resolve(__dirname, "../..");

/** A PATH holding only the named commands (links to the machine's own), so `go` can be absent. */
function pathWith(commands: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "pingpong-path-"));
  for (const c of commands) {
    const found = spawnSync("bash", ["-c", `command -v ${c}`], { encoding: "utf8" }).stdout.trim();
    if (found) symlinkSync(found, path.join(dir, c));
  }
  return dir;
}

const BASICS = ["bash", "uname", "dirname", "cat", "id", "mkdir", "sha256sum", "cut", "sed"];

describe.each([
  ["test/cluster/run.sh", "test:cluster"],
  ["test/cluster/tools/build.sh", "tools"],
])("%s", (script, prefix) => {
  test("without Go: one line naming what is missing, exit 2", () => {
    const r = spawnSync("bash", [script], {
      cwd: ROOT,
      env: { PATH: pathWith(BASICS), HOME: tmpdir() },
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${prefix}: .*Go 1\\.26 or newer`));
  });
});

test("the tools build refuses a Go older than 1.26 in one line", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "pingpong-oldgo-"));
  const fake = path.join(dir, "go");
  // A stand-in `go` that reports an old version, as `go env GOVERSION` would.
  writeFileSync(fake, "#!/bin/bash\necho go1.22.5\n", { mode: 0o755 });
  const r = spawnSync("bash", ["test/cluster/tools/build.sh"], {
    cwd: ROOT,
    env: { PATH: `${dir}:${pathWith(BASICS)}`, HOME: tmpdir() },
    encoding: "utf8",
  });
  expect(r.status).toBe(2);
  expect(r.stderr.trim()).toBe(
    "tools: Go 1.26 or newer is needed to build the control plane; found go1.22.5",
  );
});

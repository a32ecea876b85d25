import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { TABLE } from "../../stacks/table";

const read = (file: string) => readFileSync(path.resolve(__dirname, "../..", file), "utf8");
const readme = read("README.md");

describe("README", () => {
  test("the quick start's first two commands are the set-up-and-test command and the main job", () => {
    const quickStart = readme.slice(readme.indexOf("## Quick start"));
    const block = /```sh\n([\s\S]*?)```/.exec(quickStart)?.[1] ?? "";
    const commands = block
      .split("\n")
      .map((l) => l.replace(/#.*/, "").trim())
      .filter(Boolean);
    expect(commands.slice(0, 2)).toEqual(["npm ci && npm test", "npm run up"]);
  });

  test("the configuration section points to the configuration reference", () => {
    const start = readme.indexOf("### Configuration");
    const section = readme.slice(start, readme.indexOf("\n## ", start));
    expect(start).toBeGreaterThanOrEqual(0);
    expect(section).toContain("](docs/configuration.md)");
  });
});

describe("docs/configuration.md", () => {
  test("the configuration reference lists every key of the settings table, once, in its order", () => {
    const reference = read("docs/configuration.md");
    const listed = [...reference.matchAll(/^\| `([A-Za-z0-9]+)` +\|/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(TABLE));
  });
});

describe("the docs' links", () => {
  const files = [
    "README.md",
    "app/README.md",
    ...readdirSync(path.resolve(__dirname, "../../docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  test.each(files)("every relative link in %s leads to a file of the repository", (file) => {
    const links = [...read(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1])
      .filter((l) => !/^[a-z]+:/.test(l));
    const missing = links.filter((l) => !existsSync(path.resolve(__dirname, "../..", path.dirname(file), l)));
    expect(missing).toEqual([]);
  });
});

/**
 * Pulumi commands the docs show on a named stack: each line of a shell block, and each inline code
 * span (which may wrap across lines), that runs `pulumi up` or `pulumi preview` with `-s`/`--stack`.
 */
function stackCommands(text: string): { stack: string; command: string }[] {
  const blocks = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  const prose = text.replace(/```[a-z]*\n[\s\S]*?```/g, "");
  const candidates = [
    ...blocks.flatMap((b) => b.split("\n")).map((l) => l.replace(/^\s*#\s*/, "")),
    ...[...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1]),
  ].map((c) => c.replace(/\s+/g, " ").trim());
  return candidates.flatMap((command) => {
    const m = /^pulumi (?:up|preview)\b.*?(?:-s|--stack)[ =]([a-z0-9-]+)/.exec(command);
    return m ? [{ stack: m[1], command }] : [];
  });
}

describe("Pulumi commands on another stack in the docs", () => {
  const files = [
    "README.md",
    "policy/README.md",
    ...readdirSync(path.resolve(__dirname, "../../docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  // What stacks/run.sh passes: --refresh, --diff on a preview, the pack and the stack's policy
  // config (prod's for a stack without a file of its own).
  const asRunShRunsIt = (stack: string, command: string) => {
    const config = existsSync(path.resolve(__dirname, "../../policy/config", `${stack}.json`))
      ? stack
      : "prod";
    return (
      / --refresh\b/.test(command) &&
      (!command.startsWith("pulumi preview") || / --diff\b/.test(command)) &&
      command.includes(`--policy-pack policy --policy-pack-config policy/config/${config}.json`)
    );
  };

  test("the docs show some, so the check below has something to check", () => {
    const all = files.flatMap((f) => stackCommands(read(f)));
    expect(all.map((c) => c.stack)).toEqual(expect.arrayContaining(["staging", "prod", "prod-eu"]));
  });

  test.each(files)("%s: each applies the policy pack and refreshes, as npm run up/preview do", (file) => {
    const wrong = stackCommands(read(file)).filter(({ stack, command }) => !asRunShRunsIt(stack, command));
    expect(wrong).toEqual([]);
  });

  test("the check refuses a command without the pack, or with another stack's config", () => {
    expect(stackCommands("run `pulumi up -s staging` now")).toEqual([
      { stack: "staging", command: "pulumi up -s staging" },
    ]);
    expect(asRunShRunsIt("staging", "pulumi up -s staging")).toBe(false);
    expect(
      asRunShRunsIt(
        "staging",
        "pulumi up --refresh -s staging --policy-pack policy --policy-pack-config policy/config/dev.json",
      ),
    ).toBe(false);
  });
});

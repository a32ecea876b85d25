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

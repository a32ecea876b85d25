import { readFileSync } from "node:fs";
import path from "node:path";
import { SCHEMA } from "../../stacks/schema";

const readme = readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

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

  test("the configuration reference lists every key of the schema", () => {
    const start = readme.indexOf("### Configuration");
    const reference = readme.slice(start, readme.indexOf("\n## ", start));
    const listed = [...reference.matchAll(/^\| `([A-Za-z0-9]+)` +\|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(SCHEMA).sort());
  });
});

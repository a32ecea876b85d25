import { readFileSync } from "node:fs";
import path from "node:path";
import {
  GENERATE_COMMAND,
  PROJECT_FILE,
  REFERENCE_FILE,
  configurationReference,
  projectConfigBlock,
  withConfigBlock,
} from "../../stacks/reference";

const read = (file: string) => readFileSync(path.resolve(__dirname, "../..", file), "utf8");

/** Fails naming the file, the command that regenerates it and the first line that differs. */
function expectUpToDate(file: string, expected: string): void {
  const actual = read(file);
  if (actual === expected) return;
  const [a, e] = [actual.split("\n"), expected.split("\n")];
  let line = 0;
  while (a[line] === e[line]) line++;
  throw new Error(
    `${file} is out of date with the settings table: run \`${GENERATE_COMMAND}\`\n` +
      `  line ${line + 1} is:      ${JSON.stringify(a[line])}\n` +
      `  line ${line + 1} must be: ${JSON.stringify(e[line])}`,
  );
}

describe(`files generated from the settings table (\`${GENERATE_COMMAND}\`)`, () => {
  test(`${PROJECT_FILE}'s config block is up to date`, () => {
    expectUpToDate(PROJECT_FILE, withConfigBlock(read(PROJECT_FILE)));
  });

  test(`${REFERENCE_FILE} is up to date`, () => {
    expectUpToDate(REFERENCE_FILE, configurationReference());
  });

  test("regenerating Pulumi.yaml keeps everything down to its config: line and replaces the rest", () => {
    const header = "name: pingpong\nmain: index.ts\n# hand-written\nconfig:\n";
    expect(withConfigBlock(`${header}  stale:\n    type: string\n`)).toBe(`${header}${projectConfigBlock()}`);
    expect(() => withConfigBlock("name: pingpong\n")).toThrow('no top-level "config:" line');
  });

  test("a stale file is reported with the command that regenerates it", () => {
    expect(() => expectUpToDate(PROJECT_FILE, `${read(PROJECT_FILE)}  extra:\n`)).toThrow(
      `${PROJECT_FILE} is out of date with the settings table: run \`npm run gen:config\``,
    );
  });

  test("the reference shows the error the program really gives, and marks keys without a default", () => {
    const reference = configurationReference();
    expect(reference).toContain(
      "invalid stack configuration:\n  - pingpong:pdbMinAvailable=3: expected 0 (no budget) or less than pingpong:hpaMinReplicas (3)",
    );
    expect(reference).toMatch(/^\| `registry` +\| string +\| `localhost:5001` +\| — +\| — +\|/m);
    expect(reference).toContain("except `kubeContext` and `registry` in staging and prod");
  });
});

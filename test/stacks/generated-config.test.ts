import { readFileSync } from "node:fs";
import path from "node:path";
import { ENVIRONMENTS, type Environment } from "../../stacks/key";
import { parseSettings } from "../../stacks/settings";
import { requiredKeys } from "../../stacks/table";
import { engineConfig } from "../support/program";
import { settingsError } from "../support/variants";
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
    expect(reference).toMatch(/^\| `ingressHosts` +\| string +\| `pingpong\.localtest\.me` +\| — +\| — +\|/m);
  });
});

describe("what a new stack must set, per environment (required: refused when unset)", () => {
  /** A value for each key a new stack may have to set. */
  const SAMPLE: Record<string, string> = {
    kubeContext: "platform-ctx",
    registry: "ghcr.io/acme",
    ingressHosts: "pingpong.example.org",
    tracingCollector: "otel.example.org:4317",
  };

  test("dev needs nothing; staging and prod their cluster, registry, hosts and span collector", () => {
    const keys = (environment: Environment) => requiredKeys(environment).map((r) => r.key);
    expect(keys("dev")).toEqual([]);
    for (const environment of ["staging", "prod"] as const) {
      expect(keys(environment)).toEqual(["kubeContext", "registry", "ingressHosts", "tracingCollector"]);
    }
  });

  test.each(ENVIRONMENTS)(
    "%s: each key listed is refused when unset, and with them all set the stack parses",
    (environment) => {
      const required = requiredKeys(environment).map((r) => r.key);
      const all = Object.fromEntries(required.map((key) => [key, SAMPLE[key]]));
      expect(() => parseSettings(engineConfig(all), environment)).not.toThrow();
      for (const key of required) {
        const rest = Object.fromEntries(Object.entries(all).filter(([k]) => k !== key));
        expect(settingsError(rest, environment).problems).toEqual([
          expect.stringMatching(new RegExp(`^pingpong:${key}=<unset>: expected `)),
        ]);
      }
    },
  );

  test("the reference has one row per environment naming those keys, with what stands for them", () => {
    const reference = configurationReference();
    expect(reference).toMatch(/^\| dev +\| none +\|$/m);
    for (const environment of ["staging", "prod"]) {
      expect(reference).toMatch(
        new RegExp(
          `^\\| ${environment} +\\| \`kubeContext\`, \`registry\` \\(unless \`image\` is set\\), \`ingressHosts\`, \`tracingCollector\` \\(while \`tracing\` is \`external\`\\) +\\|$`,
          "m",
        ),
      );
    }
    expect(reference).toContain("`tracingCollector` is required whenever `tracing` is `external`");
  });
});

import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { check, resolveConfig } from "prettier";
import { PROJECT_FILE, REFERENCE_FILE, configurationReference, withConfigBlock } from "./reference";

/**
 * `npm run gen:config`: writes Pulumi.yaml's config block and docs/configuration.md from the
 * settings table, then fails if prettier would lay either out differently (the lint step checks
 * them with prettier; the reference lays its table out itself so tests can compare it).
 */
async function main(): Promise<void> {
  const root = resolve(__dirname, "..");
  const files: Array<[string, string]> = [
    [PROJECT_FILE, withConfigBlock(readFileSync(join(root, PROJECT_FILE), "utf8"))],
    [REFERENCE_FILE, configurationReference()],
  ];
  const unformatted: string[] = [];
  for (const [file, text] of files) {
    const path = join(root, file);
    writeFileSync(path, text);
    const options = { ...(await resolveConfig(path)), filepath: path };
    if (!(await check(text, options))) unformatted.push(file);
    console.log(`wrote ${file}`);
  }
  if (unformatted.length > 0) {
    throw new Error(
      `prettier would reformat ${unformatted.join(", ")}: fix the generator in stacks/reference.ts`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

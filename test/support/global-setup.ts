// Runs once before the suite: builds app/ with the image's own build step, `npm run build` of the
// app workspace (process-level tests run the same bundles, app/dist/main.js and probe.js, as the
// image); renders the program's most used variants once for every test file to share; and says, in
// one line, when the upstream reference data is missing.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { RENDER_CACHE_ENV, runProgram } from "./program";
import { locateReference, missingReferenceLine } from "./reference";
import { stackConfig } from "./stack-files";
import { SHARED_VARIANTS } from "./variants";

export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, "../..");
  execFileSync("npm", ["run", "--silent", "build", "--workspace", "app"], { cwd: root, stdio: "inherit" });
  // Workers start after this and inherit the environment: they find the renders there.
  process.env[RENDER_CACHE_ENV] = mkdtempSync(path.join(tmpdir(), "pingpong-renders-"));
  for (const { stack, config } of Object.values(SHARED_VARIANTS)) {
    await runProgram(stack, { ...stackConfig(stack), ...config });
  }
  const reference = locateReference();
  if (!reference.dir) process.stdout.write(`\n${missingReferenceLine(reference)}\n`);
}

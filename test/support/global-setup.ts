// Runs once before the suite: builds app/ (process-level tests run the same compiled output as the
// image) and says, in one line, when the upstream reference data is missing.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { locateReference, missingReferenceLine } from "./reference";

export default function globalSetup(): void {
  const root = path.resolve(__dirname, "../..");
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "app/tsconfig.json")],
    { cwd: root, stdio: "inherit" },
  );
  const reference = locateReference();
  if (!reference.dir) process.stdout.write(`\n${missingReferenceLine(reference)}\n`);
}

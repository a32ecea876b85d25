// Removes what the global setup left for the test run: the shared renders of the program.
import { rmSync } from "node:fs";
import { RENDER_CACHE_ENV } from "./program";

export default function globalTeardown(): void {
  const dir = process.env[RENDER_CACHE_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}

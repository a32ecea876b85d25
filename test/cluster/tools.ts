import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Where test/cluster/tools/build.sh put the programs: the same cache folder, by the same rule
 * (PINGPONG_TOOLS_CACHE, else $XDG_CACHE_HOME or ~/.cache, then pingpong-platform/tools).
 */
export function toolsCache(): string {
  const env = process.env.PINGPONG_TOOLS_CACHE;
  if (env) return env;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "pingpong-platform", "tools");
}

export function toolPath(name: string): string {
  const p = path.join(toolsCache(), "bin", name);
  if (!existsSync(p))
    throw new Error(`${name} is not built: run bash test/cluster/tools/build.sh (looked in ${p})`);
  return p;
}

// Compiles app/src with tsc only when app/dist is missing an output or is older than what it is
// built from, so `npm run app` and `npm run probe` start without a 2-3 s compile when nothing
// changed. Directories count as inputs too: deleting or renaming a source file changes its
// directory's mtime. tsc rewrites every output on each build, so after one the outputs are newer
// than every input; with --noEmitOnError a build with type errors writes nothing, so the next run
// compiles (and fails) again instead of starting the last output. Exits with tsc's status when it
// compiles, 0 otherwise.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const APP = path.resolve(__dirname, "..");
const SRC = path.join(APP, "src");
const DIST = path.join(APP, "dist");
const TSCONFIG = path.join(APP, "tsconfig.json");

/** Every file and directory under dir, dir included. */
function walk(dir) {
  const found = [dir];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...walk(p));
    else found.push(p);
  }
  return found;
}

/** Whether app/dist lacks an output or is older than an input. */
function isStale() {
  const inputs = [TSCONFIG, ...walk(SRC)];
  const newestInput = Math.max(...inputs.map((p) => fs.statSync(p).mtimeMs));
  const compiled = inputs.filter((p) => p.startsWith(SRC + path.sep) && /(?<!\.d)\.ts$/.test(p));
  let oldestOutput = Infinity;
  for (const source of compiled) {
    const output = path.join(DIST, path.relative(SRC, source)).replace(/\.ts$/, ".js");
    const stat = fs.statSync(output, { throwIfNoEntry: false });
    if (stat === undefined) return true;
    oldestOutput = Math.min(oldestOutput, stat.mtimeMs);
  }
  return newestInput > oldestOutput;
}

if (isStale()) {
  const tsc = require.resolve("typescript/bin/tsc", { paths: [APP] });
  const result = spawnSync(process.execPath, [tsc, "-p", TSCONFIG, "--noEmitOnError"], { stdio: "inherit" });
  if (result.error) throw result.error;
  process.exit(result.status ?? 1);
}

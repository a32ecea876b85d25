// Builds app/dist (scripts/build.js: type check, then the bundles) only when an output is missing
// or older than what it is built from, so `npm run app` and `npm run probe` start without a 2-3 s
// build when nothing changed. The inputs are app/src, the app's tsconfig.json and package.json,
// the lockfile and the build script; directories under app/src count too, since deleting or
// renaming a source file changes its directory's mtime. A build rewrites every output, so after
// one the outputs are newer than every input; a build that fails (type errors included) writes
// nothing, so the next run builds (and fails) again instead of starting the last output. Exits
// with the build's status when it builds, 0 otherwise.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { SRC, OUTPUTS, CONFIG_INPUTS, build } = require("./build");

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

/** Whether app/dist lacks an output or has one older than an input. */
function isStale() {
  const inputs = [...CONFIG_INPUTS, ...walk(SRC)];
  const newestInput = Math.max(...inputs.map((p) => fs.statSync(p).mtimeMs));
  let oldestOutput = Infinity;
  for (const output of OUTPUTS) {
    const stat = fs.statSync(output, { throwIfNoEntry: false });
    if (stat === undefined) return true;
    oldestOutput = Math.min(oldestOutput, stat.mtimeMs);
  }
  return newestInput > oldestOutput;
}

if (isStale()) {
  build().then(
    (status) => process.exit(status),
    (err) => {
      process.stderr.write(`build: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

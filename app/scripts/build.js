// Builds app/dist, what the image ships and what the tests and `npm run app` run: tsc type-checks
// app/src (it writes nothing), then esbuild bundles each entry point with everything it imports,
// pino and prom-client included, into one CommonJS file, so that the image needs no node_modules.
// The licence texts of the bundled packages go into dist/THIRD-PARTY-LICENSES.txt, since their
// own LICENSE files no longer travel with them. Nothing is written unless both steps succeed;
// every output is then rewritten (through a temporary file and a rename, so a process starting
// meanwhile reads either the old file or the new one), and anything else in app/dist is removed.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const APP = path.resolve(__dirname, "..");
const SRC = path.join(APP, "src");
const DIST = path.join(APP, "dist");
const TSCONFIG = path.join(APP, "tsconfig.json");
const LICENSES = "THIRD-PARTY-LICENSES.txt";

/** Entry points, by output name: IMAGE_PATHS in src/contract.ts names the same two files. */
const ENTRY_POINTS = { main: "src/main.ts", probe: "src/probe.ts" };

/** Every file build() writes into app/dist, as absolute paths. */
const OUTPUTS = [...Object.keys(ENTRY_POINTS).map((name) => `${name}.js`), LICENSES].map((file) =>
  path.join(DIST, file),
);

/** What the outputs are built from, besides app/src: a change to any of them means a rebuild. */
const CONFIG_INPUTS = [
  TSCONFIG,
  path.join(APP, "package.json"),
  path.join(APP, "..", "package-lock.json"),
  path.join(__dirname, "build.js"),
];

/** The bundled packages (name, version, licence text) from esbuild's metafile. */
function bundledPackages(metafile) {
  const found = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    // The innermost node_modules: a nested copy is a package of its own.
    const m = /^(?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/]+\//.exec(input);
    if (!m) continue;
    const dir = path.join(APP, m[0]);
    if (found.has(dir)) continue;
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const licenseFile = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    if (!licenseFile) throw new Error(`${pkg.name}: no licence file to ship with the bundle`);
    found.set(dir, {
      name: pkg.name,
      version: pkg.version,
      license: pkg.license,
      text: fs.readFileSync(path.join(dir, licenseFile), "utf8").trim(),
    });
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function licensesText(packages) {
  const header = "The files in this directory bundle the following packages, under these licences.\n";
  return [
    header,
    ...packages.map((p) => `${"-".repeat(78)}\n${p.name} ${p.version} (${p.license})\n\n${p.text}\n`),
  ].join("\n");
}

/** Writes `data` to `file` through a temporary file in the same directory and a rename. */
function replaceFile(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Type-checks, bundles and writes app/dist; returns the process exit status (0: built). */
async function build() {
  const tsc = require.resolve("typescript/bin/tsc", { paths: [APP] });
  const check = spawnSync(process.execPath, [tsc, "--noEmit", "-p", TSCONFIG], { stdio: "inherit" });
  if (check.error) throw check.error;
  if (check.status !== 0) return check.status ?? 1;

  const esbuild = require("esbuild");
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: APP,
      entryPoints: Object.entries(ENTRY_POINTS).map(([out, input]) => ({ in: input, out })),
      outdir: DIST,
      bundle: true,
      platform: "node",
      // The image's Node.js major (NODE_VERSION in app/Dockerfile); the syntax also runs on Node 20.
      target: "node26",
      format: "cjs",
      // Unminified: stack traces in the logs stay readable without source maps, the bundle is
      // far below the image's size budget either way, and minifying saved no start-up time
      // beyond the noise (docs/image.md).
      minify: false,
      metafile: true,
      write: false,
      logLevel: "warning",
    });
  } catch {
    // esbuild has already printed the errors.
    return 1;
  }

  fs.mkdirSync(DIST, { recursive: true });
  for (const file of result.outputFiles) replaceFile(file.path, file.contents);
  replaceFile(path.join(DIST, LICENSES), licensesText(bundledPackages(result.metafile)));
  const expected = new Set(OUTPUTS);
  for (const name of fs.readdirSync(DIST)) {
    const p = path.join(DIST, name);
    // A .tmp file may be another build's, about to be renamed.
    if (!expected.has(p) && !name.endsWith(".tmp")) fs.rmSync(p, { recursive: true, force: true });
  }
  return 0;
}

module.exports = { APP, SRC, DIST, OUTPUTS, CONFIG_INPUTS, build };

if (require.main === module) {
  build().then(
    (status) => process.exit(status),
    (err) => {
      process.stderr.write(`build: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

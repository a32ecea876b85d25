// Benchmark of GET /ping: the compiled app (app/dist/main.js) against a bare node:http server
// (bare-server.mjs), both as child processes on 127.0.0.1, loaded with autocannon in alternating
// rounds. Also measures the app's start-to-ready time. Reports figures and PASS/MISS per target;
// exits 0 whenever the benchmark ran, non-zero when it could not (see docs/benchmarks.md).
//
// The settings (environment) are listed in settings.mjs; processes.mjs starts and stops the
// servers, sampling.mjs reads their RSS and CPU time, load.mjs runs the rounds, stats.mjs holds
// the statistics, targets.mjs the targets and report.mjs prints the results.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { measureLoad } from "./load.mjs";
import { installExitHandlers, killAllAndExit, measureStarts, startApp, startBare } from "./processes.mjs";
import { report } from "./report.mjs";
import { BenchError, ROOT, progress, settingsFromEnv } from "./settings.mjs";
import { evaluate } from "./targets.mjs";

installExitHandlers();

function autocannonVersion() {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "node_modules/autocannon/package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

async function main() {
  const settings = settingsFromEnv();
  if (!existsSync(settings.appMain)) {
    throw new BenchError(`${settings.appMain} does not exist (\`npm run build\` compiles app/dist/main.js)`);
  }
  const machine = {
    node: process.version,
    platform: `${os.platform()} ${os.arch()} ${os.release()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGB: Number((os.totalmem() / 1e9).toFixed(1)),
    autocannon: autocannonVersion(),
  };

  progress(`start to ready: ${settings.starts} app processes, then ${settings.starts} bare ones`);
  const start = {
    app: await measureStarts(settings.starts, () => startApp(settings)),
    bare: await measureStarts(settings.starts, () => startBare()),
  };

  progress("starting the app and the bare server for the load");
  const app = await startApp(settings, settings.appNodeArgs);
  const bare = await startBare();
  const l = await measureLoad({ app, bare }, settings);

  await Promise.all([app.stop(), bare.stop()]);

  const { ratios, targets } = evaluate(start, l);
  const results = {
    date: new Date().toISOString(),
    machine,
    settings: {
      ...settings,
      appMain: path.relative(ROOT, settings.appMain),
      roundChoice: "best (highest requests/s) of the undisturbed rounds",
    },
    start,
    load: l,
    ratios,
    targets,
  };
  process.stdout.write(`${report(results)}\n`);

  if (settings.jsonOut) {
    const out = path.resolve(settings.jsonOut);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`results written to ${out}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(
      `ping-bench: could not run: ${err instanceof BenchError ? err.message : err.stack}\n`,
    );
    killAllAndExit(1);
  },
);

// Load of the ping benchmark: autocannon runs of GET /ping, a warm-up of each target, then the
// measured rounds alternating bare/app with RSS sampled throughout, and each target's best round.
import autocannon from "autocannon";
import { performance } from "node:perf_hooks";
import { fixed } from "./report.mjs";
import { cpuReader, machineCpuMs, rssReader, rssSampler } from "./sampling.mjs";
import { BenchError, HOST, OTHER_CPU_WARN_PCT, XFCC, progress } from "./settings.mjs";
import { Latencies, cpuPerRequest } from "./stats.mjs";

/** One autocannon run of GET /ping against `target`; fails unless every answer was a 200. */
async function load(target, durationS, settings) {
  const url = `http://${HOST}:${target.port}/ping`;
  const latencies = new Latencies();
  const serverCpu0 = await target.cpu.read();
  const clientCpu0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  const wall0 = performance.now();

  const instance = autocannon({
    url,
    method: "GET",
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: durationS,
    headers: settings.xfcc ? { "x-forwarded-client-cert": XFCC } : {},
  });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    if (statusCode === 200) latencies.add(responseTime);
  });
  const result = await instance;

  const wallMs = performance.now() - wall0;
  const clientCpu = process.cpuUsage(clientCpu0);
  const machine1 = machineCpuMs();
  if (!target.running) {
    const { exitCode, signalCode } = target.child;
    throw new BenchError(
      `${target.name} exited (code ${exitCode}, signal ${signalCode}) during the load; ` +
        `its last output:\n${target.output()}`,
    );
  }
  const serverCpu1 = await target.cpu.read();
  const bad = result.errors + result.timeouts + result.non2xx;
  if (result["2xx"] === 0 || bad > 0) {
    throw new BenchError(
      `${target.name}: ${result["2xx"]} answers 200, ${result.non2xx} other statuses, ` +
        `${result.errors} errors, ${result.timeouts} timeouts (${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  const [p50, p99] = latencies.percentiles(50, 99);
  const serverCpuMs = serverCpu1 - serverCpu0;
  const serverCpuPct = (100 * serverCpuMs) / wallMs;
  const clientCpuPct = (100 * (clientCpu.user + clientCpu.system)) / 1000 / wallMs;
  // CPU used by everything but the loaded server and this process (other processes, interrupts);
  // a busy neighbour shows here, and steal is CPU the hypervisor gave to other machines.
  const otherCpuPct =
    machine0 && machine1
      ? Math.max(0, (100 * (machine1.busy - machine0.busy)) / wallMs - serverCpuPct - clientCpuPct)
      : undefined;
  const stealPct = machine0 && machine1 ? (100 * (machine1.steal - machine0.steal)) / wallMs : undefined;
  return {
    requestsPerSec: result["2xx"] / result.duration,
    requests: result["2xx"],
    durationS: result.duration,
    p50Ms: p50,
    p99Ms: p99,
    maxMs: latencies.percentiles(100)[0],
    autocannon: {
      requestsAverage: result.requests.average,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
    },
    serverCpuMs,
    serverCpuPct,
    serverCpuUsPerRequest: (1000 * serverCpuMs) / result["2xx"],
    clientCpuPct,
    otherCpuPct,
    stealPct,
  };
}

/**
 * Warm-up and measured rounds of `running.app` and `running.bare`, a disturbed round repeated up
 * to `settings.retries` times. Resolves with every round in the order run, each target's best
 * round and RSS, and the CPU per request app/bare.
 */
export async function measureLoad(running, settings) {
  const { app, bare } = running;
  app.cpu = cpuReader(app, "app", settings);
  bare.cpu = cpuReader(bare, "bare", settings);

  const samplers = {
    app: rssReader(app, "app", settings),
    bare: rssReader(bare, "bare", settings),
  };
  const idle = { app: await samplers.app.read(), bare: await samplers.bare.read() };
  const sampling = { app: rssSampler(samplers.app), bare: rssSampler(samplers.bare) };

  if (settings.warmupS > 0) {
    for (const name of ["bare", "app"]) {
      progress(`warm-up ${name}: ${settings.warmupS} s`);
      await load(running[name], settings.warmupS, settings);
    }
  }
  const rounds = { bare: [], app: [] };
  const order = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const name of ["bare", "app"]) {
      for (let attempt = 1; ; attempt++) {
        progress(`round ${round}/${settings.rounds} ${name}: ${settings.durationS} s`);
        const r = await load(running[name], settings.durationS, settings);
        r.round = round;
        r.attempt = attempt;
        r.disturbed = r.otherCpuPct !== undefined && r.otherCpuPct > OTHER_CPU_WARN_PCT;
        rounds[name].push(r);
        order.push({ target: name, index: rounds[name].length - 1 });
        progress(
          `  ${fixed(r.requestsPerSec, 0)} req/s, p50 ${fixed(r.p50Ms, 2)} ms, p99 ${fixed(r.p99Ms, 2)} ms`,
        );
        if (!r.disturbed || attempt > settings.retries) break;
        progress(`  other processes used ${fixed(r.otherCpuPct, 0)}% CPU: round disturbed, repeating it`);
      }
    }
  }

  const l = { order };
  for (const name of ["bare", "app"]) {
    const rss = { source: samplers[name].source, idleBytes: idle[name], ...sampling[name].stop() };
    if (rss.samples === 0) {
      throw new BenchError(`${name}: no RSS sample succeeded (${rss.lastError ?? "no sample taken"})`);
    }
    const quiet = rounds[name].filter((r) => !r.disturbed);
    const best = (quiet.length > 0 ? quiet : rounds[name]).reduce((a, b) =>
      b.requestsPerSec > a.requestsPerSec ? b : a,
    );
    l[name] = { best, rounds: rounds[name], rss };
  }

  l.cpu = cpuPerRequest(rounds, settings.rounds);
  l.cpu.source = { app: app.cpu.source, bare: bare.cpu.source };
  return l;
}

// Report of the ping benchmark: the summary table, the CPU per request round by round, every
// round in the order run, start to ready, RSS, and a PASS/MISS line per target.
import { OTHER_CPU_WARN_PCT, RSS_SAMPLE_MS } from "./settings.mjs";
import { median } from "./stats.mjs";

/** MB as in the report: 10^6 bytes. */
export const MB = 1e6;
/** MiB: 2^20 bytes. */
export const MiB = 2 ** 20;

export function fixed(value, digits) {
  return value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))),
    )
    .map((cells) => cells.join("  ").trimEnd())
    .join("\n");
}

export function report(results) {
  const { settings, machine, start, load: l, ratios, targets } = results;
  const lines = [];
  lines.push(
    `pingpong GET /ping benchmark: node ${machine.node}, ${machine.platform}, ` +
      `${machine.cpus} x ${machine.cpuModel}, autocannon ${machine.autocannon}`,
  );
  lines.push(
    `load: ${settings.connections} connections, pipelining ${settings.pipelining}, ` +
      `${settings.xfcc ? "an Istio X-Forwarded-Client-Cert header on every request, " : ""}` +
      `${settings.rounds} rounds x ${settings.durationS} s per target, alternating bare/app, ` +
      `${settings.warmupS} s warm-up per target; each target's row is its best undisturbed round ` +
      "(highest requests/s)",
  );
  lines.push("");
  const row = (name, t) => [
    name,
    fixed(t.best.requestsPerSec, 0),
    fixed(t.best.p50Ms, 2),
    fixed(t.best.p99Ms, 2),
    fixed(t.rss.maxBytes / MB, 1),
    `${fixed(t.best.serverCpuPct, 0)}%`,
    `${fixed(t.best.clientCpuPct, 0)}%`,
    fixed(t.best.serverCpuUsPerRequest, 1),
  ];
  lines.push(
    table([
      ["target", "req/s", "p50 ms", "p99 ms", "max RSS MB", "server CPU", "client CPU", "server us/req"],
      row("bare", l.bare),
      row("app", l.app),
      [
        "app/bare",
        fixed(ratios.throughput, 3),
        fixed(ratios.p50, 3),
        fixed(ratios.p99, 3),
        fixed(ratios.rss, 3),
        "",
        "",
        "(below)",
      ],
    ]),
  );
  lines.push("");
  lines.push(
    `server CPU per answered request, app/bare, round by round (user+sys of the whole server process: ` +
      `app ${l.cpu.source.app}, bare ${l.cpu.source.bare}; app round n against the mean of bare rounds n and n+1):`,
  );
  for (const p of l.cpu.pairs) {
    lines.push(
      `  round ${p.round}${p.disturbed ? "*" : ""}: app ${fixed(p.appUs, 2)} us / bare ${fixed(p.bareUs, 2)} us ` +
        `= ${fixed(p.ratio, 3)}`,
    );
  }
  lines.push(
    `  median ${fixed(l.cpu.median, 3)}, spread ${fixed(l.cpu.min, 3)}-${fixed(l.cpu.max, 3)} over ` +
      `${l.cpu.judgedPairs} ${l.cpu.judgedPairs === l.cpu.pairs.length ? "" : "undisturbed "}round pairs; ` +
      `mean us/req app/bare ${fixed(l.cpu.pooled, 3)}`,
  );
  lines.push("");
  lines.push("rounds (in the order run):");
  lines.push(
    table([
      [
        "  round",
        "try",
        "target",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server CPU",
        "client CPU",
        "other CPU",
        "steal",
        "server us/req",
      ],
      ...l.order.map(({ target, index }) => {
        const r = l[target].rounds[index];
        return [
          `  ${r.round}${r.disturbed ? "*" : ""}${r === l[target].best ? " best" : ""}`,
          r.attempt,
          target,
          fixed(r.requestsPerSec, 0),
          fixed(r.p50Ms, 2),
          fixed(r.p99Ms, 2),
          `${fixed(r.serverCpuPct, 0)}%`,
          `${fixed(r.clientCpuPct, 0)}%`,
          `${fixed(r.otherCpuPct, 0)}%`,
          `${fixed(r.stealPct, 0)}%`,
          fixed(r.serverCpuUsPerRequest, 1),
        ];
      }),
    ]),
  );
  lines.push(
    "  (CPU: 100% is one core; other: machine busy time minus server and client; " +
      "server us/req: server CPU time per answered request;",
    `  *: disturbed, other > ${OTHER_CPU_WARN_PCT}%, repeated up to ${settings.retries} times ` +
      "and not chosen as best while an undisturbed round exists)",
  );
  for (const name of ["bare", "app"]) {
    if (l[name].best.disturbed) {
      lines.push(
        `  warning: every ${name} round was disturbed (other processes used ` +
          `${fixed(l[name].best.otherCpuPct, 0)}% CPU in the best one): rerun on a quiet machine`,
      );
    }
  }
  lines.push("");
  const ms = (values) => values.map((v) => fixed(v, 0)).join(", ");
  lines.push(
    `start to ready, app (spawn to first 200 on /readyz, ${start.app.readyMs.length} processes): ` +
      `median ${fixed(start.app.medianMs, 0)} ms, max ${fixed(start.app.maxMs, 0)} ms [${ms(start.app.readyMs)}]`,
  );
  lines.push(
    `  of which to the "listening" log line: median ${fixed(median(start.app.listeningMs), 0)} ms ` +
      `[${ms(start.app.listeningMs)}]`,
  );
  lines.push(
    `start to ready, bare (spawn to first 200 on /, for reference): median ${fixed(start.bare.medianMs, 0)} ms, ` +
      `max ${fixed(start.bare.maxMs, 0)} ms`,
  );
  lines.push(
    `RSS (MB = 10^6 bytes): ${l.app.rss.source} (app), ${l.bare.rss.source} (bare), ` +
      `every ${RSS_SAMPLE_MS} ms during warm-up and rounds; before the load: ` +
      `app ${fixed(l.app.rss.idleBytes / MB, 1)} MB, bare ${fixed(l.bare.rss.idleBytes / MB, 1)} MB`,
  );
  lines.push("");
  lines.push("targets:");
  for (const t of targets) lines.push(`${t.pass ? "PASS" : "MISS"}  ${t.name.padEnd(11)} ${t.detail}`);
  return lines.join("\n");
}

// Statistics of the ping benchmark: medians, full-resolution latency percentiles, and the CPU per
// request of the app against the neighbouring rounds of the bare server.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Latencies in ms at full resolution (autocannon's own histogram keeps whole milliseconds). */
export class Latencies {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.count = 0;
  }

  add(ms) {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  /** Nearest-rank percentiles of everything recorded. */
  percentiles(...ps) {
    const sorted = this.values.subarray(0, this.count).sort();
    return ps.map((p) =>
      this.count === 0 ? NaN : sorted[Math.max(0, Math.ceil((p / 100) * this.count) - 1)],
    );
  }
}

/**
 * CPU per answered request, app/bare, round by round, from the kept try of each round (the
 * undisturbed one when a retry helped). Rounds run bare 1, app 1, bare 2, app 2, ...; each app
 * round is compared with the mean of the bare rounds just before and just after it (the last one
 * with the bare round before it only), so that a slow drift of the machine cancels out. The
 * median over the rounds is judged; rounds with a disturbed side are left out of it while an
 * undisturbed one exists.
 */
export function cpuPerRequest(rounds, count) {
  const kept = (name, round) => rounds[name].filter((r) => r.round === round).at(-1);
  const pairs = [];
  for (let round = 1; round <= count; round++) {
    const app = kept("app", round);
    const bares = [kept("bare", round), ...(round < count ? [kept("bare", round + 1)] : [])];
    const bareUs = bares.reduce((a, r) => a + r.serverCpuUsPerRequest, 0) / bares.length;
    pairs.push({
      round,
      appUs: app.serverCpuUsPerRequest,
      bareUs,
      ratio: app.serverCpuUsPerRequest / bareUs,
      disturbed: app.disturbed || bares.some((r) => r.disturbed),
    });
  }
  const quiet = pairs.filter((p) => !p.disturbed);
  const judged = quiet.length > 0 ? quiet : pairs;
  const sum = (list, key) => list.reduce((a, p) => a + p[key], 0);
  const ratios = judged.map((p) => p.ratio);
  return {
    pairs,
    judgedPairs: judged.length,
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
    // Mean us/req of the judged rounds, app over bare (each round weighs the same).
    pooled: sum(judged, "appUs") / sum(judged, "bareUs"),
  };
}

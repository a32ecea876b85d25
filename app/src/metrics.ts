import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { InstanceIdentity } from "./config";
import { METRIC_NAMES } from "./contract";

export type PingResult = "success" | "failure";

export { METRIC_NAMES };

export interface PingpongMetrics {
  registry: Registry;
  /** Counts one answered ping in pingpong_pongs_total, under a caller label from CallerLabels. */
  countPong(caller: string): void;
  pings: Counter<"result">;
  pingDuration: Histogram<"result">;
  ready: Gauge;
}

export type MetricsIdentity = Omit<InstanceIdentity, "pod">;

/** One registry per service instance, so two instances can live in one process (tests). */
export function createMetrics(identity: MetricsIdentity): PingpongMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Every answered ping counts: a Map update on the request path, and prom-client's label
  // validation and hashing once per caller label when the registry is collected.
  const pongCounts = new Map<string, { count: number }>();
  new Counter({
    name: METRIC_NAMES.pongs,
    help: "Pings answered on /ping (GET or HEAD), by caller identity (SPIFFE ID, 'unknown' or 'other').",
    labelNames: ["caller"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [caller, { count }] of pongCounts) this.inc({ caller }, count);
    },
  });
  const countPong = (caller: string) => {
    const entry = pongCounts.get(caller);
    if (entry) entry.count++;
    else pongCounts.set(caller, { count: 1 });
  };
  const pings = new Counter({
    name: METRIC_NAMES.pings,
    help: "Pings sent to TARGET, by result (success: a 2xx answer within the timeout).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const pingDuration = new Histogram({
    name: METRIC_NAMES.pingDuration,
    help: "Round trip of pings sent to TARGET, in seconds, by result.",
    labelNames: ["result"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const ready = new Gauge({
    name: METRIC_NAMES.ready,
    help: "1 while the instance reports ready on /readyz, 0 while starting or draining.",
    registers: [registry],
  });
  const info = new Gauge({
    name: METRIC_NAMES.info,
    help: "Constant 1, labelled with the instance's service, namespace and version.",
    labelNames: ["service", "namespace", "version"] as const,
    registers: [registry],
  });
  info.set({ service: identity.service, namespace: identity.namespace, version: identity.version }, 1);
  // Both results exist from the start, so rate() and ratios work before the first failure.
  for (const result of ["success", "failure"] as const) {
    pings.inc({ result }, 0);
    pingDuration.zero({ result });
  }
  return { registry, countPong, pings, pingDuration, ready };
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, chartLocation } from "./charts";
import { namespaceLabels } from "./namespaces";
import { helmFullname } from "./observability";
import type { Resources } from "./types";

export const JAEGER_CHART_REPO = CHARTS.jaeger.repository;
export const JAEGER_CHART = CHARTS.jaeger.chart;
/** Jaeger's Helm release name: its Service and pod labels derive from it. */
export const JAEGER_RELEASE = "jaeger";

/**
 * Ports of the chart's Service that the program uses (jaegertracing/helm-charts tag jaeger-4.11.1,
 * charts/jaeger/templates/jaeger/jaeger-service.yaml): `otlp-grpc` receives spans over OTLP/gRPC
 * (what istiod's OpenTelemetry provider sends without an `http` block), `http-query` serves the
 * UI and the HTTP query API (Grafana), `grpc-query` the gRPC query API (Kiali with use_grpc).
 */
export const JAEGER_PORTS = { otlpGrpc: 4317, httpQuery: 16686, grpcQuery: 16685 } as const;

/** The chart's Service (and Deployment) name for a release: its fullname rule, no overrides. */
export function jaegerServiceName(release: string = JAEGER_RELEASE): string {
  return helmFullname(release, JAEGER_CHART);
}

/**
 * The labels the chart gives its pods: its selector labels ("jaeger.selectorLabels":
 * app.kubernetes.io/name and /instance) plus `app.kubernetes.io/component: all-in-one`, which the
 * Service selects too (templates/jaeger/jaeger-deploy.yaml). The pods have no `app` label.
 */
export function jaegerPodLabels(release: string = JAEGER_RELEASE): Record<string, string> {
  return {
    "app.kubernetes.io/name": JAEGER_CHART,
    "app.kubernetes.io/instance": release,
    "app.kubernetes.io/component": "all-in-one",
  };
}

/**
 * What the restricted Pod Security profile asks of the container. The chart's pod security
 * context already runs it as user and group 10001 (values.yaml `jaeger.podSecurityContext`); its
 * container security context is empty by default. Restricted does not ask for a read-only root
 * filesystem, so it stays writable.
 */
export function jaegerContainerSecurity(): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

const MiB = 1024 ** 2;

/**
 * What one trace of a ping costs Jaeger's in-memory store, and what else its container holds: the
 * figures `jaegerMaxTraces` derives the store's bound from. An estimate from the data's shape, not
 * a measurement (no cluster here); hence the margin.
 */
export const JAEGER_TRACE_BUDGET = {
  /**
   * Spans in a ping's trace: the caller's sidecar (CLIENT) and the callee's (SERVER). The app makes
   * none of its own (app/src/trace.ts only passes the context on).
   */
  spansPerTrace: 2,
  /**
   * One Istio span as the store keeps it: Envoy's HTTP span carries about 20 attributes (its
   * request tags and Istio's `istio.*` custom tags), each a key, a value and their headers in the
   * collector's pdata (~100 B), ~2 KiB; with the span itself, and the resource and scope the store
   * copies into every trace (jaegertracing/jaeger v2.19.0 internal/storage/v2/memory/memory.go,
   * WriteTraces: reshuffleResourceSpans per trace id), rounded up to 4 KiB. About 1 KiB on the wire.
   */
  bytesPerSpan: 4096,
  /** On bytesPerSpan × spansPerTrace: canary pods, gateway spans, longer URLs, the estimate's error. */
  margin: 2,
  /** The process besides the traces: binary, receivers and batches in flight, query answers. */
  reservedBytes: 128 * MiB,
  /**
   * Go lets the heap grow to twice the live data before it collects (GOGC 100; the image sets no
   * GOMEMLIMIT: jaegertracing/jaeger v2.19.0 cmd/jaeger/Dockerfile sets only JAEGER_LISTEN_HOST).
   */
  heapGrowth: 2,
} as const;

/** Bytes of a Kubernetes memory quantity in binary units (`512Mi`, `1Gi`), as the limits are written. */
function binaryQuantityBytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`Jaeger: memory limit ${JSON.stringify(quantity)}: expected Ki, Mi or Gi`);
  return Number(m[1]) * 1024 ** { Ki: 1, Mi: 2, Gi: 3 }[m[2] as "Ki" | "Mi" | "Gi"];
}

/**
 * How many traces Jaeger's in-memory store may keep under the container's memory limit: what the
 * heap holds after the reserve, at the budget's cost per trace, rounded down to a thousand.
 * Jaeger's own default, 100000 (all-in-one.yaml), is ~1.5 GiB of ping traces at that cost. The
 * store is a ring (memory.go, tenant.go storeTraces): past the bound the oldest trace goes.
 */
export function jaegerMaxTraces(memoryLimit: string): number {
  const b = JAEGER_TRACE_BUDGET;
  const perTrace = b.spansPerTrace * b.bytesPerSpan * b.margin;
  const traces = (binaryQuantityBytes(memoryLimit) - b.reservedBytes) / b.heapGrowth / perTrace;
  const bound = Math.floor(traces / 1000) * 1000;
  // The query API refuses a search deeper than the store (tenant.go findTraceAndIds: SearchDepth >
  // MaxTraces); the UI asks for up to 1500 (jaegertracing/jaeger-ui
  // packages/jaeger-ui/src/constants/default-config.tsx, search.maxLimit).
  if (bound < 1500)
    throw new Error(`Jaeger: memory limit ${memoryLimit} keeps ${bound} traces; at least 1500 are needed`);
  return bound;
}

/**
 * The all-in-one configuration's memory backend (jaegertracing/jaeger v2.19.0, the chart's
 * appVersion: cmd/jaeger/internal/all-in-one.yaml, `extensions.jaeger_storage.backends.some_storage
 * .memory.max_traces`; internal/storage/v2/memory/config.go, `max_traces`).
 */
export const JAEGER_MAX_TRACES_KEY = "extensions.jaeger_storage.backends.some_storage.memory.max_traces";

/**
 * Values of the jaeger chart: the all-in-one Deployment with its embedded configuration, whose
 * storage is in memory (jaegertracing/jaeger cmd/jaeger/internal/all-in-one.yaml; the chart passes
 * no --config while `userconfig` is unset). Traces live in one pod's memory, so one replica; the
 * chart's default strategy, Recreate, never runs two.
 *
 * The store's bound goes in as `--set`, the collector's flag for one property over the config
 * (open-telemetry/opentelemetry-collector otelcol/flags.go: it comes after every --config);
 * Jaeger still loads its embedded configuration, since no --config flag is given
 * (cmd/jaeger/internal/command.go, checkConfigAndRun). A `userconfig` would have to repeat the
 * whole configuration. The chart passes `jaeger.args` to the container (jaeger-deploy.yaml).
 */
export function jaegerValues(resources: Resources): Record<string, unknown> {
  const requirements: k8s.types.input.core.v1.ResourceRequirements = {
    requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
    limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
  };
  return {
    jaeger: {
      replicas: 1,
      resources: requirements,
      securityContext: jaegerContainerSecurity(),
      args: [`--set=${JAEGER_MAX_TRACES_KEY}=${jaegerMaxTraces(resources.memoryLimit)}`],
    },
  };
}

export interface JaegerArgs {
  /** Namespace Jaeger runs in, created here: without sidecars, restricted Pod Security. */
  namespace: string;
  /** Version of the jaeger chart (jaegertracing/helm-charts), e.g. 4.11.1. */
  chartVersion: string;
  /** A directory of unpacked charts, `<chartSource>/<chart>/<version>/`; absent: the chart's repository. */
  chartSource?: string;
  /** Requests and limits of the all-in-one container; its memory holds every trace kept. */
  resources: Resources;
}

/**
 * Jaeger all-in-one from its official chart, keeping traces in memory: the collector the
 * sidecars send spans to and the query API Grafana and Kiali read them from.
 *
 * Outside the mesh: Grafana and Kiali run without sidecars and query it in plaintext, and the
 * sidecars' exports reach a pod without a sidecar in plaintext too (auto mTLS). Nothing in it
 * waits for Istio: no sidecar is injected and it declares no Istio resource.
 *
 * helm.v3.Release, as for Istio (components/istio.ts): Helm installs and waits for the
 * Deployment to be ready, and a preview shows the values diff.
 */
export class Jaeger extends pulumi.ComponentResource {
  /** Where sidecars send spans over OTLP/gRPC: istiod's `extensionProviders[].opentelemetry`. */
  public readonly otlp: { host: string; port: number };
  /** The HTTP query API (Grafana's Jaeger data source). */
  public readonly queryUrl: string;
  /** The gRPC query API (Kiali's tracing `internal_url` with `use_grpc`). */
  public readonly queryGrpcUrl: string;
  /** The command that opens the Jaeger UI at http://localhost:16686. */
  public readonly portForward: string;
  /** The labels of Jaeger's pods, for NetworkPolicies. */
  public readonly podLabels: Record<string, string>;
  /** The namespace, once it exists. */
  public readonly namespace: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: JaegerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:tracing:Jaeger", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: args.namespace,
          // Outside the mesh: the sidecars send spans in plaintext to a pod without one.
          labels: namespaceLabels({ name: args.namespace, sidecarInjection: false }),
        },
      },
      { parent: this },
    );
    this.release = new k8s.helm.v3.Release(
      `${name}-jaeger`,
      {
        name: JAEGER_RELEASE,
        ...chartLocation(CHARTS.jaeger, args.chartVersion, args.chartSource),
        namespace: ns.metadata.name,
        values: jaegerValues(args.resources),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
      },
      { parent: this },
    );

    const service = jaegerServiceName(JAEGER_RELEASE);
    const host = `${service}.${args.namespace}`;
    this.otlp = { host: `${host}.svc.cluster.local`, port: JAEGER_PORTS.otlpGrpc };
    this.queryUrl = `http://${host}:${JAEGER_PORTS.httpQuery}`;
    this.queryGrpcUrl = `http://${host}:${JAEGER_PORTS.grpcQuery}`;
    const ui = JAEGER_PORTS.httpQuery;
    this.portForward = `kubectl -n ${args.namespace} port-forward svc/${service} ${ui}:${ui}`;
    this.podLabels = jaegerPodLabels(JAEGER_RELEASE);
    this.namespace = ns.metadata.name;
    this.registerOutputs({
      otlp: this.otlp,
      queryUrl: this.queryUrl,
      queryGrpcUrl: this.queryGrpcUrl,
      portForward: this.portForward,
    });
  }
}

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

/**
 * Values of the jaeger chart: the all-in-one Deployment with its embedded configuration, whose
 * storage is in memory (jaegertracing/jaeger cmd/jaeger/internal/all-in-one.yaml; the chart passes
 * no --config while `userconfig` is unset). Traces live in one pod's memory, so one replica; the
 * chart's default strategy, Recreate, never runs two.
 */
export function jaegerValues(resources: Resources): Record<string, unknown> {
  const requirements: k8s.types.input.core.v1.ResourceRequirements = {
    requests: { cpu: resources.cpuRequest, memory: resources.memoryRequest },
    limits: { cpu: resources.cpuLimit, memory: resources.memoryLimit },
  };
  return {
    jaeger: { replicas: 1, resources: requirements, securityContext: jaegerContainerSecurity() },
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

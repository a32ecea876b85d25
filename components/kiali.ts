import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHARTS, chartLocation } from "./charts";
import { requestsValue } from "./sizes";
import type { Requests } from "./types";

export const KIALI_CHART_REPO = CHARTS.kiali.repository;
export const KIALI_CHART = CHARTS.kiali.chart;
export const KIALI_RELEASE = "kiali";

/**
 * How the kiali-server chart names and serves Kiali (kiali/helm-charts tag v2.29.0, kiali-server):
 * every object is named `deployment.instance_name` (default "kiali"; "kiali-server.fullname" in
 * templates/_helpers.tpl), not after the release; the Service serves `server.port` (default
 * 20001) under the web root, which an empty `server.web_root` makes `/kiali` outside OpenShift
 * ("kiali-server.server.web_root").
 */
export const KIALI = { instanceName: "kiali", port: 20001, webRoot: "/kiali" } as const;

/**
 * The labels the chart's Service and NetworkPolicy select Kiali's pods by ("kiali-server.selectorLabels").
 */
export function kialiPodLabels(): Record<string, string> {
  return { "app.kubernetes.io/name": "kiali", "app.kubernetes.io/instance": KIALI.instanceName };
}

/** In-cluster URL of Kiali's UI in `namespace`. */
export function kialiUrl(namespace: string): string {
  return `http://${KIALI.instanceName}.${namespace}:${KIALI.port}${KIALI.webRoot}`;
}

export interface KialiValuesArgs {
  prometheusUrl: pulumi.Input<string>;
  grafanaUrl: pulumi.Input<string>;
  /** Jaeger's gRPC query API; no tracing integration when absent. */
  tracingUrl?: pulumi.Input<string>;
  /** Signs Kiali's login tokens: 16, 24 or 32 bytes. */
  signingKey: pulumi.Input<string>;
  /** What Kiali asks of its node (`deployment.resources.requests`); absent: the chart's own. */
  requests?: Requests;
}

/**
 * Values of the kiali-server chart. Its ConfigMap is all of .Values (templates/configmap.yaml), so
 * keys of the Kiali CR that its values.yaml leaves out (external_services.grafana, .tracing,
 * .prometheus.url) are set here as well; names and types from kiali/kiali-operator v2.29.0
 * crd-docs/crd/kiali.io_kialis.yaml.
 *
 * Read-only for anyone who reaches it: `anonymous` alone binds the writing `kiali` role; with
 * `view_only_mode` the chart binds `kiali-viewer` (templates/rolebinding.yaml, as its own CI case
 * ci/view-only-mode-anonymous-values.yaml). Neither `istio_namespace` nor
 * `external_services.istio.root_namespace` is set: since v2.11 Kiali ignores both and finds
 * istiod itself (their CRD descriptions).
 */
export function kialiValues(args: KialiValuesArgs): Record<string, unknown> {
  return {
    auth: { strategy: "anonymous" },
    // Requests only: the chart's memory limit stays (sizes.ts LIMITS.kiali).
    deployment: { view_only_mode: true, ...(args.requests ? requestsValue(args.requests) : {}) },
    // Unset, the chart renders `randAlphaNum 32` into the ConfigMap on every render, so each
    // preview would show a change and each update restart Kiali.
    login_token: { signing_key: args.signingKey },
    external_services: {
      prometheus: { url: args.prometheusUrl },
      // external_url "": Kiali tries to discover a browser-facing URL; there is none in-cluster.
      grafana: { enabled: true, internal_url: args.grafanaUrl, external_url: "" },
      ...(args.tracingUrl !== undefined
        ? {
            // The CRD: "Jaeger v1.20+ has separated ports for GRPC(16685) and HTTP(16686) ...
            // use the appropriate port according to the `use_grpc` value."
            tracing: { enabled: true, provider: "jaeger", internal_url: args.tracingUrl, use_grpc: true },
          }
        : {}),
    },
  };
}

export interface KialiArgs {
  /** Namespace of the release (the Istio root namespace or the monitoring namespace); it must exist. */
  namespace: string;
  /** Version of the kiali-server chart (kiali/helm-charts), e.g. 2.29.0. */
  chartVersion: string;
  /** A directory of unpacked charts, `<chartSource>/<chart>/<version>/`; absent: the chart's repository. */
  chartSource?: string;
  /** In-cluster URL of the Prometheus that scrapes the mesh. */
  prometheusUrl: pulumi.Input<string>;
  /** In-cluster URL of Grafana, where Kiali links Istio's dashboards. */
  grafanaUrl: pulumi.Input<string>;
  /** Jaeger's gRPC query URL; Kiali shows no traces when absent. */
  tracingUrl?: pulumi.Input<string>;
  /** What Kiali asks of its node; absent: the chart's own (10m/64Mi). */
  requests?: Requests;
  /**
   * The key Kiali encrypts its session cookies with (16, 24 or 32 bytes), kept a secret; absent: a
   * random one, generated once and kept in state (the random provider).
   */
  signingKey?: string;
  /** What the release waits for: Istio's control plane (Kiali reads its CRDs), and the namespace's creator. */
  controlPlane: pulumi.Resource[];
}

/** Kiali, read-only and without login, wired to the mesh's Prometheus, Grafana and Jaeger. */
export class Kiali extends pulumi.ComponentResource {
  /** In-cluster URL of Kiali's UI. */
  public readonly url: string;
  /** The command that opens Kiali's UI at http://localhost:20001/kiali. */
  public readonly portForward: string;
  /** The labels of Kiali's pods, for NetworkPolicies. */
  public readonly podLabels: Record<string, string>;
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: KialiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:observability:Kiali", name, {}, opts);
    // Generated, it is stored in state once, so the rendered ConfigMap stays the same between updates.
    const signingKey =
      args.signingKey ??
      new random.RandomPassword(`${name}-signing-key`, { length: 32, special: false }, { parent: this })
        .result;
    this.release = new k8s.helm.v3.Release(
      `${name}-kiali`,
      {
        name: KIALI_RELEASE,
        ...chartLocation(CHARTS.kiali, args.chartVersion, args.chartSource),
        namespace: args.namespace,
        values: kialiValues({
          prometheusUrl: args.prometheusUrl,
          grafanaUrl: args.grafanaUrl,
          tracingUrl: args.tracingUrl,
          // A secret in the Release's values too, not only in the password's own state or the config.
          signingKey: pulumi.secret(signingKey),
          requests: args.requests,
        }),
        atomic: true,
        cleanupOnFail: true,
        timeout: 600,
      },
      { parent: this, dependsOn: args.controlPlane },
    );
    this.url = kialiUrl(args.namespace);
    this.portForward = `kubectl -n ${args.namespace} port-forward svc/${KIALI.instanceName} ${KIALI.port}:${KIALI.port}`;
    this.podLabels = kialiPodLabels();
    this.registerOutputs({ url: this.url, portForward: this.portForward });
  }
}

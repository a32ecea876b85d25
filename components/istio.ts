import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, chartLocation, type ChartRef } from "./charts";
import {
  checkExternalIstiod,
  injectionWebhookValues,
  validationWebhookValues,
  type ExternalIstiod,
} from "./istio-webhooks";
import { standardLabels } from "./labels";
import { ISTIO, PROXY_CONFIG, TRACING_PROVIDER } from "./mesh";
import { podSecurityLabels, type PodSecurityLevel } from "./pod-security";
import { requestsValue } from "./sizes";
import type { GatewayServiceType, OutboundTrafficPolicy, Requests } from "./types";

/**
 * Where Istio's images come from: the `global.hub` of Istio's released charts. Charts taken from
 * Istio's source carry a development hub and tag instead (istiod and cni values.yaml:
 * `global.hub: registry.istio.io/testing`, `global.tag: latest`, and empty per-chart `hub`/`tag`
 * that fall back to them), so the program sets both, released chart or not.
 */
export const ISTIO_HUB = "docker.io/istio";
/** The ingress gateway's Helm release name; its pod labels and ServiceAccount derive from it. */
export const GATEWAY_RELEASE = "istio-ingressgateway";
/** The egress gateway's Helm release name (the same chart): its pod labels derive from it. */
export const EGRESS_RELEASE = "istio-egressgateway";

/**
 * The labels the `gateway` chart gives its pods: `app: <release>` and `istio: <release without
 * its "istio-" prefix>`. A Gateway's selector must match these.
 */
export function gatewayPodLabels(release: string = GATEWAY_RELEASE): Record<string, string> {
  return { app: release, istio: release.replace(/^istio-/, "") };
}

export interface IstioArgs {
  /** Chart version, e.g. 1.31.1: the same for base, istiod, cni and gateway, and the images' tag. */
  version: string;
  /** A directory of unpacked charts, `<chartSource>/<chart>/<version>/`; absent: Istio's repository. */
  chartSource?: string;
  /** An istiod outside the cluster serving the injection and validation webhooks; absent: the in-cluster one. */
  externalIstiod?: ExternalIstiod;
  /** Namespace of the ingress gateway deployment (where TLS credentials must live). */
  gatewayNamespace: string;
  gatewayServiceType: GatewayServiceType;
  gatewayReplicas: { min: number; max: number };
  /** istiod replicas: autoscaled between min and max, or a fixed count when they are equal. */
  istiodReplicas: { min: number; max: number };
  /** The trust domain istiod issues workload identities in; principals must use the same. */
  trustDomain: string;
  /** What sidecars do with a host outside the mesh's registry: pass it on, or refuse it. */
  outboundTrafficPolicy: OutboundTrafficPolicy;
  /** The OTLP/gRPC collector spans go to, declared as the tracing provider; no provider when absent. */
  tracing?: { host: string; port: number };
  accessLogs: boolean;
  /** What Istio's pods ask of their nodes; absent: the charts' own (istiod 500m/2048Mi, the rest 100m/100-128Mi). */
  requests?: IstioRequests;
  /** The plug-in CA (`cacerts`): istiod signs workload certificates with it instead of a self-generated root. */
  pluginCa?: {
    certPem: pulumi.Input<string>;
    keyPem: pulumi.Input<string>;
    rootCertPem: pulumi.Input<string>;
    chainPem: pulumi.Input<string>;
  };
}

/** What each of Istio's pods asks: istiod, every injected sidecar, each gateway pod, the CNI agent per node. */
export interface IstioRequests {
  istiod: Requests;
  proxy: Requests;
  gateway: Requests;
  cni: Requests;
}

/**
 * The images of the istiod, cni and gateway charts: the hub of Istio's released charts and the
 * pinned version as the tag. istiod and cni declare both (values.yaml `global.hub`, `global.tag`).
 * The gateway chart reads neither: its pods ask for `image: auto`, which istiod's injection fills
 * from istiod's own `global.hub`/`global.tag`; its values.schema.json takes any `global` key, so the
 * same pair is set there too, and a gateway chart that ever reads them gets the pinned images.
 */
export function istioImageValues(version: string): { global: { hub: string; tag: string } } {
  return { global: { hub: ISTIO_HUB, tag: version } };
}

/** Values of the base chart: the default revision, and the validation webhook of an external istiod. */
export function baseValues(args: Pick<IstioArgs, "externalIstiod">): Record<string, unknown> {
  const ext = args.externalIstiod;
  return { defaultRevision: "default", ...(ext ? validationWebhookValues(ext) : {}) };
}

/**
 * Values of the istiod chart: the images, CNI instead of init containers, the trust domain,
 * replicas, access logs, Prometheus merge, and the webhooks of an external istiod. Keys sit at the
 * top level: the chart keeps its own defaults under `_internal_defaults_do_not_set` and merges what
 * is set at the top level over them.
 */
export function istiodValues(
  args: Pick<
    IstioArgs,
    | "version"
    | "istiodReplicas"
    | "accessLogs"
    | "trustDomain"
    | "outboundTrafficPolicy"
    | "tracing"
    | "externalIstiod"
    | "requests"
  >,
): Record<string, unknown> {
  const { min, max } = args.istiodReplicas;
  const ext = args.externalIstiod;
  const r = args.requests;
  const { global } = istioImageValues(args.version);
  return {
    // The sidecar's requests only: the chart's limits stay (sizes.ts LIMITS.proxy).
    global: r ? { ...global, proxy: requestsValue(r.proxy) } : global,
    ...(r ? requestsValue(r.istiod) : {}),
    // An external istiod: both webhooks point at it (istio-webhooks.ts names the chart keys).
    ...(ext ? { ...injectionWebhookValues(ext), ...validationWebhookValues(ext) } : {}),
    // With istio-cni the injector adds no NET_ADMIN init container: injected pods pass the restricted profile.
    cni: { enabled: true },
    // istiod's own container (templates/deployment.yaml renders the top-level `seccompProfile` into
    // it): with RuntimeDefault istiod meets the restricted profile that istio-system warns at,
    // although the namespace enforces privileged for istio-cni's node agent.
    seccompProfile: { type: "RuntimeDefault" },
    // The chart renders its HorizontalPodAutoscaler only while autoscaleEnabled is true, and then
    // ignores replicaCount; with equal bounds a fixed replica count is what is meant.
    ...(max > min
      ? { autoscaleEnabled: true, autoscaleMin: min, autoscaleMax: max }
      : { autoscaleEnabled: false, replicaCount: min }),
    // Native sidecars let Jobs (the verification probes) complete: the proxy stops with the main container.
    env: { ENABLE_NATIVE_SIDECARS: "true" },
    meshConfig: {
      trustDomain: args.trustDomain,
      accessLogFile: args.accessLogs ? "/dev/stdout" : "",
      accessLogEncoding: "JSON",
      // The injector points each pod's prometheus.io/port at the agent (15020), which serves the
      // app's metrics merged with Envoy's in plaintext, so Prometheus outside the mesh can scrape.
      enablePrometheusMerge: true,
      defaultConfig: { ...PROXY_CONFIG },
      // REGISTRY_ONLY: a host without a ServiceEntry gets a 502 (HTTP) or a closed connection from
      // the sidecar (istio/api mesh/v1alpha1/config.proto, OutboundTrafficPolicy).
      outboundTrafficPolicy: { mode: args.outboundTrafficPolicy },
      // The Telemetry resource selects this provider by name and sets the sampling rate
      // (MeshConfig.ExtensionProvider.OpenTelemetryTracingProvider: service, port; gRPC by default).
      ...(args.tracing
        ? {
            extensionProviders: [
              {
                name: TRACING_PROVIDER,
                opentelemetry: { service: args.tracing.host, port: args.tracing.port },
              },
            ],
          }
        : {}),
    },
  };
}

/**
 * A gateway pod's security context that passes the restricted profile. The chart sets no seccomp
 * profile (templates/deployment.yaml sets only the sysctl below when `securityContext` is empty, and
 * istiod's gateway injection template adds none to the proxy), so it is set here together with the
 * sysctl the chart would have set, which lets Envoy bind 443 without root and is among the Pod
 * Security Standards' safe sysctls. The container context the chart sets by default already drops
 * every capability and runs as non-root, and the gateway template adds no init container.
 */
export const GATEWAY_POD_SECURITY = {
  seccompProfile: { type: "RuntimeDefault" },
  sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
} as const;

/**
 * Values of the gateway chart, the ingress gateway's and the egress gateway's. The pod's own
 * `resources` (the chart's `resources`) win over what istiod's gateway injection template would
 * give the proxy, so gateways ask what `requests` says.
 */
export function gatewayValues(
  args: Pick<IstioArgs, "version" | "gatewayServiceType" | "gatewayReplicas">,
  requests?: Requests,
): Record<string, unknown> {
  const { min, max } = args.gatewayReplicas;
  return {
    ...istioImageValues(args.version),
    ...(requests ? requestsValue(requests) : {}),
    service: { type: args.gatewayServiceType },
    securityContext: GATEWAY_POD_SECURITY,
    replicaCount: min,
    autoscaling: { enabled: max > min, minReplicas: min, maxReplicas: max },
    podDisruptionBudget: min > 1 ? { minAvailable: 1 } : {},
  };
}

/**
 * Istio from its official charts, in the order an empty cluster needs: base (CRDs) -> istiod ->
 * cni -> gateway.
 *
 * helm.v3.Release, not helm.v4.Chart: a Release installs through Helm itself, so chart hooks run,
 * CRDs from `base` exist before istiod's objects are applied, and each step waits until its
 * workloads are ready (istiod's injection webhook must answer before any injected pod starts).
 * The cost is visibility: a preview shows the values diff of each release, not every rendered
 * object, and policies see the Release rather than its Deployments. For a control plane that is
 * upgraded by bumping one version, reviewing values is the diff that matters.
 */
export class Istio extends pulumi.ComponentResource {
  /** Resources every Istio custom resource must wait for. */
  public readonly controlPlane: pulumi.Resource[];
  public readonly gateway: k8s.helm.v3.Release;
  public readonly gatewayNamespace: pulumi.Output<string>;
  public readonly systemNamespace: pulumi.Output<string>;
  public readonly version: string;

  constructor(name: string, args: IstioArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:mesh:Istio", name, {}, opts);
    const { min, max } = args.istiodReplicas;
    if (min < 1 || min > max) {
      throw new Error(`istiodReplicas: min ${min} and max ${max}: expected 1 <= min <= max`);
    }
    if (args.externalIstiod) checkExternalIstiod(args.externalIstiod);
    const r = args.requests;
    const namespace = (role: string, ns: string, enforce: PodSecurityLevel) =>
      new k8s.core.v1.Namespace(
        `${name}-${role}-ns`,
        {
          metadata: {
            name: ns,
            labels: { ...standardLabels("istio", role), ...podSecurityLabels(enforce) },
          },
        },
        { parent: this },
      );
    // istio-cni's node agent is privileged by nature; it runs in istio-system, which allows it.
    const system = namespace("system", ISTIO.namespace, "privileged");
    const gatewayNs = namespace("gateway", args.gatewayNamespace, "baseline");

    const release = (
      ref: ChartRef,
      releaseName: string,
      ns: k8s.core.v1.Namespace,
      values: pulumi.Inputs,
      dependsOn: pulumi.Resource[],
    ) =>
      new k8s.helm.v3.Release(
        `${name}-${ref.chart}`,
        {
          name: releaseName,
          ...chartLocation(ref, args.version, args.chartSource),
          namespace: ns.metadata.name,
          values,
          atomic: true,
          cleanupOnFail: true,
          timeout: 600,
        },
        { parent: this, dependsOn },
      );

    const caSecret = args.pluginCa
      ? new k8s.core.v1.Secret(
          `${name}-cacerts`,
          {
            // istiod reads its plug-in CA from exactly this name and these keys.
            metadata: {
              name: "cacerts",
              namespace: system.metadata.name,
              labels: standardLabels("istio", "ca"),
            },
            stringData: {
              "ca-cert.pem": args.pluginCa.certPem,
              "ca-key.pem": pulumi.secret(args.pluginCa.keyPem),
              "root-cert.pem": args.pluginCa.rootCertPem,
              "cert-chain.pem": args.pluginCa.chainPem,
            },
          },
          { parent: this },
        )
      : undefined;

    const base = release(CHARTS.istioBase, "istio-base", system, baseValues(args), []);
    const istiod = release(CHARTS.istiod, "istiod", system, istiodValues(args), [
      base,
      ...(caSecret ? [caSecret] : []),
    ]);
    const cniValues = { ...istioImageValues(args.version), ...(r ? requestsValue(r.cni) : {}) };
    const cni = release(CHARTS.istioCni, "istio-cni", system, cniValues, [istiod]);
    const ingress = gatewayValues(args, r?.gateway);
    this.gateway = release(CHARTS.istioGateway, GATEWAY_RELEASE, gatewayNs, ingress, [istiod, cni]);

    this.controlPlane = [base, istiod, cni];
    this.gatewayNamespace = gatewayNs.metadata.name;
    this.systemNamespace = system.metadata.name;
    this.version = args.version;
    this.registerOutputs({ version: this.version, gatewayNamespace: this.gatewayNamespace });
  }
}

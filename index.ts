import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Certificates } from "./components/certificates";
import { PingpongImage, registryServer } from "./components/image";
import { AppTlsSecrets, IstioIngress, KubernetesIngress } from "./components/ingress";
import { GATEWAY_RELEASE, Istio, gatewayPodLabels } from "./components/istio";
import { MeshSecurity, spiffeId, type Identity } from "./components/mesh-security";
import { Namespaces } from "./components/namespaces";
import { Observability } from "./components/observability";
import { PingpongService } from "./components/pingpong-service";
import { pullSecret } from "./components/pull-secret";
import { OperatorAccess } from "./components/rbac";
import { Traffic, meshVirtualServiceSpec, type Canary } from "./components/traffic";
import { Toolbox, VERIFIER_LABELS, Verification, type Check } from "./components/verification";
import {
  CANARY_VERSION,
  PRIMARY_VERSION,
  TLS_MOUNT,
  serviceHost,
  serviceSelector,
  type AllowedPeer,
} from "./components/workload";
import { loadSettings } from "./stacks";

const settings = loadSettings();
const tlsMode = settings.tls.termination;

const provider = new k8s.Provider("kubernetes", {
  context: settings.cluster.context,
  kubeconfig: settings.cluster.kubeconfig,
});
const onCluster: pulumi.ComponentResourceOptions = { providers: [provider] };

const credentials = settings.image.credentials;
const image = new PingpongImage("pingpong-image", {
  registry: settings.image.registry,
  repository: settings.image.repository,
  tag: settings.stack,
  context: ".",
  dockerfile: "app/Dockerfile",
  platform: settings.image.platform,
  credentials: credentials && {
    username: credentials.username,
    password: pulumi.secret(credentials.password),
  },
});
const pullCredentials = credentials && {
  server: registryServer(settings.image.registry),
  username: credentials.username,
  password: pulumi.secret(credentials.password),
};

const certificates = new Certificates("certificates", {
  // When the app terminates TLS, its certificate must also name the Services peers call.
  dnsNames: [
    ...settings.tls.hosts,
    ...(tlsMode === "app" ? [serviceHost(settings.namespaces.a), serviceHost(settings.namespaces.b)] : []),
  ],
  organization: "pingpong",
  keyAlgorithm: settings.tls.keyAlgorithm,
  validityHours: settings.tls.validityHours,
  earlyRenewalHours: settings.tls.earlyRenewalHours,
  caValidityHours: settings.tls.caValidityHours,
  intermediateCa: settings.mesh.pluginCa,
});

const istio = new Istio(
  "istio",
  {
    version: settings.mesh.istioVersion,
    gatewayNamespace: settings.namespaces.gateway,
    gatewayServiceType: settings.mesh.gateway.serviceType,
    gatewayReplicas: { min: settings.mesh.gateway.minReplicas, max: settings.mesh.gateway.maxReplicas },
    istiodReplicas: settings.mesh.istiodReplicas,
    trustDomain: settings.mesh.trustDomain,
    accessLogs: settings.mesh.accessLogs,
    pluginCa: certificates.intermediate && {
      certPem: certificates.intermediate.certPem,
      keyPem: certificates.intermediate.keyPem,
      rootCertPem: certificates.caCertPem,
      chainPem: certificates.intermediate.chainPem,
    },
  },
  onCluster,
);

// The pingpong namespaces wait for istiod and istio-cni: pods created earlier would start without a sidecar.
const ns = new Namespaces(
  "namespaces",
  {
    namespaces: {
      a: { name: settings.namespaces.a, sidecarInjection: true },
      b: { name: settings.namespaces.b, sidecarInjection: true },
      c: { name: settings.namespaces.c, sidecarInjection: false },
    },
  },
  { ...onCluster, dependsOn: istio.controlPlane },
);

const appTls =
  tlsMode === "app"
    ? new AppTlsSecrets(
        "app-tls",
        {
          namespaces: { a: ns.names.a, b: ns.names.b },
          certPem: certificates.serverCertPem,
          keyPem: certificates.serverKeyPem,
          caPem: certificates.caCertPem,
        },
        onCluster,
      )
    : undefined;
const scheme = appTls ? "https" : "http";

const w = settings.workload;
const gatewayIdentity: Identity = { namespace: istio.gatewayNamespace, serviceAccount: GATEWAY_RELEASE };
const ingressControllerIdentity: Identity = settings.tls.ingressController;
/** Who may call pingpong-a from outside the pair: the component terminating HTTPS, if any. */
const edgeCallers: Identity[] =
  tlsMode === "istio" ? [gatewayIdentity] : tlsMode === "ingress" ? [ingressControllerIdentity] : [];

/**
 * Each side is called by its peer (and the peer namespace's verification probe), by the
 * out-of-mesh test namespace, which the mesh (not the network) must refuse, and, for pingpong-a,
 * by the edge.
 */
function trafficRules(peer: pulumi.Input<string>, edge: Identity[]) {
  if (!settings.networkPolicy) return undefined;
  const peerPods: AllowedPeer = { namespace: peer, podLabels: serviceSelector() };
  return {
    callers: [
      peerPods,
      { namespace: peer, podLabels: VERIFIER_LABELS },
      { namespace: ns.names.c },
      ...edge.map((e) => ({ namespace: e.namespace })),
    ],
    scrapers: [{ namespace: settings.namespaces.monitoring }],
    pingTargets: [peerPods],
  };
}
const canarySettings = settings.traffic.canary;
/** The canary of an instance, as the mesh routes it; none unless settings list the instance. */
const canaryOf = (key: "a" | "b"): Canary | undefined =>
  canarySettings?.instances.includes(key)
    ? {
        version: CANARY_VERSION,
        weights: canarySettings.weights,
        header: canarySettings.header,
        mirrorPercent: canarySettings.mirrorPercent,
      }
    : undefined;
const instance = (key: "a" | "b", peer: "a" | "b", edge: Identity[]) => ({
  namespace: ns.names[key],
  target: PingpongService.urlIn(ns.names[peer], scheme),
  image: image.ref,
  pullCredentials,
  version: PRIMARY_VERSION,
  replicas: w.replicas,
  autoscaling: w.autoscaling,
  pdbMinAvailable: w.pdbMinAvailable,
  workload: w,
  tls: appTls && { secretName: appTls.secretNames[key] },
  canary:
    canarySettings && canaryOf(key)
      ? {
          version: CANARY_VERSION,
          image: canarySettings.image ?? image.ref,
          replicas: canarySettings.replicas,
        }
      : undefined,
  networkPolicy: trafficRules(ns.names[peer], edge),
});
const pingpongA = new PingpongService("pingpong-a", instance("a", "b", edgeCallers), onCluster);
const pingpongB = new PingpongService("pingpong-b", instance("b", "a", []), onCluster);

const resilience = settings.traffic.resilience;
for (const [key, svc] of [
  ["a", pingpongA],
  ["b", pingpongB],
] as const) {
  new Traffic(
    `traffic-${key}`,
    {
      namespace: svc.namespace,
      host: svc.host,
      primaryVersion: PRIMARY_VERSION,
      canary: canaryOf(key),
      resilience,
      controlPlane: istio.controlPlane,
    },
    onCluster,
  );
}

const identityOf = (svc: PingpongService): Identity => ({
  namespace: svc.namespace,
  serviceAccount: svc.serviceAccountName,
});
const security = new MeshSecurity(
  "mesh-security",
  {
    trustDomain: settings.mesh.trustDomain,
    namespaces: {
      a: { namespace: pingpongA.namespace, callers: [identityOf(pingpongB), ...edgeCallers] },
      b: { namespace: pingpongB.namespace, callers: [identityOf(pingpongA)] },
    },
    scraperNamespaces: [settings.namespaces.monitoring],
    httpRules: tlsMode !== "app",
    meshWide: settings.mesh.meshWideMtls ? { rootNamespace: istio.systemNamespace } : undefined,
    controlPlane: istio.controlPlane,
  },
  onCluster,
);

let ingressUrls: string[];
if (tlsMode === "istio") {
  ingressUrls = new IstioIngress(
    "ingress",
    {
      hosts: settings.tls.hosts,
      certPem: certificates.serverCertPem,
      keyPem: certificates.serverKeyPem,
      gatewayNamespace: istio.gatewayNamespace,
      gatewaySelector: gatewayPodLabels(GATEWAY_RELEASE),
      backend: { namespace: pingpongA.namespace, serviceName: pingpongA.serviceName },
      // Traffic from outside follows the same version split and resilience as traffic inside the mesh.
      routes: (host) =>
        meshVirtualServiceSpec(host, PRIMARY_VERSION, resilience, canaryOf("a")).http as Record<
          string,
          unknown
        >[],
      dependsOn: [...istio.controlPlane, istio.gateway],
    },
    onCluster,
  ).urls;
} else if (tlsMode === "ingress") {
  ingressUrls = new KubernetesIngress(
    "ingress",
    {
      hosts: settings.tls.hosts,
      certPem: certificates.serverCertPem,
      keyPem: certificates.serverKeyPem,
      ingressClassName: settings.tls.ingressClassName,
      backend: { namespace: pingpongA.namespace, serviceName: pingpongA.serviceName },
    },
    onCluster,
  ).urls;
} else {
  ingressUrls = [];
}

new OperatorAccess("operators", { namespaces: ns.names, group: settings.rbac.operatorGroup }, onCluster);
new Toolbox("toolbox", { namespace: ns.names.c, image: settings.verification.toolboxImage }, onCluster);

const observability = new Observability(
  "observability",
  {
    mode: settings.observability.monitoring,
    monitoringNamespace: settings.namespaces.monitoring,
    prometheusStackVersion: settings.observability.prometheusStackVersion,
    namespaces: { a: pingpongA.namespace, b: pingpongB.namespace },
    istioRootNamespace: istio.systemNamespace,
    accessLogs: settings.mesh.accessLogs,
    monitorLabels: settings.observability.monitorLabels,
    dashboardNamespace: settings.observability.dashboardNamespace,
    controlPlane: istio.controlPlane,
  },
  onCluster,
);

let verification: Verification | undefined;
if (settings.verification.enabled) {
  const callerOfA = pulumi
    .all([pingpongA.namespace, pingpongA.serviceAccountName])
    .apply(([n, sa]) => spiffeId(settings.mesh.trustDomain, n, sa));
  const tlsFiles = appTls ? { caFile: `${TLS_MOUNT.path}/ca.crt` } : {};
  const checks: Check[] = [
    {
      name: "a-to-b",
      namespace: pingpongA.namespace,
      serviceAccount: pingpongA.serviceAccountName,
      inMesh: true,
      url: pingpongB.url,
      expect: "success",
      // When the app terminates TLS the mesh carries opaque TLS and sets no client-certificate header.
      expectCaller: appTls ? undefined : callerOfA,
      tlsSecretName: appTls?.secretNames.a,
      ...tlsFiles,
    },
    ...(["a", "b"] as const).map((target): Check => ({
      name: `c-to-${target}`,
      namespace: ns.names.c,
      inMesh: false,
      url: (target === "a" ? pingpongA : pingpongB).url,
      expect: "failure",
      expectError: "ECONNRESET",
    })),
  ];
  const pullSecretC =
    pullCredentials && pullSecret("verification-pull-secret", ns.names.c, pullCredentials, { provider });
  verification = new Verification(
    "verification",
    {
      image: image.ref,
      checks,
      triggers: [image.ref, certificates.caCertPem, security.policyFingerprint, settings.tls.termination],
      dependsOn: [pingpongA, pingpongB, security],
      imagePullSecret: pullSecretC?.metadata.name,
    },
    onCluster,
  );
}

export const environment = settings.environment;
export const namespaces = ns.names;
export const serviceHosts = { a: pingpongA.host, b: pingpongB.host };
export const pingUrls = { a: pingpongA.url, b: pingpongB.url };
export const imageRef = image.ref;
export const istioVersion = istio.version;
export const tlsTermination = tlsMode;
export const ingress = { urls: ingressUrls, gatewayNamespace: istio.gatewayNamespace };
export const caCertificatePem = certificates.caCertPem;
export const certificateExpiry = certificates.serverExpiry;
export const mtlsModes = security.mtlsModes;
export const verificationResults = verification?.results ?? {};
export const canary = canarySettings
  ? {
      instances: canarySettings.instances,
      weights: { v1: canarySettings.weights.primary, v2: canarySettings.weights.canary },
    }
  : null;
export const dashboardUid = observability.dashboardUid ?? null;

/**
 * The contract for dashboards and other stacks (see README, "Stack outputs"): one object, stable
 * field names, plain values. stacks/status-page.ts consumes it.
 */
export const summary = {
  environment: settings.environment,
  endpoints: { ingress: ingressUrls, internal: { a: pingpongA.url, b: pingpongB.url } },
  namespaces: ns.names,
  image: { ref: image.ref, digest: image.digest },
  istioVersion: istio.version,
  certificate: { expiry: certificates.serverExpiry },
  mtls: security.mtlsModes,
  canary: canary && canary.weights,
  dashboardUid: observability.dashboardUid ?? null,
};

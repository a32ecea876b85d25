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
import { Traffic, meshVirtualServiceSpec } from "./components/traffic";
import { Toolbox, Verification, type Check } from "./components/verification";
import { PRIMARY_VERSION, TLS_MOUNT } from "./components/workload";
import { loadSettings } from "./stacks";
import { INSTANCE_KEYS, plan, type Caller, type CheckPlan, type InstanceKey } from "./stacks/plan";

// Settings -> plan (every decision, as data) -> components; this file only wires Outputs between them.
/**
 * The program. Pulumi calls the exported function and takes the object it returns as the stack
 * outputs; tests call it once per variant under mocks, without reloading the SDK each time.
 */
function pingpong() {
  const s = loadSettings();
  const p = plan(s);
  const provider = new k8s.Provider("kubernetes", {
    context: s.cluster.context,
    kubeconfig: s.cluster.kubeconfig,
  });
  const onCluster: pulumi.ComponentResourceOptions = { providers: [provider] };

  const login = s.image.credentials;
  const credentials = login && { username: login.username, password: pulumi.secret(login.password) };
  const image = new PingpongImage("pingpong-image", { ...p.image, credentials });
  const pullCredentials = credentials && { server: registryServer(s.image.registry), ...credentials };
  const certs = new Certificates("certificates", p.certificates);
  const ca = certs.intermediate;
  const pluginCa = ca && {
    certPem: ca.certPem,
    keyPem: ca.keyPem,
    rootCertPem: certs.caCertPem,
    chainPem: ca.chainPem,
  };
  const istio = new Istio("istio", { ...p.istio, pluginCa }, onCluster);
  const afterIstio = { ...onCluster, dependsOn: istio.controlPlane };
  // The pingpong namespaces wait for istiod and istio-cni: pods created earlier would start without a sidecar.
  const ns = new Namespaces("namespaces", { namespaces: p.namespaces }, afterIstio);
  const serverTls = { certPem: certs.serverCertPem, keyPem: certs.serverKeyPem };
  const appTls =
    p.edge.scheme === "https"
      ? new AppTlsSecrets(
          "app-tls",
          { namespaces: { a: ns.names.a, b: ns.names.b }, ...serverTls, caPem: certs.caCertPem },
          onCluster,
        )
      : undefined;

  const svc = {} as Record<InstanceKey, PingpongService>;
  for (const key of INSTANCE_KEYS) {
    const { target, network: networkPolicy, canary } = p.instances[key];
    const tls = appTls && { secretName: appTls.secretNames[key] };
    const v2 = canary && {
      version: canary.version,
      image: canary.image ?? image.ref,
      replicas: canary.replicas,
    };
    const args = {
      ...p.workload,
      namespace: ns.names[key],
      target,
      image: image.ref,
      pullCredentials,
      networkPolicy,
    };
    svc[key] = new PingpongService(`pingpong-${key}`, { ...args, tls, canary: v2 }, onCluster);
    const { namespace, host } = svc[key];
    const routing = { primaryVersion: PRIMARY_VERSION, canary, resilience: s.traffic.resilience };
    new Traffic(
      `traffic-${key}`,
      { namespace, host, ...routing, controlPlane: istio.controlPlane },
      onCluster,
    );
  }
  const identity = (key: InstanceKey): Identity => ({
    namespace: svc[key].namespace,
    serviceAccount: svc[key].serviceAccountName,
  });
  const resolve = (c: Caller): Identity => (c.kind === "instance" ? identity(c.instance) : c.identity);
  const protect = (key: InstanceKey) => ({
    namespace: svc[key].namespace,
    callers: p.instances[key].callers.map(resolve),
  });
  const security = new MeshSecurity(
    "mesh-security",
    {
      trustDomain: s.mesh.trustDomain,
      namespaces: { a: protect("a"), b: protect("b") },
      httpRules: p.edge.httpRules,
      scraperNamespaces: [s.namespaces.monitoring],
      controlPlane: istio.controlPlane,
      meshWide: s.mesh.meshWideMtls ? { rootNamespace: istio.systemNamespace } : undefined,
    },
    onCluster,
  );

  const edge = {
    hosts: s.tls.hosts,
    ...serverTls,
    backend: { namespace: svc.a.namespace, serviceName: svc.a.serviceName },
  };
  if (p.edge.mode === "istio") {
    // Traffic from outside follows the same version split and resilience as traffic inside the mesh.
    const routes = (host: string) =>
      meshVirtualServiceSpec(host, PRIMARY_VERSION, s.traffic.resilience, p.instances.a.canary).http;
    const gateway = {
      gatewayNamespace: istio.gatewayNamespace,
      gatewaySelector: gatewayPodLabels(GATEWAY_RELEASE),
    };
    new IstioIngress(
      "ingress",
      { ...edge, ...gateway, routes, dependsOn: [...istio.controlPlane, istio.gateway] },
      onCluster,
    );
  } else if (p.edge.mode === "ingress") {
    new KubernetesIngress("ingress", { ...edge, ingressClassName: s.tls.ingressClassName }, onCluster);
  }

  new OperatorAccess("operators", { namespaces: ns.names, group: s.rbac.operatorGroup }, onCluster);
  new Toolbox("toolbox", { namespace: ns.names.c, image: s.verification.toolboxImage }, onCluster);
  const observability = new Observability(
    "observability",
    {
      ...p.observability,
      namespaces: { a: svc.a.namespace, b: svc.b.namespace },
      istioRootNamespace: istio.systemNamespace,
      controlPlane: istio.controlPlane,
    },
    onCluster,
  );

  const spiffe = (key: InstanceKey) =>
    pulumi
      .all([svc[key].namespace, svc[key].serviceAccountName])
      .apply(([n, sa]) => spiffeId(s.mesh.trustDomain, n, sa));
  const check = (c: CheckPlan): Check => {
    const from = "instance" in c.from ? c.from.instance : undefined;
    const appSecret = c.tls && from ? appTls?.secretNames[from] : undefined;
    return {
      name: c.name,
      namespace: from ? svc[from].namespace : ns.names.c,
      serviceAccount: from && svc[from].serviceAccountName,
      inMesh: from !== undefined,
      url: svc[c.to].url,
      expect: c.expect,
      expectError: c.expectError,
      expectCaller: c.expectCallerOf && spiffe(c.expectCallerOf),
      ...(appSecret ? { tlsSecretName: appSecret, caFile: `${TLS_MOUNT.path}/ca.crt` } : {}),
    };
  };
  const pullSecretC =
    pullCredentials && p.checks.length > 0
      ? pullSecret("verification-pull-secret", ns.names.c, pullCredentials, { provider })
      : undefined;
  const triggers = [image.ref, certs.caCertPem, security.policyFingerprint, p.edge.mode];
  const verification =
    p.checks.length > 0
      ? new Verification(
          "verification",
          {
            image: image.ref,
            checks: p.checks.map(check),
            triggers,
            dependsOn: [svc.a, svc.b, security],
            imagePullSecret: pullSecretC?.metadata.name,
          },
          onCluster,
        )
      : undefined;

  const c = s.traffic.canary;
  const canary = c
    ? { instances: c.instances, weights: { v1: c.weights.primary, v2: c.weights.canary } }
    : null;
  const environment = s.environment;
  const namespaces = ns.names;
  const serviceHosts = { a: svc.a.host, b: svc.b.host };
  const pingUrls = { a: svc.a.url, b: svc.b.url };
  const imageRef = image.ref;
  const istioVersion = istio.version;
  const tlsTermination = p.edge.mode;
  const ingress = { urls: p.edge.ingressUrls, gatewayNamespace: istio.gatewayNamespace };
  const caCertificatePem = certs.caCertPem;
  const certificateExpiry = certs.serverExpiry;
  const mtlsModes = security.mtlsModes;
  const verificationResults = verification?.results ?? {};
  const dashboardUid = observability.dashboardUid ?? null;
  /** The contract for dashboards and other stacks (docs/architecture.md, "Stack outputs"); stacks/status-page.ts consumes it. */
  const summary = {
    environment,
    endpoints: { ingress: p.edge.ingressUrls, internal: pingUrls },
    namespaces,
    image: { ref: image.ref, digest: image.digest },
    istioVersion,
    certificate: { expiry: certificateExpiry },
    mtls: mtlsModes,
    canary: canary && canary.weights,
    dashboardUid,
  };
  return {
    canary,
    environment,
    namespaces,
    serviceHosts,
    pingUrls,
    imageRef,
    istioVersion,
    tlsTermination,
    ingress,
    caCertificatePem,
    certificateExpiry,
    mtlsModes,
    verificationResults,
    dashboardUid,
    summary,
  };
}

export = pingpong;

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CanaryAnalysis } from "./components/canary-analysis";
import { stackCertificates } from "./components/certificates";
import { appImage } from "./components/image";
import { AppTlsSecrets, edgeIngress } from "./components/ingress";
import { GATEWAY_RELEASE, Istio, gatewayPodLabels } from "./components/istio";
import { Egress } from "./components/egress";
import { Kiali } from "./components/kiali";
import { MeshSecurity } from "./components/mesh-security";
import { Namespaces } from "./components/namespaces";
import { NetworkIsolation } from "./components/network-isolation";
import { Observability } from "./components/observability";
import { programOwnsItsFields } from "./components/ownership";
import { PingpongService } from "./components/pingpong-service";
import { LocalRateLimit } from "./components/rate-limit";
import { PULL_SECRET_NAME } from "./components/pull-secret";
import { OperatorAccess } from "./components/rbac";
import { ArgoRollouts } from "./components/rollouts";
import { Traffic, meshRoutes, rolloutTrafficRouting } from "./components/traffic";
import { Toolbox } from "./components/toolbox";
import { Jaeger } from "./components/tracing";
import { Verification } from "./components/verification";
import { PRIMARY_VERSION } from "./components/workload";
import { loadSettings } from "./stacks";
import { stackOutputs } from "./stacks/outputs";
import { INSTANCE_KEYS, plan, type InstanceKey } from "./stacks/plan";

const forEachInstance = <T>(make: (key: InstanceKey) => T) =>
  Object.fromEntries(INSTANCE_KEYS.map((key) => [key, make(key)])) as Record<InstanceKey, T>;

/**
 * The program: settings -> plan (every decision, as data) -> components. Pulumi calls the exported
 * function and takes the object it returns as the stack outputs; tests call it once per variant.
 */
function pingpong() {
  const s = loadSettings();
  const p = plan(s);
  const provider = new k8s.Provider("kubernetes", { ...s.cluster });
  // Every object the program applies takes back the fields it declares (components/ownership.ts).
  const onCluster: pulumi.ComponentResourceOptions = {
    providers: [provider],
    transformations: [programOwnsItsFields],
  };

  const image = appImage("pingpong-image", p.image, s.image.credentials);
  const { pullCredentials } = image;
  // Generated with the tls provider, or the user's own PKI (no resource): the plan decides.
  const certs = stackCertificates("certificates", p.certificates);
  const { tracing: t, kiali: k, egress: e, rateLimit: limit, delivery: d } = p.addons;
  const jaeger = t?.jaeger && new Jaeger("jaeger", t.jaeger, onCluster);
  const tracing = jaeger ? jaeger.otlp : p.istio.tracing;
  const istio = new Istio("istio", { ...p.istio, tracing, pluginCa: certs.intermediate }, onCluster);
  const { controlPlane } = istio;
  // The pingpong namespaces wait for istiod and istio-cni: pods created earlier would start without a sidecar.
  const afterIstio = { ...onCluster, dependsOn: controlPlane };
  const ns = new Namespaces("namespaces", { namespaces: p.namespaces }, afterIstio);
  // No pod of the three namespaces sends anywhere a policy does not name, so the egress gateway is the
  // way out of the cluster (the pingpong pods' own policies come with their instances).
  const network = p.network;
  const isolation = network
    ? (["a", "b", "c"] as const).map(
        (key) =>
          new NetworkIsolation(`network-${key}`, { namespace: ns.names[key], pods: network[key] }, onCluster),
      )
    : [];
  const appCert = {
    namespaces: forEachInstance((key) => ns.names[key]),
    ...certs.server,
    caPem: certs.caCertPem,
  };
  const appTls = p.edge.scheme === "https" ? new AppTlsSecrets("app-tls", appCert, onCluster) : undefined;

  // Automated canary analysis: the controller, and the template the instance's Rollout runs.
  const rollouts = d && new ArgoRollouts("argo-rollouts", d, onCluster);
  const analysed = d && {
    ...d,
    namespace: ns.names[d.instance],
    canaryUrl: PingpongService.canaryUrlIn(ns.names[d.instance]),
    image: image.ref,
    imagePullSecretName: pullCredentials && PULL_SECRET_NAME,
    dependsOn: rollouts?.ready,
  };
  const analysis = analysed && new CanaryAnalysis("canary-analysis", analysed, onCluster);
  const svc = forEachInstance((key) => {
    const { target, network, canary, traffic: routing } = p.instances[key];
    const rollout = analysis &&
      routing.analysis && {
        analysisTemplate: analysis.templateName,
        trafficRouting: rolloutTrafficRouting(routing.analysis),
        dependsOn: rollouts?.ready,
      };
    const tls = appTls && { secretName: appTls.secretNames[key] };
    const args = { ...p.workload, namespace: ns.names[key], image: image.ref, pullCredentials, tls };
    const service = new PingpongService(
      `pingpong-${key}`,
      { ...args, target, canary, rollout, networkPolicy: network },
      onCluster,
    );
    const { namespace, host } = service;
    new Traffic(`traffic-${key}`, { ...p.instances[key].traffic, namespace, host, controlPlane }, onCluster);
    return service;
  });
  const protect = (key: InstanceKey) => ({
    namespace: svc[key].namespace,
    callers: p.instances[key].callers.map((c) => {
      if (c.kind === "instance") return svc[c.instance].identity;
      // The acceptance Job's real ServiceAccount, which the analysis creates under the planned name.
      return c.kind === "acceptance" && analysis ? analysis.acceptanceIdentity : c.identity;
    }),
  });
  const security = new MeshSecurity(
    "mesh-security",
    {
      ...p.security,
      namespaces: forEachInstance(protect),
      controlPlane,
      meshWide: p.security.meshWide ? { rootNamespace: istio.systemNamespace } : undefined,
    },
    onCluster,
  );

  const edge = { mode: p.edge.mode, hosts: s.tls.hosts, ingressClassName: s.tls.ingressClassName };
  const backend = { namespace: svc.a.namespace, serviceName: svc.a.serviceName };
  const gateway = {
    gatewayNamespace: istio.gatewayNamespace,
    gatewaySelector: gatewayPodLabels(GATEWAY_RELEASE),
    // Traffic from outside follows the same version split and resilience as traffic inside the mesh.
    routes: meshRoutes(PRIMARY_VERSION, s.traffic.resilience, p.instances.a.canary),
    dependsOn: [...controlPlane, istio.gateway],
  };
  edgeIngress("ingress", { ...edge, ...certs.server, backend, gateway }, onCluster);

  const allowed = INSTANCE_KEYS.map((key) => svc[key].identity);
  const egress = e && new Egress("egress", { ...e, allowed, controlPlane }, onCluster);
  const targets = limit?.targets.map(({ on, ...target }) => ({
    ...target,
    namespace: on === "gateway" ? istio.gatewayNamespace : svc[on].namespace,
  }));
  const limits =
    limit && targets && new LocalRateLimit("rate-limit", { ...limit, targets, controlPlane }, onCluster);

  new OperatorAccess("operators", { namespaces: ns.names, group: s.rbac.operatorGroup }, onCluster);
  new Toolbox("toolbox", { namespace: ns.names.c, image: s.verification.toolboxImage }, onCluster);
  const observability = new Observability(
    "observability",
    {
      ...p.observability,
      namespaces: forEachInstance((k) => svc[k].namespace),
      istioRootNamespace: istio.systemNamespace,
      controlPlane,
      jaegerQueryUrl: jaeger?.queryUrl,
    },
    onCluster,
  );
  const kialiDeps = [...controlPlane, ...observability.installed];
  const kiali =
    k && new Kiali("kiali", { ...k, tracingUrl: jaeger?.queryGrpcUrl, controlPlane: kialiDeps }, onCluster);

  const endpoints = forEachInstance((k) => ({
    identity: svc[k].identity,
    url: svc[k].url,
    tlsSecretName: appTls?.secretNames[k],
  }));
  const verify = {
    image: image.ref,
    checks: p.checks,
    endpoints,
    outsideNamespace: ns.names.c,
    trustDomain: s.mesh.trustDomain,
    // What the checks prove changes with these: the plan's checks carry the egress hosts and limits.
    triggers: [image.ref, certs.caCertPem, security.policyFingerprint, p.edge.mode, p.checks, p.network],
    dependsOn: [svc.a, svc.b, security, ...isolation, ...[egress, limits].filter((c) => c !== undefined)],
    pullCredentials,
  };
  const verification = p.checks.length > 0 ? new Verification("verification", verify, onCluster) : undefined;

  const components = { svc, image, istio, certs, security, verification, observability, jaeger, kiali };
  return stackOutputs({ s, p, namespaces: ns.names, ...components });
}

export = pingpong;

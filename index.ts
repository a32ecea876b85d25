import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Certificates } from "./components/certificates";
import { PingpongImage } from "./components/image";
import { AppTlsSecrets, edgeIngress } from "./components/ingress";
import { GATEWAY_RELEASE, Istio, gatewayPodLabels } from "./components/istio";
import { MeshSecurity } from "./components/mesh-security";
import { Namespaces } from "./components/namespaces";
import { Observability } from "./components/observability";
import { PingpongService } from "./components/pingpong-service";
import { OperatorAccess } from "./components/rbac";
import { Traffic, meshRoutes } from "./components/traffic";
import { Toolbox } from "./components/toolbox";
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
  const onCluster: pulumi.ComponentResourceOptions = { providers: [provider] };

  const image = new PingpongImage("pingpong-image", { ...p.image, credentials: s.image.credentials });
  const { pullCredentials } = image;
  const certs = new Certificates("certificates", p.certificates);
  const istio = new Istio("istio", { ...p.istio, pluginCa: certs.intermediate }, onCluster);
  const { controlPlane } = istio;
  // The pingpong namespaces wait for istiod and istio-cni: pods created earlier would start without a sidecar.
  const ns = new Namespaces(
    "namespaces",
    { namespaces: p.namespaces },
    { ...onCluster, dependsOn: controlPlane },
  );
  const appTls =
    p.edge.scheme === "https"
      ? new AppTlsSecrets(
          "app-tls",
          { namespaces: { a: ns.names.a, b: ns.names.b }, ...certs.server, caPem: certs.caCertPem },
          onCluster,
        )
      : undefined;

  const svc = forEachInstance((key) => {
    const { target, network, canary } = p.instances[key];
    const tls = appTls && { secretName: appTls.secretNames[key] };
    const args = { ...p.workload, namespace: ns.names[key], image: image.ref, pullCredentials, tls };
    const service = new PingpongService(
      `pingpong-${key}`,
      { ...args, target, canary, networkPolicy: network },
      onCluster,
    );
    const { namespace, host } = service;
    new Traffic(`traffic-${key}`, { ...p.instances[key].traffic, namespace, host, controlPlane }, onCluster);
    return service;
  });
  const protect = (key: InstanceKey) => ({
    namespace: svc[key].namespace,
    callers: p.instances[key].callers.map((c) =>
      c.kind === "instance" ? svc[c.instance].identity : c.identity,
    ),
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

  new OperatorAccess("operators", { namespaces: ns.names, group: s.rbac.operatorGroup }, onCluster);
  new Toolbox("toolbox", { namespace: ns.names.c, image: s.verification.toolboxImage }, onCluster);
  const observability = new Observability(
    "observability",
    {
      ...p.observability,
      namespaces: forEachInstance((k) => svc[k].namespace),
      istioRootNamespace: istio.systemNamespace,
      controlPlane,
    },
    onCluster,
  );

  const endpoints = forEachInstance((k) => ({
    identity: svc[k].identity,
    url: svc[k].url,
    tlsSecretName: appTls?.secretNames[k],
  }));
  const verification =
    p.checks.length > 0
      ? new Verification(
          "verification",
          {
            image: image.ref,
            checks: p.checks,
            endpoints,
            outsideNamespace: ns.names.c,
            trustDomain: s.mesh.trustDomain,
            triggers: [image.ref, certs.caCertPem, security.policyFingerprint, p.edge.mode],
            dependsOn: [svc.a, svc.b, security],
            pullCredentials,
          },
          onCluster,
        )
      : undefined;

  const components = { svc, image, istio, certs, security, verification, observability };
  return stackOutputs({ s, p, namespaces: ns.names, ...components });
}

export = pingpong;

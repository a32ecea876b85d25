import * as pulumi from "@pulumi/pulumi";
import { PATHS } from "../../app/src/contract";
import type { HttpRoute } from "../../components/crds";
import {
  AppTlsSecrets,
  IstioIngress,
  KubernetesIngress,
  edgeIngress,
  type IstioIngressArgs,
  type KubernetesIngressArgs,
} from "../../components/ingress";
import { PORTS, serviceHost } from "../../components/workload";
import {
  isSecretPath,
  nameOf,
  namespaceOf,
  ofType,
  runComponent,
  type ProgramRun,
  type Recorded,
} from "../support/program";
import { T } from "../support/tokens";

/**
 * The edge components alone: HTTPS at the Istio gateway, at an Ingress controller, or in the app
 * (its certificate Secrets). How the program wires them to the Service and the gateway release:
 * test/program/edge.test.ts.
 */

const HOSTS = ["pingpong.example.com", "pingpong.example.org"];
const TLS = { certPem: "server-cert", keyPem: "server-key" };
const BACKEND = { namespace: "team-a", serviceName: "pong" };
const BACKEND_HOST = serviceHost(BACKEND.namespace, BACKEND.serviceName);
/** A route builder that says which host it was built for. */
const routes = (host: string): HttpRoute[] => [{ name: "default", route: [{ destination: { host } }] }];
const ISTIO: Omit<IstioIngressArgs, "dependsOn"> = {
  hosts: HOSTS,
  ...TLS,
  gatewayNamespace: "edge",
  gatewaySelector: { app: "edge-gateway", istio: "edge" },
  backend: BACKEND,
  routes,
};
const NGINX: KubernetesIngressArgs = { hosts: HOSTS, ...TLS, ingressClassName: "public", backend: BACKEND };

/** Stands in for Istio's releases: the custom resources must wait for them. */
class ControlPlane extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ControlPlane", name, {});
  }
}
const controlPlane = () => [new ControlPlane("istiod")];
const only = (run: ProgramRun, type: string): Recorded => {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
};

describe("IstioIngress", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runComponent(() => ({
      urls: new IstioIngress("ingress", { ...ISTIO, dependsOn: controlPlane() }).urls,
    }));
  });

  test("the TLS Secret is in the gateway's namespace, its key a secret, and the Gateway's credential", () => {
    const secret = only(run, T.secret);
    expect(namespaceOf(secret)).toBe(ISTIO.gatewayNamespace);
    expect(secret.inputs.type).toBe("kubernetes.io/tls");
    expect(secret.inputs.stringData).toEqual({ "tls.crt": TLS.certPem, "tls.key": TLS.keyPem });
    expect(isSecretPath(secret, "stringData.tls.key")).toBe(true);
    const gateway = only(run, T.gateway);
    expect(namespaceOf(gateway)).toBe(ISTIO.gatewayNamespace);
    for (const server of gateway.inputs.spec.servers.filter((s: { tls: object }) => "mode" in s.tls))
      expect(server.tls.credentialName).toBe(nameOf(secret));
  });

  test("the Gateway selects the gateway pods given", () => {
    expect(only(run, T.gateway).inputs.spec.selector).toEqual(ISTIO.gatewaySelector);
  });

  test("HTTPS on 443 with TLS 1.2 or later for exactly the hosts; HTTP on 80 only redirects", () => {
    const servers = only(run, T.gateway).inputs.spec.servers as Recorded["inputs"][];
    expect(servers).toHaveLength(2);
    const https = servers.find((x) => x.port.number === 443);
    const http = servers.find((x) => x.port.number === 80);
    expect(https?.port.protocol).toBe("HTTPS");
    expect(https?.tls).toMatchObject({ mode: "SIMPLE", minProtocolVersion: "TLSV1_2" });
    expect(http?.port.protocol).toBe("HTTP");
    expect(http?.tls).toEqual({ httpsRedirect: true });
    for (const server of servers) expect(server.hosts).toEqual(HOSTS);
  });

  test("the VirtualService: in the backend's namespace, for the hosts, through the Gateway, routed to the backend's host", () => {
    const vs = only(run, T.virtualService);
    const gateway = only(run, T.gateway);
    expect(namespaceOf(vs)).toBe(BACKEND.namespace);
    expect(vs.inputs.spec).toEqual({
      hosts: HOSTS,
      gateways: [`${namespaceOf(gateway)}/${nameOf(gateway)}`],
      http: routes(BACKEND_HOST),
    });
  });

  test("the Gateway and the VirtualService wait for what they were given; the URLs are /ping on each host", () => {
    for (const cr of [only(run, T.gateway), only(run, T.virtualService)])
      expect(cr.dependsOn).toContain("istiod");
    expect(run.outputs.urls).toEqual(HOSTS.map((h) => `https://${h}${PATHS.ping}`));
  });
});

describe("KubernetesIngress", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runComponent(() => ({ urls: new KubernetesIngress("ingress", NGINX).urls }));
  });

  test("an Ingress of the class, with TLS for the hosts from a Secret beside it", () => {
    const ingress = only(run, T.ingress);
    const secret = only(run, T.secret);
    expect(namespaceOf(ingress)).toBe(BACKEND.namespace);
    expect(namespaceOf(secret)).toBe(BACKEND.namespace);
    expect(secret.inputs.type).toBe("kubernetes.io/tls");
    expect(isSecretPath(secret, "stringData.tls.key")).toBe(true);
    expect(ingress.inputs.spec.ingressClassName).toBe(NGINX.ingressClassName);
    expect(ingress.inputs.spec.tls).toEqual([{ hosts: HOSTS, secretName: nameOf(secret) }]);
  });

  test("one rule per host: exactly /ping, to the backend Service's http port by name", () => {
    const rules = only(run, T.ingress).inputs.spec.rules;
    expect(rules.map((r: { host: string }) => r.host)).toEqual(HOSTS);
    for (const rule of rules) {
      expect(rule.http.paths).toEqual([
        {
          path: PATHS.ping,
          pathType: "Exact",
          backend: { service: { name: BACKEND.serviceName, port: { name: PORTS.http.name } } },
        },
      ]);
    }
    expect(run.outputs.urls).toEqual(HOSTS.map((h) => `https://${h}${PATHS.ping}`));
  });

  test("ingress-nginx dials the Service's cluster IP with the Service's own host, so the mesh routes it", () => {
    expect(only(run, T.ingress).inputs.metadata.annotations).toEqual({
      "nginx.ingress.kubernetes.io/service-upstream": "true",
      "nginx.ingress.kubernetes.io/upstream-vhost": BACKEND_HOST,
    });
  });
});

test("AppTlsSecrets: a TLS Secret per namespace with certificate, key and CA, named by secretNames", async () => {
  const namespaces = { a: "team-a", b: "team-b" };
  const run = await runComponent(() => ({
    names: new AppTlsSecrets("app-tls", { namespaces, ...TLS, caPem: "ca-cert" }).secretNames,
  }));
  const secrets = ofType(run, T.secret);
  expect(secrets.map(namespaceOf).sort()).toEqual(Object.values(namespaces).sort());
  for (const secret of secrets) {
    expect(secret.inputs.type).toBe("kubernetes.io/tls");
    expect(secret.inputs.stringData).toEqual({
      "tls.crt": TLS.certPem,
      "tls.key": TLS.keyPem,
      "ca.crt": "ca-cert",
    });
    expect(isSecretPath(secret, "stringData.tls.key")).toBe(true);
  }
  const names = run.outputs.names as Record<string, string>;
  for (const [key, namespace] of Object.entries(namespaces))
    expect(names[key]).toBe(nameOf(secrets.find((s) => namespaceOf(s) === namespace)!));
});

test.each([
  ["istio", [T.secret, T.gateway, T.virtualService]],
  ["ingress", [T.secret, T.ingress]],
  ["app", []],
] as const)("edgeIngress for %s: the objects that terminate HTTPS there, or none", async (mode, types) => {
  const run = await runComponent(() => {
    const edge = edgeIngress("ingress", {
      ...NGINX,
      mode,
      gateway: { ...ISTIO, dependsOn: controlPlane() },
    });
    return { urls: edge?.urls };
  });
  const declared = run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.type);
  expect(declared.sort()).toEqual([...types].sort());
  expect(run.outputs.urls).toEqual(
    mode === "app" ? undefined : HOSTS.map((h) => `https://${h}${PATHS.ping}`),
  );
});

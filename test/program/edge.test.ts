import type { Settings } from "../../stacks/settings";
import {
  byName,
  inNamespace,
  isSecretPath,
  nameOf,
  namespaceOf,
  ofType,
  oneIn,
  type ProgramRun,
} from "../support/program";
import { SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, fqdn, namespacePeer, release, releaseNamespace, servicePorts, type Json } from "./lookup";
import { instanceIngressPeers } from "./netpol";

/**
 * HTTPS from outside, as the program wires it: at the Istio gateway (the stack files) or at an
 * Ingress controller, in front of pingpong-a. The components alone: test/components/ingress.test.ts;
 * TLS in the app: app-tls.test.ts.
 */

type Variant = keyof typeof SHARED_VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(SHARED_VARIANTS, runs, settings), 120_000);

/** VirtualServices of the pingpong namespaces bound to a gateway: the ingress's (the mesh ones name none). */
const ingressVirtualServices = (run: ProgramRun, s: Settings) =>
  [s.namespaces.a, s.namespaces.b]
    .flatMap((n) => inNamespace(run, T.virtualService, n))
    .filter((r) => r.inputs.spec?.gateways !== undefined);
/**
 * Gateways that terminate HTTPS from outside with a certificate Secret: the edge's. The egress
 * gateway's servers terminate the mesh's own mutual TLS, with no credential.
 */
const edgeGateways = (run: ProgramRun) =>
  ofType(run, T.gateway).filter((g) =>
    (g.inputs.spec.servers as Json[]).some((server) => server.tls?.credentialName !== undefined),
  );
/** The release of the ingress gateway: the gateway chart in the namespace the settings give it. */
const ingressRelease = (run: ProgramRun, s: Settings) => release(run, "gateway", s.namespaces.gateway);

describe.each(["dev", "prod"] as const)("HTTPS at the Istio gateway in %s", (v) => {
  const run = () => runs[v];
  const s = () => settings[v];
  const gateway = () => {
    const gws = edgeGateways(run());
    expect(gws).toHaveLength(1);
    return gws[0];
  };
  const gatewayRelease = () => ingressRelease(run(), s());

  test("the TLS Secret is in the gateway release's namespace, and the Gateway's credential", () => {
    expect(s().tls.termination).toBe("istio");
    const gw = gateway();
    expect(namespaceOf(gw)).toBe(releaseNamespace(gatewayRelease()));
    const secrets = inNamespace(run(), T.secret, namespaceOf(gw));
    expect(secrets).toHaveLength(1);
    expect(secrets[0].inputs.type).toBe("kubernetes.io/tls");
    expect(Object.keys(secrets[0].inputs.stringData).sort()).toEqual(["tls.crt", "tls.key"]);
    expect(isSecretPath(secrets[0], "stringData.tls.key")).toBe(true);
    expect(gw.inputs.spec.servers[0].tls.credentialName).toBe(nameOf(secrets[0]));
  });

  test("the Gateway selects the pods of the gateway release", () => {
    // The gateway chart labels its pods app=<release> and istio=<release without "istio-">.
    const name: string = gatewayRelease().inputs.name;
    expect(gateway().inputs.spec.selector).toEqual({ app: name, istio: name.replace(/^istio-/, "") });
  });

  test("the Gateway serves exactly the configured hosts, no wildcard", () => {
    const servers = gateway().inputs.spec.servers as Json[];
    expect(servers.length).toBeGreaterThan(0);
    for (const server of servers) expect(server.hosts).toEqual(s().tls.hosts);
    for (const server of servers) expect(server.hosts.some((h: string) => h.includes("*"))).toBe(false);
  });

  test("the VirtualService routes the hosts through the Gateway to a real port of the pingpong-a Service", () => {
    const vss = ingressVirtualServices(run(), s());
    expect(vss).toHaveLength(1);
    const spec = vss[0].inputs.spec;
    const gw = gateway();
    expect(namespaceOf(vss[0])).toBe(s().namespaces.a);
    expect(spec.hosts).toEqual(s().tls.hosts);
    expect(spec.gateways).toEqual([`${namespaceOf(gw)}/${nameOf(gw)}`]);
    const svc = oneIn(run(), T.service, s().namespaces.a);
    const rule = byName(run(), T.destinationRule, s().namespaces.a, "pingpong");
    const destinations = spec.http.flatMap((h: Json) => h.route.map((x: Json) => x.destination));
    expect(destinations.length).toBeGreaterThan(0);
    for (const d of destinations) {
      expect(d.host).toBe(fqdn(svc));
      expect(servicePorts(svc)).toContain(d.port.number);
      expect(rule.inputs.spec.subsets.map((x: { name: string }) => x.name)).toContain(d.subset);
    }
    // The same routes, split and resilience as the mesh VirtualService of pingpong-a.
    const mesh = byName(run(), T.virtualService, s().namespaces.a, "pingpong");
    expect(mesh.inputs.spec.gateways).toBeUndefined();
    expect(spec.http).toEqual(mesh.inputs.spec.http);
  });

  test("the NetworkPolicy of pingpong-a admits the gateway release's namespace", () => {
    const from = instanceIngressPeers(run(), s().namespaces.a);
    expect(from).toContainEqual(namespacePeer(releaseNamespace(gatewayRelease())));
  });
});

describe("HTTPS at an Ingress controller (tlsTermination=ingress)", () => {
  const run = () => runs["dev-ingress"];
  const s = () => settings["dev-ingress"];

  test("an Ingress with the class, a TLS Secret in its namespace and a real backend; no Gateway", () => {
    const ingresses = ofType(run(), T.ingress);
    expect(ingresses).toHaveLength(1);
    const ing = ingresses[0];
    expect(edgeGateways(run())).toEqual([]);
    expect(ingressVirtualServices(run(), s())).toEqual([]);
    // Only the mesh VirtualServices of pingpong-a and pingpong-b, and the egress gateway's own.
    const egress = s().egress.gateway?.namespace;
    expect(
      ofType(run(), T.virtualService)
        .map(namespaceOf)
        .filter((n) => n !== egress)
        .sort(),
    ).toEqual([s().namespaces.a, s().namespaces.b].sort());
    expect(ing.inputs.spec.ingressClassName).toBe(s().tls.ingressClassName);
    expect(ing.inputs.spec.tls).toHaveLength(1);
    expect(ing.inputs.spec.tls[0].hosts).toEqual(s().tls.hosts);
    const secret = byName(run(), T.secret, namespaceOf(ing), ing.inputs.spec.tls[0].secretName);
    expect(secret.inputs.type).toBe("kubernetes.io/tls");
    expect(ing.inputs.spec.rules.map((r: Json) => r.host)).toEqual(s().tls.hosts);
    for (const rule of ing.inputs.spec.rules) {
      for (const p of rule.http.paths) {
        const svc = byName(run(), T.service, namespaceOf(ing), p.backend.service.name);
        const ports = svc.inputs.spec.ports as Array<{ name: string; port: number }>;
        const ref = p.backend.service.port;
        expect(
          ports.some((x) => (ref.name !== undefined ? x.name === ref.name : x.port === ref.number)),
        ).toBe(true);
      }
    }
  });

  test("pingpong-a's NetworkPolicy admits the controller's namespace, not the gateway's", () => {
    const from = instanceIngressPeers(run(), s().namespaces.a);
    expect(from).toContainEqual(namespacePeer(s().tls.ingressController.namespace));
    expect(from).not.toContainEqual(namespacePeer(releaseNamespace(ingressRelease(run(), s()))));
  });
});

import { ENV } from "../../app/src/contract";
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
import { CANARY_VARIANT, SHARED_VARIANTS, runVariants } from "../support/variants";
import { T, containerOf, envOf, fqdn, release, releaseNamespace, serviceOfUrl, type Json } from "./lookup";
import { must } from "./models";

/**
 * TLS terminated by the app, and the stack's certificates as the program hands them out: the server
 * certificate's names, the CA in the outputs, the plug-in CA for istiod. The components alone:
 * test/components/certificates.test.ts, ingress.test.ts (AppTlsSecrets), pingpong-service.test.ts.
 */

const VARIANTS = { ...SHARED_VARIANTS, canary: CANARY_VARIANT };
type Variant = keyof typeof VARIANTS;
const runs = {} as Record<Variant, ProgramRun>;
const settings = {} as Record<Variant, Settings>;
beforeAll(() => runVariants(VARIANTS, runs, settings), 120_000);

describe("TLS in the app (dev-app)", () => {
  const run = () => runs["dev-app"];
  const s = () => settings["dev-app"];

  test.each(["a", "b"] as const)(
    "pingpong-%s mounts its TLS Secret; env, probes and TARGET use HTTPS",
    (key) => {
      const n = s().namespaces[key];
      const secrets = inNamespace(run(), T.secret, n).filter((x) => x.inputs.type === "kubernetes.io/tls");
      expect(secrets).toHaveLength(1);
      expect(Object.keys(secrets[0].inputs.stringData).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
      expect(isSecretPath(secrets[0], "stringData.tls.key")).toBe(true);
      const deployment = oneIn(run(), T.deployment, n);
      const volume = (deployment.inputs.spec.template.spec.volumes as Json[]).find(
        (vol) => vol.secret?.secretName === nameOf(secrets[0]),
      );
      expect(volume).toBeDefined();
      const c = containerOf(deployment);
      const mount = (c.volumeMounts as Json[]).find((m) => m.name === volume.name);
      expect(mount?.readOnly).toBe(true);
      const env = envOf(c);
      for (const [k, file] of [
        [ENV.tlsCertFile, "tls.crt"],
        [ENV.tlsKeyFile, "tls.key"],
        [ENV.targetCaFile, "ca.crt"],
      ])
        expect({ k, v: env[k] }).toEqual({ k, v: `${mount.mountPath}/${file}` });
      const portNames = (c.ports as Array<{ name: string }>).map((p) => p.name);
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        expect(probe.httpGet.scheme).toBe("HTTPS");
        expect(portNames).toContain(probe.httpGet.port);
      }
      const target = env[ENV.target] ?? "";
      expect(new URL(target).protocol).toBe("https:");
      expect(serviceOfUrl(run(), target).service).toBe(
        oneIn(run(), T.service, s().namespaces[key === "a" ? "b" : "a"]),
      );
    },
  );

  test("no Gateway but the egress gateway's, no Ingress, no ingress URL", () => {
    // The egress gateway's Gateways serve the mesh's own mutual TLS, in its namespace, never HTTPS from outside.
    const egress = must(s().egress.gateway, "egress gateway settings").namespace;
    for (const g of ofType(run(), T.gateway)) {
      expect(namespaceOf(g)).toBe(egress);
      for (const server of g.inputs.spec.servers as Json[]) expect(server.tls.mode).toBe("ISTIO_MUTUAL");
    }
    expect(ofType(run(), T.ingress)).toEqual([]);
    expect(run().outputs.ingress).toEqual(expect.objectContaining({ urls: [] }));
  });
});

describe("certificates", () => {
  const server = (run: ProgramRun) => {
    const csr = ofType(run, "tls:index/certRequest:CertRequest").filter(
      (r) => r.name === "certificates-server-csr",
    );
    expect(csr).toHaveLength(1);
    return csr[0];
  };

  test.each(["dev", "prod", "dev-ingress"] as const)(
    "%s: the server certificate names exactly the ingress hosts",
    (v) => {
      expect(server(runs[v]).inputs.dnsNames).toEqual(settings[v].tls.hosts);
    },
  );

  test("dev-app: plus the two Service FQDNs its peer calls", () => {
    const s = settings["dev-app"];
    const fqdns = [s.namespaces.a, s.namespaces.b].map((n) => fqdn(oneIn(runs["dev-app"], T.service, n)));
    expect(server(runs["dev-app"]).inputs.dnsNames).toEqual([...s.tls.hosts, ...fqdns]);
  });

  test.each(Object.keys(VARIANTS) as Variant[])(
    "%s: no private key in any output; CA and expiry exported",
    (v) => {
      const { outputs } = runs[v];
      expect(JSON.stringify(outputs)).not.toContain("PRIVATE KEY");
      expect(outputs.caCertificatePem).toMatch(/BEGIN CERTIFICATE/);
      expect(new Date(String(outputs.certificateExpiry)).toString()).not.toBe("Invalid Date");
    },
  );

  test("prod with pluginCa: cacerts beside istiod with the four files, chaining to the stack's CA, before istiod", () => {
    expect(settings.prod.mesh.pluginCa).toBe(true);
    const istiod = release(runs.prod, "istiod");
    const cacerts = byName(runs.prod, T.secret, releaseNamespace(istiod), "cacerts");
    expect(Object.keys(cacerts.inputs.stringData).sort()).toEqual(
      ["ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"].sort(),
    );
    expect(isSecretPath(cacerts, "stringData.ca-key.pem")).toBe(true);
    expect(cacerts.inputs.stringData["root-cert.pem"]).toBe(runs.prod.outputs.caCertificatePem);
    expect(istiod.dependsOn).toContain(cacerts.name);
    expect(settings.dev.mesh.pluginCa).toBe(false);
    expect(inNamespace(runs.dev, T.secret, releaseNamespace(release(runs.dev, "istiod")))).toEqual([]);
  });
});

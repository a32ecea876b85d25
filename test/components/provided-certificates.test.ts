import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { stackCertificates, type CertificatesArgs } from "../../components/certificates";
import { providedCertificates, type ProvidedCertificatesArgs } from "../../components/provided-certificates";
import { STACK_CERTIFICATE_NAMES, userPki, type UserPki } from "../support/openssl-pki";
import { runComponent } from "../support/program";

/**
 * The user's own PKI in the shape of the generated certificates (components/provided-certificates.ts),
 * alone under mocks: no resource at all, the same outputs, the keys secret. The settings that
 * refuse a bad PKI line by line: test/stacks/pki-settings.test.ts.
 */

let user: UserPki;
beforeAll(() => (user = userPki()), 60_000);
afterAll(() => user.pki.remove());

const provided = (meshCa = true): ProvidedCertificatesArgs => ({
  dnsNames: STACK_CERTIFICATE_NAMES,
  serverCertPem: user.settings.serverCertificate,
  serverKeyPem: user.server.key,
  caCertPem: user.root.cert,
  meshCa: meshCa ? { certPem: user.meshCa.cert, keyPem: user.meshCa.key } : undefined,
});

/** notAfter as openssl reads it from the file it wrote, ISO 8601. */
function opensslNotAfter(file: string): string {
  const out = execFileSync("openssl", ["x509", "-noout", "-enddate", "-in", file], { encoding: "utf8" });
  return new Date(out.trim().replace(/^notAfter=/, "")).toISOString();
}

test("registers no resource and hands out the provided PEMs as the generated certificates do", async () => {
  const run = await runComponent(() => {
    const c = stackCertificates("certificates", { mode: "provided", ...provided() });
    return {
      ca: c.caCertPem,
      server: c.serverCertPem,
      key: c.serverKeyPem,
      expiry: c.serverExpiry,
      tls: c.server,
      intermediate: c.intermediate,
      keyIsSecret: pulumi.isSecret(c.serverKeyPem),
      tlsKeyIsSecret: pulumi.isSecret(c.server.keyPem),
      meshKeyIsSecret: c.intermediate && pulumi.isSecret(c.intermediate.keyPem),
      caIsSecret: pulumi.isSecret(c.caCertPem),
    };
  });
  expect(run.resources).toEqual([]);
  expect(run.outputs).toEqual({
    ca: user.root.cert,
    // The server certificate, then the intermediate that issued it: what a TLS Secret serves.
    server: `${user.server.cert}${user.issuing.cert}`,
    key: user.server.key,
    expiry: opensslNotAfter(user.server.files.cert),
    tls: { certPem: `${user.server.cert}${user.issuing.cert}`, keyPem: user.server.key },
    intermediate: {
      certPem: user.meshCa.cert,
      keyPem: user.meshCa.key,
      rootCertPem: user.root.cert,
      // istiod's cert-chain.pem: the plug-in CA, then the root.
      chainPem: `${user.meshCa.cert}${user.root.cert}`,
    },
    keyIsSecret: true,
    tlsKeyIsSecret: true,
    meshKeyIsSecret: true,
    caIsSecret: false,
  });
});

test("without a mesh CA: no intermediate, so istiod gets no plug-in CA", async () => {
  const run = await runComponent(() => ({
    intermediate: providedCertificates(provided(false)).intermediate,
  }));
  expect(run.outputs.intermediate).toBeUndefined();
});

test("text around the PEM blocks (a bundle's comments) is dropped", async () => {
  const args = { ...provided(false), caCertPem: `# Acme's root\nsubject=CN=Acme Root CA\n${user.root.cert}` };
  const run = await runComponent(() => ({ ca: providedCertificates(args).caCertPem }));
  expect(run.outputs.ca).toBe(user.root.cert);
});

test("a PKI the settings would refuse is refused here too, without key material", () => {
  const wrongKey = { ...provided(), serverKeyPem: user.meshCa.key };
  expect(() => providedCertificates(wrongKey)).toThrow(
    "provided certificates:\n  - server key: not the key of the server certificate",
  );
  const uncovered = { ...provided(), dnsNames: ["pingpong.example.org"] };
  expect(() => providedCertificates(uncovered)).toThrow(
    "server certificate: does not cover pingpong.example.org",
  );
  const later = Date.parse("2100-01-01T00:00:00Z");
  expect(() => providedCertificates(provided(), later)).toThrow(
    /server certificate: \(CN=pingpong.localtest.me expired on/,
  );
  try {
    providedCertificates(wrongKey);
  } catch (err) {
    expect(String(err)).not.toContain(user.meshCa.key.split("\n")[1]);
  }
});

test("generated: the tls provider's resources, as before", async () => {
  const args: CertificatesArgs = {
    dnsNames: ["pingpong.example.com"],
    organization: "acme",
    keyAlgorithm: "ECDSA-P256",
    validityHours: 720,
    earlyRenewalHours: 168,
    caValidityHours: 8760,
    intermediateCa: false,
  };
  const run = await runComponent(() => ({
    ca: stackCertificates("certs", { mode: "generated", ...args }).caCertPem,
  }));
  expect(run.resources.map((r) => r.type).filter((t) => t.startsWith("tls:")).length).toBeGreaterThan(0);
});

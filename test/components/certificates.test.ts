import { Certificates, keyArgs, type CertificatesArgs } from "../../components/certificates";
import { KEY_ALGORITHMS } from "../../components/types";
import { ofType, runComponent, type ProgramRun, type Recorded } from "../support/program";
import { T } from "../support/tokens";

/** The Certificates component alone: who signs what, for how long, and where the keys go. */

const ARGS: CertificatesArgs = {
  dnsNames: ["pingpong.example.com", "pingpong.example.org"],
  organization: "acme",
  keyAlgorithm: "ECDSA-P384",
  validityHours: 2160,
  earlyRenewalHours: 720,
  caValidityHours: 87600,
  intermediateCa: true,
};

const render = (args: Partial<CertificatesArgs> = {}): Promise<ProgramRun> =>
  runComponent(() => {
    const c = new Certificates("certs", { ...ARGS, ...args });
    return { ca: c.caCertPem, server: c.serverCertPem, chain: c.intermediate?.chainPem, key: c.serverKeyPem };
  });
const named = (run: ProgramRun, type: string, name: string): Recorded => {
  const found = ofType(run, type).find((r) => r.name === name);
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
};

describe("with an intermediate CA", () => {
  let run: ProgramRun;
  beforeAll(async () => (run = await render()));

  test("every key uses the chosen algorithm", () => {
    const keys = ofType(run, T.privateKey);
    expect(keys).toHaveLength(3);
    for (const k of keys) expect(k.inputs).toMatchObject(keyArgs(ARGS.keyAlgorithm));
  });

  test("the server certificate names every host, for its lifetime, signed by the root", () => {
    const root = named(run, T.selfSignedCert, "certs-root");
    const server = named(run, T.locallySignedCert, "certs-server");
    expect(named(run, T.certRequest, "certs-server-csr").inputs.dnsNames).toEqual(ARGS.dnsNames);
    expect(server.inputs).toMatchObject({
      validityPeriodHours: ARGS.validityHours,
      earlyRenewalHours: ARGS.earlyRenewalHours,
    });
    expect(server.inputs.isCaCertificate).toBeFalsy();
    expect(server.inputs.caCertPem).toBe(run.outputs.ca);
    expect(root.inputs).toMatchObject({ isCaCertificate: true, validityPeriodHours: ARGS.caValidityHours });
  });

  test("the intermediate is a CA signed by the root, and the chain is intermediate then root", () => {
    const intermediate = named(run, T.locallySignedCert, "certs-intermediate");
    expect(intermediate.inputs).toMatchObject({ isCaCertificate: true, caCertPem: run.outputs.ca });
    expect(intermediate.inputs.allowedUses).toContain("cert_signing");
    expect(String(run.outputs.chain).endsWith(String(run.outputs.ca))).toBe(true);
    expect(String(run.outputs.chain).length).toBeGreaterThan(String(run.outputs.ca).length);
  });
});

test("without an intermediate CA: a root and the server certificate only", async () => {
  const run = await render({ intermediateCa: false });
  expect(ofType(run, T.locallySignedCert).map((r) => r.name)).toEqual(["certs-server"]);
  expect(run.outputs.chain).toBeUndefined();
});

test.each(KEY_ALGORITHMS)("%s maps to a key the tls provider knows", (algorithm) => {
  const args = keyArgs(algorithm);
  expect(["ECDSA", "RSA"]).toContain(args.algorithm);
  if (args.algorithm === "ECDSA") expect(["P224", "P256", "P384", "P521"]).toContain(args.ecdsaCurve);
  else expect(args.rsaBits).toBeGreaterThanOrEqual(2048);
});

import * as pulumi from "@pulumi/pulumi";
import type { X509Certificate } from "node:crypto";
import type { StackCertificates } from "./certificate-types";
import {
  caCertificateDefect,
  certificatesIn,
  chainDefect,
  issuerDefect,
  keyMatches,
  parsePrivateKey,
  privateKeyDefect,
  serverChainDefect,
  uncoveredNames,
  validToIso,
} from "./pem";

/** The user's own PKI: what replaces the CA and certificates the stack would generate. */
export interface ProvidedPki {
  /** PEM: the server certificate, then any intermediates (leaf first). */
  serverCertPem: string;
  /** PEM private key of the server certificate; kept a secret. */
  serverKeyPem: string;
  /** PEM of the root CA the server certificate chains to. */
  caCertPem: string;
  /** istiod's plug-in CA, issued by that root; absent: none. The key is kept a secret. */
  meshCa?: { certPem: string; keyPem: string };
}

export interface ProvidedCertificatesArgs extends ProvidedPki {
  /** Names the server certificate must cover. */
  dnsNames: string[];
}

/**
 * Every problem of a provided PKI, one line each and without key material; what the settings
 * refuse line by line, for the component used on its own.
 */
export function providedPkiProblems(args: ProvidedCertificatesArgs, now: number): string[] {
  const own = [
    ["server certificate", serverChainDefect(args.serverCertPem, now)],
    ["server key", privateKeyDefect(args.serverKeyPem)],
    ["root CA", caCertificateDefect(args.caCertPem, now)],
    ...(args.meshCa
      ? [
          ["mesh CA", caCertificateDefect(args.meshCa.certPem, now)],
          ["mesh CA key", privateKeyDefect(args.meshCa.keyPem)],
        ]
      : []),
  ].flatMap(([what, defect]) => (defect === "" ? [] : [`${what}:${defect}`]));
  if (own.length > 0) return own;

  const chain = certificatesIn(args.serverCertPem);
  const [root] = certificatesIn(args.caCertPem);
  const missing = uncoveredNames(chain[0], args.dnsNames);
  const mesh = args.meshCa && certificatesIn(args.meshCa.certPem)[0];
  return [
    missing.length > 0 && `server certificate: does not cover ${missing.join(", ")}`,
    !matches(chain[0], args.serverKeyPem) && "server key: not the key of the server certificate",
    chainDefect(chain, root),
    mesh && issuerDefect(mesh, root),
    mesh && args.meshCa && !matches(mesh, args.meshCa.keyPem) && "mesh CA key: not the key of the mesh CA",
  ].filter((p): p is string => typeof p === "string");
}

function matches(cert: X509Certificate, keyPem: string): boolean {
  const key = parsePrivateKey(keyPem);
  return "value" in key && keyMatches(cert, key.value);
}

/**
 * The user's PKI in the shape of the generated certificates: nothing is generated, no resource is
 * registered (so neither the tls provider nor its plugin is needed); the keys become Pulumi
 * secrets. Certificates are passed on as PEM re-encoded from what was parsed, so texts around
 * the blocks (bundle comments) are dropped and concatenations stay well-formed.
 */
export function providedCertificates(args: ProvidedCertificatesArgs, now = Date.now()): StackCertificates {
  const problems = providedPkiProblems(args, now);
  if (problems.length > 0) {
    throw new Error(`provided certificates:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  const pem = (certs: X509Certificate[]) => certs.map((c) => c.toString()).join("");
  const chain = certificatesIn(args.serverCertPem);
  const rootPem = pem(certificatesIn(args.caCertPem));
  const caCertPem = pulumi.output(rootPem);
  const serverCertPem = pulumi.output(pem(chain));
  const serverKeyPem = pulumi.secret(args.serverKeyPem);
  const meshPem = args.meshCa && pem(certificatesIn(args.meshCa.certPem));
  return {
    caCertPem,
    serverCertPem,
    serverKeyPem,
    serverExpiry: pulumi.output(validToIso(chain[0])),
    server: { certPem: serverCertPem, keyPem: serverKeyPem },
    intermediate:
      args.meshCa && meshPem !== undefined
        ? {
            certPem: pulumi.output(meshPem),
            keyPem: pulumi.secret(args.meshCa.keyPem),
            rootCertPem: caCertPem,
            // Intermediate then root, as istiod serves cert-chain.pem.
            chainPem: pulumi.output(`${meshPem}${rootPem}`),
          }
        : undefined,
  };
}

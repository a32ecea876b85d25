import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { IntermediateCa, StackCertificates } from "./certificate-types";
import { providedCertificates, type ProvidedCertificatesArgs } from "./provided-certificates";
import type { KeyAlgorithm } from "./types";

export { KEY_ALGORITHMS, type KeyAlgorithm } from "./types";

export interface CertificatesArgs {
  /** DNS names of the server certificate (ingress hosts, and Service names when the app terminates TLS). */
  dnsNames: string[];
  /** Organisation written into every subject. */
  organization: string;
  keyAlgorithm: KeyAlgorithm;
  /** Lifetime of the server certificate; Pulumi replaces it `earlyRenewalHours` before the end. */
  validityHours: number;
  earlyRenewalHours: number;
  /** Lifetime of the root and intermediate CAs. */
  caValidityHours: number;
  /** Also issue an intermediate CA for istiod to sign workload certificates with (plug-in CA). */
  intermediateCa: boolean;
}

/** `tls.PrivateKey` arguments for a key algorithm. */
export function keyArgs(algorithm: KeyAlgorithm): tls.PrivateKeyArgs {
  const [kind, size] = algorithm.split("-");
  return kind === "ECDSA"
    ? { algorithm: "ECDSA", ecdsaCurve: size }
    : { algorithm: "RSA", rsaBits: Number(size) };
}

/** Private key material in every output the tls provider gives it. */
const KEY_OUTPUTS = ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"];

export type { IntermediateCa, StackCertificates } from "./certificate-types";

/** Where the certificates come from: generated with the tls provider, or the user's own PKI. */
export type CertificateSource =
  ({ mode: "generated" } & CertificatesArgs) | ({ mode: "provided" } & ProvidedCertificatesArgs);

/** The certificates from their source (the plan decides which); provided ones register no resource. */
export function stackCertificates(
  name: string,
  source: CertificateSource,
  opts?: pulumi.ComponentResourceOptions,
): StackCertificates {
  switch (source.mode) {
    case "generated":
      return new Certificates(name, source, opts);
    case "provided":
      return providedCertificates(source);
  }
}

/**
 * A root CA owned by the stack, the server certificate of the stack's hosts signed by it, and
 * optionally an intermediate CA for istiod, so workload identities chain to the same root. Keys
 * exist only as Pulumi secrets.
 */
export class Certificates extends pulumi.ComponentResource implements StackCertificates {
  public readonly caCertPem: pulumi.Output<string>;
  public readonly serverCertPem: pulumi.Output<string>;
  /** Secret. */
  public readonly serverKeyPem: pulumi.Output<string>;
  /** ISO 8601 end of validity of the server certificate. */
  public readonly serverExpiry: pulumi.Output<string>;
  public readonly intermediate?: IntermediateCa;
  /** The server certificate and its key, as a TLS Secret or an Ingress takes them. */
  public readonly server: { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> };

  constructor(name: string, args: CertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pingpong:tls:Certificates", name, {}, opts);
    const key = (role: string) =>
      new tls.PrivateKey(`${name}-${role}-key`, keyArgs(args.keyAlgorithm), {
        parent: this,
        additionalSecretOutputs: KEY_OUTPUTS,
      });
    const subject = (commonName: string) => ({ commonName, organization: args.organization });

    const rootKey = key("root");
    const root = new tls.SelfSignedCert(
      `${name}-root`,
      {
        privateKeyPem: rootKey.privateKeyPem,
        subject: subject(`${args.organization} root CA`),
        isCaCertificate: true,
        validityPeriodHours: args.caValidityHours,
        earlyRenewalHours: args.earlyRenewalHours,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      { parent: this },
    );
    const signedByRoot = (
      role: string,
      csr: tls.CertRequestArgs,
      cert: Omit<tls.LocallySignedCertArgs, "certRequestPem" | "caCertPem" | "caPrivateKeyPem">,
    ) => {
      const request = new tls.CertRequest(`${name}-${role}-csr`, csr, { parent: this });
      return new tls.LocallySignedCert(
        `${name}-${role}`,
        {
          ...cert,
          certRequestPem: request.certRequestPem,
          caCertPem: root.certPem,
          caPrivateKeyPem: rootKey.privateKeyPem,
        },
        { parent: this },
      );
    };

    const serverKey = key("server");
    const server = signedByRoot(
      "server",
      { privateKeyPem: serverKey.privateKeyPem, subject: subject(args.dnsNames[0]), dnsNames: args.dnsNames },
      {
        validityPeriodHours: args.validityHours,
        earlyRenewalHours: args.earlyRenewalHours,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
    );

    if (args.intermediateCa) {
      const caKey = key("intermediate");
      const intermediate = signedByRoot(
        "intermediate",
        { privateKeyPem: caKey.privateKeyPem, subject: subject(`${args.organization} mesh intermediate CA`) },
        {
          isCaCertificate: true,
          validityPeriodHours: args.caValidityHours,
          earlyRenewalHours: args.earlyRenewalHours,
          allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
      );
      this.intermediate = {
        certPem: intermediate.certPem,
        keyPem: pulumi.secret(caKey.privateKeyPem),
        rootCertPem: root.certPem,
        chainPem: pulumi.interpolate`${intermediate.certPem}${root.certPem}`,
      };
    }

    this.caCertPem = root.certPem;
    this.serverCertPem = server.certPem;
    this.serverKeyPem = pulumi.secret(serverKey.privateKeyPem);
    this.serverExpiry = server.validityEndTime;
    this.server = { certPem: this.serverCertPem, keyPem: this.serverKeyPem };
    this.registerOutputs({
      caCertPem: this.caCertPem,
      serverCertPem: this.serverCertPem,
      serverExpiry: this.serverExpiry,
    });
  }
}

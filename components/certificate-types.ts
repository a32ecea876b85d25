import type * as pulumi from "@pulumi/pulumi";

// What the program needs of its certificates, generated (certificates.ts) or provided
// (provided-certificates.ts): both import it, neither imports the other's types back.

/** The intermediate CA istiod uses as its plug-in CA (the `cacerts` Secret's four files). */
export interface IntermediateCa {
  certPem: pulumi.Output<string>;
  keyPem: pulumi.Output<string>;
  /** The root it chains to. */
  rootCertPem: pulumi.Output<string>;
  /** Intermediate then root: what istiod serves as cert-chain.pem. */
  chainPem: pulumi.Output<string>;
}

/** What the program needs of its certificates, whether the stack generated them or they were provided. */
export interface StackCertificates {
  readonly caCertPem: pulumi.Output<string>;
  /** The server certificate, then any intermediates. */
  readonly serverCertPem: pulumi.Output<string>;
  /** Secret. */
  readonly serverKeyPem: pulumi.Output<string>;
  /** ISO 8601 end of validity of the server certificate. */
  readonly serverExpiry: pulumi.Output<string>;
  /** istiod's plug-in CA; absent: none. */
  readonly intermediate?: IntermediateCa;
  /** The server certificate and its key, as a TLS Secret or an Ingress takes them. */
  readonly server: { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> };
}

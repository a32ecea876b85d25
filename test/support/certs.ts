import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { KeyObject, randomBytes, webcrypto } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto);

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** A PEM certificate and its PKCS#8 PEM private key. */
export interface Pem {
  cert: string;
  key: string;
}

/** A certificate authority able to issue leaf certificates. */
export interface Ca extends Pem {
  name: string;
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface LeafOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
  serverAuth?: boolean;
  clientAuth?: boolean;
  /** Validity; defaults to one hour either side of now. */
  notBefore?: Date;
  notAfter?: Date;
}

function keyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: "pkcs8", format: "pem" }).toString();
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

const HOUR = 60 * 60 * 1000;

/** A self-signed ECDSA P-256 CA. */
export async function createCa(name: string): Promise<Ca> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + 24 * HOUR),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { name, certificate, keys, cert: certificate.toString("pem"), key: keyPem(keys.privateKey) };
}

/** A leaf certificate signed by `ca`, with the requested subject alternative names and key usages. */
export async function issueCert(ca: Ca, options: LeafOptions): Promise<Pem> {
  const keys = await generateKeys();
  const names: x509.JsonGeneralNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(options.uris ?? []).map((value) => ({ type: "url" as const, value })),
  ];
  const usages: string[] = [];
  if (options.serverAuth) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (options.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  if (usages.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(usages));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.commonName}`,
    issuer: ca.certificate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - HOUR),
    notAfter: options.notAfter ?? new Date(Date.now() + HOUR),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return { cert: certificate.toString("pem"), key: keyPem(keys.privateKey) };
}

/** A server certificate valid for localhost and 127.0.0.1. */
export function issueServerCert(ca: Ca, commonName = "localhost"): Promise<Pem> {
  return issueCert(ca, {
    commonName,
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    serverAuth: true,
  });
}

/** A client certificate whose only SAN is the SPIFFE ID `uri`. */
export function issueClientCert(ca: Ca, uri: string): Promise<Pem> {
  return issueCert(ca, { commonName: "pingpong", uris: [uri], clientAuth: true });
}

export interface PemDir {
  dir: string;
  /** Absolute paths of the written files, by the names they were given. */
  paths: Record<string, string>;
  /** Removes the directory and everything in it. */
  remove(): void;
}

/** Writes each `name -> PEM text` to `<tmpdir>/pingpong-certs-XXXX/<name>`. */
export function writePems(files: Record<string, string>): PemDir {
  const dir = mkdtempSync(join(tmpdir(), "pingpong-certs-"));
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    paths[name] = path;
  }
  return { dir, paths, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";

/**
 * PEM certificates and private keys as a stack provides them (its own PKI in place of the tls
 * provider's): parsed, described without key material, and checked. Pure, so the settings check
 * them before anything is created and the component can check them again.
 */

/** What was parsed, or why nothing was. */
export type Parsed<T> = { value: T } | { defect: string };

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const PRIVATE_KEY_LINE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** A file's contents, not its path: `pulumi config set` reads a value from standard input. */
const FROM_FILE = "pass the file's contents, e.g. `pulumi config set <key> < file.pem`";

/** A distinguished name on one line: `CN=pingpong root CA, O=acme`. */
export const oneLineName = (name: string): string => name.split("\n").join(", ");

/** End of validity, ISO 8601. */
export const validToIso = (cert: X509Certificate): string => new Date(Date.parse(cert.validTo)).toISOString();

const expiredAt = (cert: X509Certificate, now: number) => Date.parse(cert.validTo) <= now;

/** The certificates of a PEM text, in order, or why it holds none. */
export function parseCertificates(pem: string): Parsed<X509Certificate[]> {
  // A certificate setting is not a secret: a key pasted into it would end up in plain config.
  if (PRIVATE_KEY_LINE.test(pem))
    return { defect: "it holds a private key, which belongs in its secret setting" };
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) return { defect: `no -----BEGIN CERTIFICATE----- block; ${FROM_FILE}` };
  const certs: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certs.push(new X509Certificate(block));
    } catch {
      return { defect: `certificate ${i + 1} of ${blocks.length} does not parse` };
    }
  }
  return { value: certs };
}

/** The certificates of a PEM text that parses (checked before); throws otherwise. */
export function certificatesIn(pem: string): X509Certificate[] {
  const parsed = parseCertificates(pem);
  if ("defect" in parsed) throw new Error(`PEM certificates: ${parsed.defect}`);
  return parsed.value;
}

/** An unencrypted private key, or why the text is not one. The key's error is not passed on. */
export function parsePrivateKey(pem: string): Parsed<KeyObject> {
  if (!PRIVATE_KEY_LINE.test(pem))
    return { defect: `no -----BEGIN ... PRIVATE KEY----- block; ${FROM_FILE}` };
  if (/ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    return { defect: "it is encrypted: nothing could give it its passphrase" };
  }
  try {
    return { value: createPrivateKey(pem) };
  } catch {
    return { defect: "it does not parse as a private key" };
  }
}

const CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** A key's algorithm and size, which say nothing of the key itself: `EC P-256`, `RSA 2048-bit`. */
export function keyKind(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "ec":
      return `EC ${CURVES[details.namedCurve ?? ""] ?? details.namedCurve}`;
    case "rsa":
    case "rsa-pss":
      return `${key.asymmetricKeyType.toUpperCase()} ${details.modulusLength}-bit`;
    default:
      return String(key.asymmetricKeyType);
  }
}

/** One certificate as a problem names it: subject, issuer and end of validity. */
export function describeCertificate(cert: X509Certificate): string {
  return `${oneLineName(cert.subject)}, issued by ${oneLineName(cert.issuer)}, valid to ${validToIso(cert)}`;
}

/**
 * A PEM text of certificates as a problem shows it; undefined for a short line without PEM markers
 * (a path given instead of the contents, say), which is then shown as it is.
 */
export function certificatesSummary(pem: string): string | undefined {
  const parsed = parseCertificates(pem);
  if ("value" in parsed) {
    const [first, ...rest] = parsed.value;
    const more = rest.length === 0 ? "" : `, then ${rest.map((c) => oneLineName(c.subject)).join(", ")}`;
    return `certificate ${describeCertificate(first)}${more}`;
  }
  const plainLine = pem.length <= 100 && !pem.includes("\n") && !pem.includes("-----");
  return plainLine ? undefined : `text of ${pem.length} characters`;
}

/** A secret private key as a problem shows it: its kind only. */
export function privateKeySummary(pem: string): string {
  const parsed = parsePrivateKey(pem);
  return "value" in parsed ? `secret ${keyKind(parsed.value)} key` : "secret";
}

/**
 * What is wrong with a server certificate and its intermediates on their own (leaf first), as
 * ` (...)`; empty when nothing is.
 */
export function serverChainDefect(pem: string, now: number): string {
  const parsed = parseCertificates(pem);
  if ("defect" in parsed) return ` (${parsed.defect})`;
  const [leaf, ...intermediates] = parsed.value;
  if (leaf.ca)
    return ` (the first certificate, ${oneLineName(leaf.subject)}, is a CA: the server's comes first)`;
  const notCa = intermediates.find((c) => !c.ca);
  if (notCa) return ` (${oneLineName(notCa.subject)} follows the server's certificate but is not a CA)`;
  return expiredDefect(parsed.value, now);
}

/** What is wrong with the PEM of one CA certificate on its own, as ` (...)`; empty when nothing is. */
export function caCertificateDefect(pem: string, now: number): string {
  const parsed = parseCertificates(pem);
  if ("defect" in parsed) return ` (${parsed.defect})`;
  if (parsed.value.length !== 1) return ` (${parsed.value.length} certificates: expected exactly one)`;
  const [ca] = parsed.value;
  if (!ca.ca) return ` (${oneLineName(ca.subject)} is not a CA: its basicConstraints lack CA:TRUE)`;
  return expiredDefect(parsed.value, now);
}

function expiredDefect(certs: X509Certificate[], now: number): string {
  const expired = certs.filter((c) => expiredAt(c, now));
  if (expired.length === 0) return "";
  return ` (${expired.map((c) => `${oneLineName(c.subject)} expired on ${validToIso(c)}`).join("; ")})`;
}

/** What is wrong with a private key on its own, as ` (...)`; empty when nothing is. */
export function privateKeyDefect(pem: string): string {
  const parsed = parsePrivateKey(pem);
  return "defect" in parsed ? ` (${parsed.defect})` : "";
}

/**
 * The names the certificate does not cover. Only its subjectAltNames count (wildcards as TLS
 * clients match them): Go and browsers ignore the common name.
 */
export function uncoveredNames(cert: X509Certificate, names: string[]): string[] {
  return names.filter(
    (name) => cert.checkHost(name, { subject: "never", partialWildcards: false }) === undefined,
  );
}

/** Whether `key` is the private key of `cert`. */
export function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // e.g. an RSA key beside an EC certificate
  }
}

/** Why `issuer` did not issue and sign `cert`; undefined when it did. */
export function issuerDefect(cert: X509Certificate, issuer: X509Certificate): string | undefined {
  const [name, by] = [oneLineName(cert.subject), oneLineName(issuer.subject)];
  if (!cert.checkIssued(issuer)) return `${name} is issued by ${oneLineName(cert.issuer)}, not by ${by}`;
  if (!cert.verify(issuer.publicKey))
    return `${name} names ${by} as its issuer, but ${by}'s key did not sign it`;
  return undefined;
}

/**
 * Why `chain` (leaf first, then intermediates) does not lead to `root`; undefined when each
 * certificate is issued and signed by the next and the last by the root. A chain that ends with
 * the root itself is accepted.
 */
export function chainDefect(chain: X509Certificate[], root: X509Certificate): string | undefined {
  const links = chain.at(-1)?.fingerprint256 === root.fingerprint256 ? chain : [...chain, root];
  for (let i = 0; i + 1 < links.length; i++) {
    const defect = issuerDefect(links[i], links[i + 1]);
    if (defect) return defect;
  }
  return undefined;
}

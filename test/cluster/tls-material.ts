import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Real keys and certificates for the tls provider's resources, made with openssl from the inputs
 * the program gives them, where the fast tier's mocks return placeholder PEM. The cluster tier
 * applies what the program registers before the real engine runs here, and the API server (which
 * parses kubernetes.io/tls Secrets) and istiod (which reads a Gateway's credential) must see
 * certificates that parse and chain, as the provider would compute them.
 */

interface Subject {
  commonName?: string;
  organization?: string;
}

interface TlsInputs {
  algorithm?: string;
  ecdsaCurve?: string;
  rsaBits?: number;
  privateKeyPem?: string;
  subject?: Subject;
  dnsNames?: string[];
  ipAddresses?: string[];
  isCaCertificate?: boolean;
  validityPeriodHours?: number;
  allowedUses?: string[];
  certRequestPem?: string;
  caPrivateKeyPem?: string;
  caCertPem?: string;
}

const CURVES: Record<string, string> = { P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" };

const KEY_USAGE: Record<string, string> = {
  digital_signature: "digitalSignature",
  key_encipherment: "keyEncipherment",
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
};
const EXT_KEY_USAGE: Record<string, string> = { server_auth: "serverAuth", client_auth: "clientAuth" };

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

const subjectOf = (s: Subject = {}) =>
  `/${[s.organization && `O=${s.organization}`, s.commonName && `CN=${s.commonName}`].filter(Boolean).join("/")}`;

function extensions(i: TlsInputs): string {
  const lines = [`basicConstraints=critical,CA:${i.isCaCertificate ? "TRUE" : "FALSE"}`];
  const uses = i.allowedUses ?? [];
  const ku = uses.map((u) => KEY_USAGE[u]).filter(Boolean);
  const eku = uses.map((u) => EXT_KEY_USAGE[u]).filter(Boolean);
  if (ku.length) lines.push(`keyUsage=critical,${ku.join(",")}`);
  if (eku.length) lines.push(`extendedKeyUsage=${eku.join(",")}`);
  return lines.join("\n");
}

/** `req.csr` in `dir`: a request for the input key (written as `key.pem`) with the input subject. */
function request(dir: string, inputs: TlsInputs, sans: string[]): void {
  writeFileSync(path.join(dir, "key.pem"), inputs.privateKeyPem ?? "");
  const san = sans.length ? ["-addext", `subjectAltName=${sans.join(",")}`] : [];
  openssl(dir, [
    "req",
    "-new",
    "-key",
    "key.pem",
    "-subj",
    subjectOf(inputs.subject),
    ...san,
    "-out",
    "req.csr",
  ]);
}

function withDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), "pingpong-tls-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const days = (hours = 24) => String(Math.max(1, Math.ceil(hours / 24)));

/** The state the tls provider computes for `type`, or undefined for any other type. */
export function tlsState(type: string, inputs: TlsInputs): Record<string, unknown> | undefined {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return withDir((dir) => {
        const pkeyopt =
          inputs.algorithm === "ECDSA"
            ? ["-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${CURVES[inputs.ecdsaCurve ?? "P224"]}`]
            : ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${inputs.rsaBits ?? 2048}`];
        openssl(dir, ["genpkey", ...pkeyopt, "-out", "key.pem"]);
        openssl(dir, ["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"]);
        const pkcs8 = readFileSync(path.join(dir, "key.pem"), "utf8");
        return {
          privateKeyPem: pkcs8,
          privateKeyPemPkcs8: pkcs8,
          publicKeyPem: readFileSync(path.join(dir, "pub.pem"), "utf8"),
        };
      });
    case "tls:index/selfSignedCert:SelfSignedCert":
      return withDir((dir) => {
        request(dir, inputs, []);
        writeFileSync(path.join(dir, "ext.cnf"), `${extensions(inputs)}\n`);
        openssl(dir, [
          "x509",
          "-req",
          "-in",
          "req.csr",
          "-signkey",
          "key.pem",
          "-days",
          days(inputs.validityPeriodHours),
          "-extfile",
          "ext.cnf",
          "-out",
          "cert.pem",
        ]);
        return certState(dir, inputs);
      });
    case "tls:index/certRequest:CertRequest":
      return withDir((dir) => {
        request(dir, inputs, [
          ...(inputs.dnsNames ?? []).map((d) => `DNS:${d}`),
          ...(inputs.ipAddresses ?? []).map((a) => `IP:${a}`),
        ]);
        return { certRequestPem: readFileSync(path.join(dir, "req.csr"), "utf8") };
      });
    case "tls:index/locallySignedCert:LocallySignedCert":
      return withDir((dir) => {
        writeFileSync(path.join(dir, "req.csr"), inputs.certRequestPem ?? "");
        writeFileSync(path.join(dir, "ca.pem"), inputs.caCertPem ?? "");
        writeFileSync(path.join(dir, "ca.key"), inputs.caPrivateKeyPem ?? "");
        writeFileSync(path.join(dir, "ext.cnf"), `${extensions(inputs)}\n`);
        openssl(dir, [
          "x509",
          "-req",
          "-in",
          "req.csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-days",
          days(inputs.validityPeriodHours),
          "-extfile",
          "ext.cnf",
          "-copy_extensions",
          "copy",
          "-out",
          "cert.pem",
        ]);
        return certState(dir, inputs);
      });
    default:
      return undefined;
  }
}

function certState(dir: string, inputs: TlsInputs): Record<string, unknown> {
  const certPem = readFileSync(path.join(dir, "cert.pem"), "utf8");
  const end = new Date(Date.now() + (inputs.validityPeriodHours ?? 24) * 3_600_000).toISOString();
  return { certPem, validityEndTime: end };
}

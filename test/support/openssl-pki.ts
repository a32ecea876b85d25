import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A PKI made with openssl, as a user's own would be: root CAs, intermediates, server certificates
 * and their keys, each with the validity asked for (`openssl ca` takes explicit start and end
 * dates, so an expired certificate is a real one).
 */

/** A certificate and its private key, PEM. */
export interface Issued {
  cert: string;
  key: string;
  /** Where both are kept, for issuing with it. */
  files: { cert: string; key: string };
}

export interface CertificateOptions {
  /** `CN=...`, openssl's `/CN=.../O=...` without the first slash. */
  subject: string;
  dnsNames?: string[];
  ca?: boolean;
  key?: "EC" | "RSA";
  notBefore?: Date;
  notAfter?: Date;
}

const DAY = 24 * 60 * 60 * 1000;
/** openssl ca's date format: YYYYMMDDHHMMSSZ. */
const opensslDate = (d: Date) => `${d.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;

const CA_CONFIG = `[ca]
default_ca = issuer
[issuer]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
preserve = yes
unique_subject = no
email_in_dn = no
[anything]
commonName = supplied
organizationName = optional
`;

export class OpensslPki {
  readonly dir = mkdtempSync(join(tmpdir(), "pingpong-pki-"));
  private count = 0;

  /** A self-signed root CA. */
  root(options: CertificateOptions): Issued {
    return this.sign({ ...options, ca: options.ca ?? true });
  }

  /** A certificate signed by `issuer`. */
  issue(issuer: Issued, options: CertificateOptions): Issued {
    return this.sign(options, issuer);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private sign(options: CertificateOptions, issuer?: Issued): Issued {
    const dir = join(this.dir, String(++this.count));
    mkdirSync(dir);
    const openssl = (args: string[]) =>
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const keyArgs =
      options.key === "RSA"
        ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        : ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
    openssl(["genpkey", ...keyArgs, "-out", "key.pem"]);
    openssl(["req", "-new", "-key", "key.pem", "-subj", `/${options.subject}`, "-out", "csr.pem"]);
    const ca = options.ca ?? false;
    const extensions = [
      `basicConstraints=critical,CA:${ca ? "TRUE" : "FALSE"}`,
      ca
        ? "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
        : "keyUsage=critical,digitalSignature,keyEncipherment",
      ...(ca ? [] : ["extendedKeyUsage=serverAuth"]),
      "subjectKeyIdentifier=hash",
      ...(issuer ? ["authorityKeyIdentifier=keyid"] : []),
      ...(options.dnsNames?.length
        ? [`subjectAltName=${options.dnsNames.map((n) => `DNS:${n}`).join(",")}`]
        : []),
    ];
    writeFileSync(join(dir, "ext.cnf"), `${extensions.join("\n")}\n`);
    writeFileSync(join(dir, "ca.cnf"), CA_CONFIG);
    writeFileSync(join(dir, "index.txt"), "");
    // Hex with an even number of digits, as openssl's serial file takes it.
    writeFileSync(join(dir, "serial"), `01${randomBytes(8).toString("hex")}\n`);
    const now = Date.now();
    const signer = issuer
      ? ["-cert", issuer.files.cert, "-keyfile", issuer.files.key]
      : ["-selfsign", "-keyfile", "key.pem"];
    openssl([
      "ca",
      "-batch",
      "-notext",
      "-config",
      "ca.cnf",
      ...signer,
      "-in",
      "csr.pem",
      "-out",
      "cert.pem",
      "-startdate",
      opensslDate(options.notBefore ?? new Date(now - DAY)),
      "-enddate",
      opensslDate(options.notAfter ?? new Date(now + 30 * DAY)),
      "-extfile",
      "ext.cnf",
    ]);
    const files = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
    return { cert: readFileSync(files.cert, "utf8"), key: readFileSync(files.key, "utf8"), files };
  }
}

/** Every name a server certificate of the stack files needs: each environment's host, and both Services for app TLS. */
export const STACK_CERTIFICATE_NAMES = [
  "pingpong.localtest.me",
  "pingpong.staging.example.com",
  "pingpong.example.com",
  "pingpong.pingpong-a.svc.cluster.local",
  "pingpong.pingpong-b.svc.cluster.local",
];

/** A user's PKI as the settings take it: a root, an issuing intermediate, a server certificate, a mesh CA. */
export interface UserPki {
  pki: OpensslPki;
  root: Issued;
  issuing: Issued;
  server: Issued;
  meshCa: Issued;
  /** serverCertificate, serverPrivateKey, caCertificate. */
  settings: { serverCertificate: string; serverPrivateKey: string; caCertificate: string };
  /** meshCaCertificate, meshCaPrivateKey. */
  meshSettings: { meshCaCertificate: string; meshCaPrivateKey: string };
}

/** A root CA, an intermediate that issues the server certificate for every stack name, and a mesh CA under the root. */
export function userPki(): UserPki {
  const pki = new OpensslPki();
  const root = pki.root({ subject: "CN=Acme Root CA/O=Acme" });
  const issuing = pki.issue(root, { subject: "CN=Acme Issuing CA/O=Acme", ca: true });
  const server = pki.issue(issuing, {
    subject: "CN=pingpong.localtest.me",
    dnsNames: STACK_CERTIFICATE_NAMES,
  });
  const meshCa = pki.issue(root, { subject: "CN=Acme mesh CA/O=Acme", ca: true });
  return {
    pki,
    root,
    issuing,
    server,
    meshCa,
    settings: {
      serverCertificate: `${server.cert}${issuing.cert}`,
      serverPrivateKey: server.key,
      caCertificate: root.cert,
    },
    meshSettings: { meshCaCertificate: meshCa.cert, meshCaPrivateKey: meshCa.key },
  };
}

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The cluster's certificates, made with openssl: one CA signs the API server's serving certificate,
 * the admin client (system:masters), the components' clients and istiod's webhook certificate. The
 * service-account key pair signs tokens.
 */

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
  istiodCert: string;
  istiodKey: string;
}

export function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

const ecKey = (out: string) => [
  "genpkey",
  "-algorithm",
  "EC",
  "-pkeyopt",
  "ec_paramgen_curve:P-256",
  "-out",
  out,
];

/** A P-256 key `<base>.key` and a self-signed CA certificate `<base>.crt` in `dir`. */
export function selfSignedCa(dir: string, base: string, subject: string, days: number): void {
  openssl(ecKey(`${base}.key`), dir);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      `${base}.key`,
      "-subj",
      subject,
      "-days",
      String(days),
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
      "-out",
      `${base}.crt`,
    ],
    dir,
  );
}

/**
 * A P-256 key `<base>.key` and a certificate `<base>.crt` for `subject` with the given extension
 * lines, signed by the CA `<ca>.crt`/`<ca>.key` in `dir`.
 */
export function signWith(
  dir: string,
  ca: string,
  base: string,
  subject: string,
  ext: string[],
  days: number,
): void {
  openssl(ecKey(`${base}.key`), dir);
  openssl(["req", "-new", "-key", `${base}.key`, "-subj", subject, "-out", `${base}.csr`], dir);
  writeFileSync(path.join(dir, `${base}.ext`), `${ext.join("\n")}\n`);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      String(days),
      "-extfile",
      `${base}.ext`,
      "-out",
      `${base}.crt`,
    ],
    dir,
  );
}

/** A leaf key and certificate signed by the cluster's CA, with the given subject and subjectAltNames. */
function issue(dir: string, base: string, subject: string, sans: string[], usage: string): void {
  signWith(
    dir,
    "ca",
    base,
    subject,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      `extendedKeyUsage=${usage}`,
      ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
    ],
    2,
  );
}

export function makePki(dir: string): Pki {
  selfSignedCa(dir, "ca", "/CN=pingpong-cluster-tier-ca", 2);
  const serviceHosts = [
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
  ];
  issue(
    dir,
    "apiserver",
    "/CN=kube-apiserver",
    ["IP:127.0.0.1", "IP:10.96.0.1", "DNS:localhost", ...serviceHosts.map((h) => `DNS:${h}`)],
    "serverAuth",
  );
  issue(dir, "admin", "/O=system:masters/CN=kubernetes-admin", [], "clientAuth");
  // istiod serves its webhooks on 127.0.0.1 by URL: the API server checks this name.
  issue(
    dir,
    "istiod",
    "/CN=istiod.istio-system.svc",
    ["IP:127.0.0.1", "DNS:istiod.istio-system.svc", "DNS:localhost"],
    "serverAuth",
  );
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"], dir);
  openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    serverCert: p("apiserver.crt"),
    serverKey: p("apiserver.key"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
    istiodCert: p("istiod.crt"),
    istiodKey: p("istiod.key"),
  };
}

/** A kubeconfig for the admin client against `server`. */
export function writeKubeconfig(file: string, server: string, pki: Pki): void {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "tier", cluster: { server, "certificate-authority": pki.caCert } }],
    users: [{ name: "admin", user: { "client-certificate": pki.adminCert, "client-key": pki.adminKey } }],
    contexts: [{ name: "tier", context: { cluster: "tier", user: "admin" } }],
    "current-context": "tier",
  };
  // JSON is YAML: every consumer (kubectl, Helm, client-go, Pulumi) reads it.
  writeFileSync(file, JSON.stringify(config, null, 2));
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../app/src/config";
import { createCa, issueClientCert, issueServerCert, writePems, type PemDir } from "../support/certs";
import { configError, expectRefused, unset, type BadCase } from "../support/config-errors";
import { PINGPONG_A_ID } from "../support/spiffe-ids";

let pems: PemDir;
let files: Record<string, string>;

beforeAll(async () => {
  const ca = await createCa("config-test-ca");
  const server = await issueServerCert(ca);
  const other = await issueServerCert(ca);
  const client = await issueClientCert(ca, PINGPONG_A_ID);
  pems = writePems({
    "ca.pem": ca.cert,
    "server.pem": server.cert,
    "server-key.pem": server.key,
    "other-key.pem": other.key,
    "client.pem": client.cert,
    "client-key.pem": client.key,
    "not-pem.txt": "hello, this is not a certificate\n",
  });
  files = pems.paths;
  files["missing.pem"] = join(pems.dir, "missing.pem");
});

afterAll(() => pems.remove());

describe("loadConfig TLS material", () => {
  it("loads server TLS and application mTLS material", () => {
    const config = loadConfig({
      TLS_CERT_FILE: files["server.pem"],
      TLS_KEY_FILE: files["server-key.pem"],
      TLS_CLIENT_CA_FILE: files["ca.pem"],
    });
    expect(config.tls).toEqual({
      cert: readFileSync(files["server.pem"]),
      key: readFileSync(files["server-key.pem"]),
      clientCa: readFileSync(files["ca.pem"]),
    });
  });

  it("loads the pinger's client certificate and CA for an https TARGET", () => {
    const config = loadConfig({
      TARGET: "https://127.0.0.1:8443/ping",
      TARGET_CERT_FILE: files["client.pem"],
      TARGET_KEY_FILE: files["client-key.pem"],
      TARGET_CA_FILE: files["ca.pem"],
    });
    expect(config.targetTls).toEqual({
      cert: readFileSync(files["client.pem"]),
      key: readFileSync(files["client-key.pem"]),
      ca: readFileSync(files["ca.pem"]),
    });
  });

  it("accepts TARGET_CA_FILE alone for an https TARGET", () => {
    const config = loadConfig({ TARGET: "https://127.0.0.1:8443/ping", TARGET_CA_FILE: files["ca.pem"] });
    expect(config.targetTls).toEqual({ cert: undefined, key: undefined, ca: readFileSync(files["ca.pem"]) });
  });
});

const BAD: BadCase[] = [
  {
    name: "TLS_CERT_FILE without TLS_KEY_FILE",
    env: () => ({ TLS_CERT_FILE: files["server.pem"] }),
    variable: "TLS_KEY_FILE",
    shown: unset,
    expected: "a private key file because TLS_CERT_FILE is set",
  },
  {
    name: "TLS_KEY_FILE without TLS_CERT_FILE",
    env: () => ({ TLS_KEY_FILE: files["server-key.pem"] }),
    variable: "TLS_CERT_FILE",
    shown: unset,
    expected: "a certificate file because TLS_KEY_FILE is set",
  },
  {
    name: "TLS_CERT_FILE missing",
    env: () => ({ TLS_CERT_FILE: files["missing.pem"], TLS_KEY_FILE: files["server-key.pem"] }),
    variable: "TLS_CERT_FILE",
    shown: () => JSON.stringify(files["missing.pem"]),
    expected: "a readable PEM file (ENOENT)",
  },
  {
    name: "TLS_CERT_FILE not PEM",
    env: () => ({ TLS_CERT_FILE: files["not-pem.txt"], TLS_KEY_FILE: files["server-key.pem"] }),
    variable: "TLS_CERT_FILE",
    shown: () => JSON.stringify(files["not-pem.txt"]),
    expected: "a PEM file (no PEM block found)",
  },
  {
    name: "TLS_KEY_FILE not matching TLS_CERT_FILE",
    env: () => ({ TLS_CERT_FILE: files["server.pem"], TLS_KEY_FILE: files["other-key.pem"] }),
    variable: "TLS_KEY_FILE",
    shown: () => JSON.stringify(files["other-key.pem"]),
    expected: "the private key of TLS_CERT_FILE (",
  },
  {
    name: "TLS_CLIENT_CA_FILE without a server certificate",
    env: () => ({ TLS_CLIENT_CA_FILE: files["ca.pem"] }),
    variable: "TLS_CLIENT_CA_FILE",
    shown: () => JSON.stringify(files["ca.pem"]),
    expected: "to be set only together with TLS_CERT_FILE and TLS_KEY_FILE",
  },
  {
    name: "TARGET_CERT_FILE with an http TARGET",
    env: () => ({
      TARGET: "http://127.0.0.1:8080/ping",
      TARGET_CERT_FILE: files["client.pem"],
      TARGET_KEY_FILE: files["client-key.pem"],
    }),
    variable: "TARGET_CERT_FILE",
    shown: () => JSON.stringify(files["client.pem"]),
    expected: "to be set only with an https:// TARGET",
  },
  {
    name: "TARGET_CA_FILE without a TARGET",
    env: () => ({ TARGET_CA_FILE: files["ca.pem"] }),
    variable: "TARGET_CA_FILE",
    shown: () => JSON.stringify(files["ca.pem"]),
    expected: "to be set only with an https:// TARGET",
  },
  {
    name: "TARGET_CERT_FILE without TARGET_KEY_FILE",
    env: () => ({ TARGET: "https://127.0.0.1:8443/ping", TARGET_CERT_FILE: files["client.pem"] }),
    variable: "TARGET_KEY_FILE",
    shown: unset,
    expected: "a private key file because TARGET_CERT_FILE is set",
  },
];

describe("loadConfig rejects bad TLS files", () => {
  it.each(BAD)("$name", (bad) => expectRefused(bad));

  it("names the OpenSSL reason when the key does not match the certificate", () => {
    const err = configError({ TLS_CERT_FILE: files["server.pem"], TLS_KEY_FILE: files["other-key.pem"] });
    expect(err.message).toMatch(/expected the private key of TLS_CERT_FILE \(.*key values mismatch.*\)$/);
  });
});

import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, type Config } from "../../app/src/config";
import { createCa, issueClientCert, issueServerCert, writePems, type PemDir } from "../support/certs";
import type { Env } from "../support/service";

let pems: PemDir;
let files: Record<string, string>;

beforeAll(async () => {
  const ca = await createCa("config-test-ca");
  const server = await issueServerCert(ca);
  const other = await issueServerCert(ca);
  const client = await issueClientCert(ca, "spiffe://cluster.local/ns/pingpong-a/sa/pingpong");
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

function configError(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe("loadConfig defaults", () => {
  it("starts from documented defaults with an empty environment", () => {
    const expected: Config = {
      host: "0.0.0.0",
      port: 8080,
      metricsPort: 9090,
      target: undefined,
      tickMs: 1000,
      pingTimeoutMs: 2000,
      shutdownTimeoutMs: 10000,
      drainDelayMs: 0,
      logLevel: "info",
      serviceName: "pingpong",
      namespace: "default",
      podName: hostname(),
      version: "v1",
      tls: undefined,
      targetTls: undefined,
    };
    expect(loadConfig({})).toEqual(expected);
  });

  it("treats empty and blank values as unset", () => {
    const config = loadConfig({
      PORT: "",
      METRICS_PORT: "   ",
      TARGET: " ",
      LOG_LEVEL: "",
      TLS_CERT_FILE: "",
    });
    expect(config.port).toBe(8080);
    expect(config.metricsPort).toBe(9090);
    expect(config.target).toBeUndefined();
    expect(config.logLevel).toBe("info");
    expect(config.tls).toBeUndefined();
  });

  it("reads every variable", () => {
    const config = loadConfig({
      HOST: "127.0.0.1",
      PORT: " 8081 ",
      METRICS_PORT: "9091",
      TARGET: "http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
      TICK_MS: "250",
      PING_TIMEOUT_MS: "500",
      SHUTDOWN_TIMEOUT_MS: "3000",
      DRAIN_DELAY_MS: "2999",
      LOG_LEVEL: "DEBUG",
      SERVICE_NAME: "pingpong-2",
      POD_NAMESPACE: "pingpong-a",
      POD_NAME: "pingpong-abc",
      SERVICE_VERSION: "v2",
    });
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8081,
      metricsPort: 9091,
      tickMs: 250,
      pingTimeoutMs: 500,
      shutdownTimeoutMs: 3000,
      drainDelayMs: 2999,
      logLevel: "debug",
      serviceName: "pingpong-2",
      namespace: "pingpong-a",
      podName: "pingpong-abc",
      version: "v2",
    });
    expect(config.target?.href).toBe("http://pingpong.pingpong-b.svc.cluster.local:8080/ping");
  });

  it("allows PORT and METRICS_PORT both 0 (OS-chosen ports)", () => {
    expect(loadConfig({ PORT: "0", METRICS_PORT: "0" })).toMatchObject({ port: 0, metricsPort: 0 });
  });

  it("accepts the port bounds 0 and 65535", () => {
    expect(loadConfig({ PORT: "65535", METRICS_PORT: "0" })).toMatchObject({ port: 65535, metricsPort: 0 });
  });

  it("loads server TLS and application mTLS material", () => {
    const config = loadConfig({
      TLS_CERT_FILE: files["server.pem"],
      TLS_KEY_FILE: files["server-key.pem"],
      TLS_CLIENT_CA_FILE: files["ca.pem"],
    });
    expect(config.tls?.cert.toString()).toContain("-----BEGIN CERTIFICATE-----");
    expect(config.tls?.key.toString()).toContain("-----BEGIN PRIVATE KEY-----");
    expect(config.tls?.clientCa?.toString()).toContain("-----BEGIN CERTIFICATE-----");
  });

  it("loads the pinger's client certificate and CA for an https TARGET", () => {
    const config = loadConfig({
      TARGET: "https://127.0.0.1:8443/ping",
      TARGET_CERT_FILE: files["client.pem"],
      TARGET_KEY_FILE: files["client-key.pem"],
      TARGET_CA_FILE: files["ca.pem"],
    });
    expect(config.targetTls?.cert?.toString()).toContain("-----BEGIN CERTIFICATE-----");
    expect(config.targetTls?.key?.toString()).toContain("-----BEGIN PRIVATE KEY-----");
    expect(config.targetTls?.ca?.toString()).toContain("-----BEGIN CERTIFICATE-----");
  });

  it("accepts TARGET_CA_FILE alone for an https TARGET", () => {
    const config = loadConfig({ TARGET: "https://127.0.0.1:8443/ping", TARGET_CA_FILE: files["ca.pem"] });
    expect(config.targetTls?.cert).toBeUndefined();
    expect(config.targetTls?.ca).toBeInstanceOf(Buffer);
  });
});

interface BadCase {
  name: string;
  env: () => Env;
  variable: string;
  /** The value as shown in the message: the raw value JSON-quoted, or <unset>. */
  shown: () => string;
  expected: string;
}

const quoted = (v: string) => () => JSON.stringify(v);
const unset = () => "<unset>";

const BAD: BadCase[] = [
  {
    name: "PORT not a number",
    env: () => ({ PORT: "abc" }),
    variable: "PORT",
    shown: quoted("abc"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "PORT above 65535",
    env: () => ({ PORT: "70000" }),
    variable: "PORT",
    shown: quoted("70000"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "PORT negative",
    env: () => ({ PORT: "-1" }),
    variable: "PORT",
    shown: quoted("-1"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "METRICS_PORT not a number",
    env: () => ({ METRICS_PORT: "9090x" }),
    variable: "METRICS_PORT",
    shown: quoted("9090x"),
    expected: "a TCP port (an integer from 0 to 65535)",
  },
  {
    name: "METRICS_PORT equal to PORT",
    env: () => ({ PORT: "8080", METRICS_PORT: "8080" }),
    variable: "METRICS_PORT",
    shown: quoted("8080"),
    expected: "a port different from PORT (8080)",
  },
  {
    name: "METRICS_PORT equal to the default PORT",
    env: () => ({ METRICS_PORT: "8080" }),
    variable: "METRICS_PORT",
    shown: quoted("8080"),
    expected: "a port different from PORT (8080)",
  },
  {
    name: "TICK_MS zero",
    env: () => ({ TICK_MS: "0" }),
    variable: "TICK_MS",
    shown: quoted("0"),
    expected: "the ping interval in milliseconds (an integer from 1 to 86400000)",
  },
  {
    name: "TICK_MS fractional",
    env: () => ({ TICK_MS: "1.5" }),
    variable: "TICK_MS",
    shown: quoted("1.5"),
    expected: "the ping interval in milliseconds (an integer from 1 to 86400000)",
  },
  {
    name: "TICK_MS above a day",
    env: () => ({ TICK_MS: "86400001" }),
    variable: "TICK_MS",
    shown: quoted("86400001"),
    expected: "an integer from 1 to 86400000",
  },
  {
    name: "PING_TIMEOUT_MS zero",
    env: () => ({ PING_TIMEOUT_MS: "0" }),
    variable: "PING_TIMEOUT_MS",
    shown: quoted("0"),
    expected: "the ping timeout in milliseconds (an integer from 1 to 86400000)",
  },
  {
    name: "SHUTDOWN_TIMEOUT_MS not a number",
    env: () => ({ SHUTDOWN_TIMEOUT_MS: "x" }),
    variable: "SHUTDOWN_TIMEOUT_MS",
    shown: quoted("x"),
    expected: "the shutdown deadline in milliseconds (an integer from 1 to 86400000)",
  },
  {
    name: "DRAIN_DELAY_MS equal to SHUTDOWN_TIMEOUT_MS",
    env: () => ({ DRAIN_DELAY_MS: "5000", SHUTDOWN_TIMEOUT_MS: "5000" }),
    variable: "DRAIN_DELAY_MS",
    shown: quoted("5000"),
    expected: "less than SHUTDOWN_TIMEOUT_MS (5000)",
  },
  {
    name: "DRAIN_DELAY_MS above the default SHUTDOWN_TIMEOUT_MS",
    env: () => ({ DRAIN_DELAY_MS: "15000" }),
    variable: "DRAIN_DELAY_MS",
    shown: quoted("15000"),
    expected: "less than SHUTDOWN_TIMEOUT_MS (10000)",
  },
  {
    name: "DRAIN_DELAY_MS negative",
    env: () => ({ DRAIN_DELAY_MS: "-5" }),
    variable: "DRAIN_DELAY_MS",
    shown: quoted("-5"),
    expected: "the drain delay in milliseconds (an integer from 0 to 86400000)",
  },
  {
    name: "LOG_LEVEL unknown",
    env: () => ({ LOG_LEVEL: "loud" }),
    variable: "LOG_LEVEL",
    shown: quoted("loud"),
    expected: "one of fatal, error, warn, info, debug, trace, silent",
  },
  {
    name: "TARGET with another scheme",
    env: () => ({ TARGET: "ftp://x" }),
    variable: "TARGET",
    shown: quoted("ftp://x"),
    expected: "an absolute http:// or https:// URL with a host",
  },
  {
    name: "TARGET not a URL",
    env: () => ({ TARGET: "not a url" }),
    variable: "TARGET",
    shown: quoted("not a url"),
    expected:
      "an absolute http:// or https:// URL, e.g. http://pingpong.pingpong-b.svc.cluster.local:8080/ping",
  },
  {
    name: "TARGET relative",
    env: () => ({ TARGET: "/ping" }),
    variable: "TARGET",
    shown: quoted("/ping"),
    expected: "an absolute http:// or https:// URL",
  },
  {
    name: "TARGET with credentials",
    env: () => ({ TARGET: "http://user:secret@pingpong-b:8080/ping" }),
    variable: "TARGET",
    shown: quoted("http://user:secret@pingpong-b:8080/ping"),
    expected: "a URL without credentials",
  },
  {
    name: "TARGET with a user name only",
    env: () => ({ TARGET: "http://user@pingpong-b:8080/ping" }),
    variable: "TARGET",
    shown: quoted("http://user@pingpong-b:8080/ping"),
    expected: "a URL without credentials",
  },
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
  {
    name: "SERVICE_NAME with capitals and underscore",
    env: () => ({ SERVICE_NAME: "Bad_Name" }),
    variable: "SERVICE_NAME",
    shown: quoted("Bad_Name"),
    expected: "a DNS label (lowercase letters, digits and '-')",
  },
  {
    name: "SERVICE_NAME ending with '-'",
    env: () => ({ SERVICE_NAME: "pingpong-" }),
    variable: "SERVICE_NAME",
    shown: quoted("pingpong-"),
    expected: "a DNS label",
  },
  {
    name: "SERVICE_VERSION with a character no HTTP header may carry",
    env: () => ({ SERVICE_VERSION: "v1\u2014beta" }),
    variable: "SERVICE_VERSION",
    shown: quoted("v1\u2014beta"),
    expected: "a version label such as v1",
  },
  {
    name: "POD_NAMESPACE with capitals",
    env: () => ({ POD_NAMESPACE: "Pingpong" }),
    variable: "POD_NAMESPACE",
    shown: quoted("Pingpong"),
    expected: "a Kubernetes namespace name",
  },
  {
    name: "POD_NAME with a space",
    env: () => ({ POD_NAME: "pod 1" }),
    variable: "POD_NAME",
    shown: quoted("pod 1"),
    expected: "a pod name",
  },
];

describe("loadConfig rejects bad values", () => {
  it.each(BAD)("$name", ({ env, variable, shown, expected }) => {
    const err = configError(env());
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.name).toBe("ConfigError");
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`invalid configuration: ${variable}=${shown()}: expected `)).toBe(true);
    expect(err.message).toContain(expected);
  });

  it("reports the first bad variable in a fixed order", () => {
    expect(configError({ PORT: "abc", TICK_MS: "0", LOG_LEVEL: "loud" }).variable).toBe("PORT");
    expect(configError({ TICK_MS: "0", LOG_LEVEL: "loud" }).variable).toBe("TICK_MS");
  });

  it("shows the raw value, not the trimmed one", () => {
    expect(configError({ PORT: " abc " }).message).toBe(
      'invalid configuration: PORT=" abc ": expected a TCP port (an integer from 0 to 65535)',
    );
  });

  it("names the OpenSSL reason when the key does not match the certificate", () => {
    const err = configError({ TLS_CERT_FILE: files["server.pem"], TLS_KEY_FILE: files["other-key.pem"] });
    expect(err.message).toMatch(/expected the private key of TLS_CERT_FILE \(.*key values mismatch.*\)$/);
  });
});

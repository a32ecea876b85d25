import { X509Certificate } from "node:crypto";
import { defaultIn, ENVIRONMENTS } from "../../stacks/key";
import { plan } from "../../stacks/plan";
import { parseSettings, type Settings } from "../../stacks/settings";
import { TABLE } from "../../stacks/table";
import { OpensslPki, userPki, type Issued, type UserPki } from "../support/openssl-pki";
import { engineConfig } from "../support/program";
import { stackConfig } from "../support/stack-files";
import { settingsError } from "../support/variants";

/**
 * The user's own PKI (serverCertificate, serverPrivateKey, caCertificate, meshCaCertificate,
 * meshCaPrivateKey) and Kiali's signing key (kialiSigningKey): their rows, their rules and the
 * plan they reach, with real certificates and keys made by openssl. The program with them:
 * test/program/provided-pki.test.ts; the component alone: test/components/provided-certificates.test.ts.
 */

type Config = Record<string, string | number | boolean>;
const settingsOf = (config: Config, stack = "dev"): Settings =>
  parseSettings(engineConfig({ ...stackConfig(stack), ...config }), stack);
const problemsOf = (config: Config, stack = "dev"): string[] =>
  settingsError({ ...stackConfig(stack), ...config }, stack).problems;

const NEW_KEYS = [
  "serverCertificate",
  "serverPrivateKey",
  "caCertificate",
  "meshCaCertificate",
  "meshCaPrivateKey",
  "kialiSigningKey",
] as const;
const SECRET_KEYS = ["serverPrivateKey", "meshCaPrivateKey", "kialiSigningKey"];
const KIALI_KEY = "k1al1-s3ss10n-k3y-0f-32-bytes!!!";

let user: UserPki;
/** Made by another root, for every name: a certificate the user's root did not issue. */
let stranger: Issued;
/** The user's intermediate issued it, for the ingress host of dev only. */
let devOnly: Issued;
/** Expired: from 2020-01-01 to 2020-01-02. */
let expired: Issued;
let expiredRoot: Issued;
/** Another root, for a mesh CA the user's root did not issue. */
let otherMeshCa: Issued;
/** A server certificate with an RSA key. */
let rsa: Issued;
let extra: OpensslPki;

/** Every private key's body (its second PEM line) that a problem must never show. */
const keyBodies = () =>
  [user.server, user.meshCa, user.root, stranger, rsa, otherMeshCa].map((i) => i.key.split("\n")[1]);

beforeAll(() => {
  user = userPki();
  extra = new OpensslPki();
  const other = extra.root({ subject: "CN=Other Root CA" });
  stranger = extra.issue(other, { subject: "CN=pingpong.localtest.me", dnsNames: ["pingpong.localtest.me"] });
  devOnly = extra.issue(user.issuing, {
    subject: "CN=pingpong.localtest.me",
    dnsNames: ["pingpong.localtest.me"],
  });
  const [notBefore, notAfter] = [new Date("2020-01-01T00:00:00Z"), new Date("2020-01-02T00:00:00Z")];
  expired = extra.issue(user.issuing, {
    subject: "CN=old.localtest.me",
    dnsNames: ["pingpong.localtest.me"],
    notBefore,
    notAfter,
  });
  expiredRoot = extra.root({ subject: "CN=Old Root CA", notBefore, notAfter });
  otherMeshCa = extra.issue(other, { subject: "CN=Other mesh CA", ca: true });
  rsa = extra.issue(user.issuing, { subject: "CN=rsa", dnsNames: ["pingpong.localtest.me"], key: "RSA" });
}, 60_000);
afterAll(() => {
  user.pki.remove();
  extra.remove();
});

/** The one problem of `config` on `stack`: one line, naming `key` with the value shown as `shown`. */
function onlyProblem(config: Config, stack: string, key: string, shown?: string): string {
  const problems = problemsOf(config, stack);
  expect(problems).toHaveLength(1);
  const [line] = problems;
  expect(line).not.toContain("\n");
  expect(line.startsWith(`pingpong:${key}=${shown ?? ""}`)).toBe(true);
  for (const body of keyBodies()) expect(line).not.toContain(body);
  expect(line).not.toContain(KIALI_KEY);
  return line;
}

test("no environment has a default for them; kept secret: the keys", () => {
  for (const key of NEW_KEYS) {
    expect({ key, optional: TABLE[key].optional }).toEqual({ key, optional: true });
    for (const e of ENVIRONMENTS)
      expect({ key, e, d: defaultIn(TABLE[key], e) }).toEqual({ key, e, d: undefined });
  }
  const secret = NEW_KEYS.filter((key) => (TABLE[key] as { secret?: boolean }).secret === true);
  expect(secret).toEqual(SECRET_KEYS);
});

describe("accepted", () => {
  test("unset: the stack generates its certificates as before, and Kiali's key is its own", () => {
    for (const stack of ["dev", "prod"]) {
      const s = settingsOf({}, stack);
      expect(s.tls.provided).toBeUndefined();
      expect(plan(s).certificates).toMatchObject({ mode: "generated", intermediateCa: s.mesh.pluginCa });
    }
    expect(plan(settingsOf({})).addons.kiali?.signingKey).toBeUndefined();
  });

  test("dev (no plug-in CA): the chain, key and root are taken as given; the plan generates nothing", () => {
    const s = settingsOf(user.settings);
    const { serverCertificate, serverPrivateKey, caCertificate } = user.settings;
    expect(s.tls.provided).toEqual({
      serverCertPem: serverCertificate,
      serverKeyPem: serverPrivateKey,
      caCertPem: caCertificate,
    });
    const p = plan(s);
    expect(p.certificates).toEqual({
      mode: "provided",
      dnsNames: p.edge.certificateHosts,
      serverCertPem: serverCertificate,
      serverKeyPem: serverPrivateKey,
      caCertPem: caCertificate,
    });
  });

  test("prod (plug-in CA on): the mesh CA and its key go to the plan too", () => {
    const s = settingsOf({ ...user.settings, ...user.meshSettings }, "prod");
    expect(plan(s).certificates).toMatchObject({
      mode: "provided",
      meshCa: { certPem: user.meshCa.cert, keyPem: user.meshCa.key },
    });
  });

  test("tlsTermination=app: a certificate that also names both Services", () => {
    const app = {
      tlsTermination: "app",
      tracing: "none",
      traceSamplingPercent: 0,
      rateLimitRequestsPerSecond: 0,
      canaryAnalysis: false,
    };
    const p = plan(settingsOf({ ...app, ...user.settings }));
    expect(p.certificates.dnsNames).toEqual([
      "pingpong.localtest.me",
      "pingpong.pingpong-a.svc.cluster.local",
      "pingpong.pingpong-b.svc.cluster.local",
    ]);
  });

  test("a chain that ends with the root itself, and an RSA key", () => {
    const chain = `${rsa.cert}${user.issuing.cert}${user.root.cert}`;
    expect(() =>
      settingsOf({ ...user.settings, serverCertificate: chain, serverPrivateKey: rsa.key }),
    ).not.toThrow();
  });

  test("the generation settings' defaults are not the stack's choice: no problem beside a provided PKI", () => {
    expect(() => settingsOf({ ...user.settings, ...user.meshSettings }, "prod")).not.toThrow();
  });

  test.each([16, 24, 32])("kialiSigningKey of %i bytes goes to Kiali's plan as given", (length) => {
    const key = KIALI_KEY.slice(0, length);
    const p = plan(settingsOf({ kialiSigningKey: key }));
    expect(p.addons.kiali?.signingKey).toBe(key);
  });
});

/**
 * A refusal: `config` (built once the PKI exists, hence a function) on `stack` has one problem, on
 * `key` with its value shown as `shown`; `says` is that line in full or the part of it that matters.
 */
interface Refusal {
  name: string;
  config: () => Config;
  stack: string;
  key: string;
  shown?: string;
  says: string;
}
const refused = ({ config, stack, key, shown }: Refusal): string => onlyProblem(config(), stack, key, shown);

/** `config` without `key`. */
function without(config: Config, key: string): Config {
  const { [key]: _gone, ...rest } = config;
  return rest;
}

describe("refused: which settings come together", () => {
  test.each<Refusal>([
    {
      name: "serverCertificate without serverPrivateKey",
      config: () => without(user.settings, "serverPrivateKey"),
      stack: "dev",
      key: "serverPrivateKey",
      shown: "<unset>",
      says: "pingpong:serverPrivateKey=<unset>: expected the PEM private key of the server certificate (set with --secret), because pingpong:serverCertificate is set",
    },
    {
      name: "serverCertificate without caCertificate",
      config: () => without(user.settings, "caCertificate"),
      stack: "dev",
      key: "caCertificate",
      shown: "<unset>",
      says: "pingpong:caCertificate=<unset>: expected the PEM of the root CA the server certificate chains to, because pingpong:serverCertificate is set",
    },
    {
      name: "serverPrivateKey without serverCertificate: refused, the key shown by its kind only",
      config: () => ({ serverPrivateKey: user.server.key }),
      stack: "dev",
      key: "serverPrivateKey",
      says: "pingpong:serverPrivateKey=<secret EC P-256 key>: expected unset unless pingpong:serverCertificate is set: the stack generates its own CA and keys without it",
    },
  ])("$name", (r) => {
    expect(refused(r)).toBe(r.says);
  });

  test("serverCertificate alone: one line for each missing setting", () => {
    const problems = problemsOf({ serverCertificate: user.settings.serverCertificate });
    expect(problems.map((p) => p.split("=")[0])).toEqual([
      "pingpong:serverPrivateKey",
      "pingpong:caCertificate",
    ]);
  });

  test.each<{ key: string; stack: string; value: () => string; shown?: string }>([
    {
      key: "caCertificate",
      stack: "dev",
      value: () => user.root.cert,
      shown: "<certificate CN=Acme Root CA, O=Acme",
    },
    { key: "meshCaCertificate", stack: "prod", value: () => user.meshSettings.meshCaCertificate },
    { key: "meshCaPrivateKey", stack: "prod", value: () => user.meshSettings.meshCaPrivateKey },
  ])("$key without serverCertificate ($stack)", ({ key, stack, value, shown }) => {
    const line = onlyProblem({ [key]: value() }, stack, key, shown);
    expect(line).toContain(": expected unset unless pingpong:serverCertificate is set");
  });

  test.each(["meshCaCertificate", "meshCaPrivateKey"] as const)(
    "prod (pluginCa on) with a provided PKI but no %s",
    (key) => {
      const { [key]: _missing, ...mesh } = user.meshSettings;
      const line = onlyProblem({ ...user.settings, ...mesh }, "prod", key, "<unset>");
      expect(line).toContain("because pingpong:serverCertificate is set and pingpong:pluginCa is true");
    },
  );

  test.each(["meshCaCertificate", "meshCaPrivateKey"] as const)("%s while pluginCa is off (dev)", (key) => {
    const line = onlyProblem({ ...user.settings, [key]: user.meshSettings[key] }, "dev", key);
    expect(line).toContain(": expected unset while pingpong:pluginCa is false: istiod gets no plug-in CA");
  });

  test.each([
    ["certKeyAlgorithm", "RSA-2048", "the provided certificates come with their own keys"],
    ["certValidityHours", 720, "the provided server certificate's own validity applies"],
    ["certEarlyRenewalHours", 100, "nothing is generated, so `pulumi up` renews nothing; renew in your PKI"],
    ["caValidityHours", 87600, "the provided CAs' own validity applies"],
  ])("%s set explicitly beside serverCertificate (it would do nothing)", (key, value, why) => {
    expect(onlyProblem({ ...user.settings, [key]: value }, "dev", String(key))).toBe(
      `pingpong:${key}=${JSON.stringify(value)}: expected unset while pingpong:serverCertificate is set: ${why}`,
    );
  });
});

describe("refused: each PEM on its own", () => {
  test("a path instead of the certificate's contents is shown as given, with how to pass the contents", () => {
    expect(
      onlyProblem({ ...user.settings, serverCertificate: "/etc/pki/server.pem" }, "dev", "serverCertificate"),
    ).toBe(
      'pingpong:serverCertificate="/etc/pki/server.pem": expected PEM of the server certificate, then its intermediates (leaf first), none expired (no -----BEGIN CERTIFICATE----- block; pass the file\'s contents, e.g. `pulumi config set <key> < file.pem`)',
    );
  });

  test.each<Refusal>([
    {
      name: "a certificate that does not parse",
      config: () => ({
        ...user.settings,
        serverCertificate: user.server.cert.replace(/\n[A-Za-z0-9+/]{20}/, "\nAAAAAAAAAAAAAAAAAAAA"),
      }),
      stack: "dev",
      key: "serverCertificate",
      shown: "<text of",
      says: "(certificate 1 of 1 does not parse)",
    },
    {
      name: "a certificate setting holding a private key: refused, the key not shown",
      config: () => ({ ...user.settings, serverCertificate: `${user.server.cert}${user.server.key}` }),
      stack: "dev",
      key: "serverCertificate",
      shown: "<text of",
      says: "(it holds a private key, which belongs in its secret setting)",
    },
    {
      name: "intermediates first: the server's certificate must lead",
      config: () => ({ ...user.settings, serverCertificate: `${user.issuing.cert}${user.server.cert}` }),
      stack: "dev",
      key: "serverCertificate",
      says: "(the first certificate, CN=Acme Issuing CA, O=Acme, is a CA: the server's comes first)",
    },
    {
      name: "an expired server certificate",
      config: () => ({ ...user.settings, serverCertificate: expired.cert, serverPrivateKey: expired.key }),
      stack: "dev",
      key: "serverCertificate",
      shown:
        "<certificate CN=old.localtest.me, issued by CN=Acme Issuing CA, O=Acme, valid to 2020-01-02T00:00:00.000Z>",
      says: "none expired (CN=old.localtest.me expired on 2020-01-02T00:00:00.000Z)",
    },
    {
      name: "an expired root",
      config: () => ({ ...user.settings, caCertificate: expiredRoot.cert }),
      stack: "dev",
      key: "caCertificate",
      says: ": expected PEM of one CA certificate, not expired (CN=Old Root CA expired on 2020-01-02T00:00:00.000Z)",
    },
    {
      name: "a root that is not a CA",
      config: () => ({ ...user.settings, caCertificate: devOnly.cert }),
      stack: "dev",
      key: "caCertificate",
      says: "(CN=pingpong.localtest.me is not a CA: its basicConstraints lack CA:TRUE)",
    },
    {
      name: "two certificates as the root",
      config: () => ({ ...user.settings, caCertificate: `${user.root.cert}${user.issuing.cert}` }),
      stack: "dev",
      key: "caCertificate",
      says: "(2 certificates: expected exactly one)",
    },
    {
      name: "a mesh CA that is not a CA",
      config: () => ({ ...user.settings, meshCaCertificate: devOnly.cert, meshCaPrivateKey: devOnly.key }),
      stack: "prod",
      key: "meshCaCertificate",
      says: "is not a CA",
    },
    {
      name: "an encrypted private key",
      config: () => ({
        ...user.settings,
        serverPrivateKey:
          "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
      }),
      stack: "dev",
      key: "serverPrivateKey",
      shown: "<secret>",
      says: "(it is encrypted: nothing could give it its passphrase)",
    },
  ])("$name", (r) => {
    expect(refused(r)).toContain(r.says);
  });

  test.each(["serverPrivateKey", "meshCaPrivateKey"] as const)(
    "%s that is not a private key (a certificate): shown only as a secret",
    (key) => {
      const config = { ...user.settings, ...user.meshSettings, [key]: user.server.cert };
      expect(onlyProblem(config, "prod", key)).toBe(
        `pingpong:${key}=<secret>: expected an unencrypted PEM private key (no -----BEGIN ... PRIVATE KEY----- block; pass the file's contents, e.g. \`pulumi config set <key> < file.pem\`)`,
      );
    },
  );
});

describe("refused: how they fit together", () => {
  test("names the certificate does not cover (tlsTermination=app adds both Services)", () => {
    const app = {
      tlsTermination: "app",
      tracing: "none",
      traceSamplingPercent: 0,
      rateLimitRequestsPerSecond: 0,
      canaryAnalysis: false,
    };
    const config = {
      ...app,
      ...user.settings,
      serverCertificate: `${devOnly.cert}${user.issuing.cert}`,
      serverPrivateKey: devOnly.key,
    };
    const line = onlyProblem(config, "dev", "serverCertificate", "<certificate CN=pingpong.localtest.me");
    expect(line).toContain(
      ": expected a certificate whose subjectAltNames cover every name it serves; not covered: pingpong.pingpong-a.svc.cluster.local, pingpong.pingpong-b.svc.cluster.local",
    );
    // The same certificate serves dev's ingress host alone.
    expect(() =>
      settingsOf({
        ...user.settings,
        serverCertificate: `${devOnly.cert}${user.issuing.cert}`,
        serverPrivateKey: devOnly.key,
      }),
    ).not.toThrow();
  });

  test("prod's host is not dev's: a certificate for dev only is refused in prod, shown by its chain", () => {
    const chain = `${devOnly.cert}${user.issuing.cert}`;
    const config = {
      ...user.settings,
      ...user.meshSettings,
      serverCertificate: chain,
      serverPrivateKey: devOnly.key,
    };
    const end = new Date(new X509Certificate(devOnly.cert).validTo).toISOString();
    const shown = `<certificate CN=pingpong.localtest.me, issued by CN=Acme Issuing CA, O=Acme, valid to ${end}, then CN=Acme Issuing CA, O=Acme>`;
    expect(onlyProblem(config, "prod", "serverCertificate")).toBe(
      `pingpong:serverCertificate=${shown}: expected a certificate whose subjectAltNames cover every name it serves; not covered: pingpong.example.com`,
    );
  });

  test.each<Refusal>([
    {
      name: "a server key that is not the certificate's (another RSA key): shown by its kind only",
      config: () => ({ ...user.settings, serverPrivateKey: rsa.key }),
      stack: "dev",
      key: "serverPrivateKey",
      says: "pingpong:serverPrivateKey=<secret RSA 2048-bit key>: expected the private key of pingpong:serverCertificate (CN=pingpong.localtest.me); it does not match its public key",
    },
    {
      name: "a mesh CA key that is not the mesh CA's",
      config: () => ({ ...user.settings, ...user.meshSettings, meshCaPrivateKey: user.server.key }),
      stack: "prod",
      key: "meshCaPrivateKey",
      says: "pingpong:meshCaPrivateKey=<secret EC P-256 key>: expected the private key of pingpong:meshCaCertificate (CN=Acme mesh CA, O=Acme); it does not match its public key",
    },
  ])("$name", (r) => {
    expect(refused(r)).toBe(r.says);
  });

  test.each<Refusal>([
    {
      name: "a server certificate another root issued",
      config: () => ({ ...user.settings, serverCertificate: stranger.cert, serverPrivateKey: stranger.key }),
      stack: "dev",
      key: "serverCertificate",
      says: ": expected a chain issued and signed by pingpong:caCertificate (CN=Acme Root CA, O=Acme); CN=pingpong.localtest.me is issued by CN=Other Root CA, not by CN=Acme Root CA, O=Acme",
    },
    {
      name: "a server certificate without the intermediate that issued it",
      config: () => ({ ...user.settings, serverCertificate: user.server.cert }),
      stack: "dev",
      key: "serverCertificate",
      says: "; CN=pingpong.localtest.me is issued by CN=Acme Issuing CA, O=Acme, not by CN=Acme Root CA, O=Acme",
    },
    {
      name: "a mesh CA another root issued",
      config: () => ({
        ...user.settings,
        meshCaCertificate: otherMeshCa.cert,
        meshCaPrivateKey: otherMeshCa.key,
      }),
      stack: "prod",
      key: "meshCaCertificate",
      says: ": expected a CA issued and signed by pingpong:caCertificate (CN=Acme Root CA, O=Acme); CN=Other mesh CA is issued by CN=Other Root CA, not by CN=Acme Root CA, O=Acme",
    },
  ])("$name", (r) => {
    expect(refused(r)).toContain(r.says);
  });
});

describe("kialiSigningKey", () => {
  test.each([
    ["20 bytes", KIALI_KEY.slice(0, 20), "<secret of 20 bytes>", ""],
    ["16 characters but 17 bytes", `é${KIALI_KEY.slice(0, 15)}`, "<secret of 17 bytes>", ""],
    [
      "a Secret reference to the chart",
      "secret:kiali:signing-key-00000",
      "<secret of 30 bytes>",
      " (the chart reads secret:<name>:<key> as a reference to a Secret, not as the key)",
    ],
  ])("%s: refused, the key never shown", (_what, key, shown, detail) => {
    expect(onlyProblem({ kialiSigningKey: key }, "dev", "kialiSigningKey")).toBe(
      `pingpong:kialiSigningKey=${shown}: expected 16, 24 or 32 bytes (ASCII characters): Kiali's AES key${detail}`,
    );
  });

  test("set while kiali is off (prod): refused, no Kiali reads it", () => {
    expect(onlyProblem({ kialiSigningKey: KIALI_KEY }, "prod", "kialiSigningKey")).toBe(
      "pingpong:kialiSigningKey=<secret of 32 bytes>: expected unset while pingpong:kiali is false: no Kiali reads it",
    );
  });
});

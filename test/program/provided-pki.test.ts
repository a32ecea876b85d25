import { execFileSync } from "node:child_process";
import type { Settings } from "../../stacks/settings";
import { userPki, type UserPki } from "../support/openssl-pki";
import { byName, inNamespace, isSecretPath, type ProgramRun, type Recorded } from "../support/program";
import { APP_TLS, SHARED_VARIANTS, runVariants, type Variant } from "../support/variants";
import { T, release, releaseNamespace } from "./lookup";

/**
 * The whole program with the user's own PKI (serverCertificate, serverPrivateKey, caCertificate,
 * and in prod meshCaCertificate, meshCaPrivateKey) and, where Kiali runs, kialiSigningKey: neither
 * the tls provider nor the random provider has anything to do, and every place that carried a
 * generated certificate or key carries the provided one. Their settings:
 * test/stacks/pki-settings.test.ts.
 */

const KIALI_KEY = "kiali-session-key-of-32-bytes-ok";
let user: UserPki;
const VARIANTS = ["dev", "prod", "dev-app"] as const;
type Name = (typeof VARIANTS)[number];
const generated = {} as Record<Name, ProgramRun>;
const provided = {} as Record<Name, ProgramRun>;
const settings = {} as Record<Name, Settings>;

/** Resources of the providers a provided PKI and a given Kiali key make unnecessary, and their providers. */
const byUnneededProvider = (run: ProgramRun): Recorded[] =>
  run.resources.filter(
    (r) => /^(tls|random):/.test(r.type) || /^pulumi:providers:(tls|random)$/.test(r.type),
  );

const chain = () => `${user.server.cert}${user.issuing.cert}`;

beforeAll(async () => {
  user = userPki();
  const pki = { ...user.settings };
  const variants: Record<Name, Variant> = {
    // dev runs Kiali; its plug-in CA is off.
    dev: { stack: "dev", config: { ...pki, kialiSigningKey: KIALI_KEY } },
    // prod gives istiod a plug-in CA; it runs no Kiali.
    prod: { stack: "prod", config: { ...pki, ...user.meshSettings } },
    "dev-app": { stack: "dev", config: { ...APP_TLS, ...pki, kialiSigningKey: KIALI_KEY } },
  };
  await runVariants(variants, provided, settings);
  const shared = {
    dev: SHARED_VARIANTS.dev,
    prod: SHARED_VARIANTS.prod,
    "dev-app": SHARED_VARIANTS["dev-app"],
  };
  await runVariants(shared, generated, {} as Record<Name, Settings>);
}, 180_000);
afterAll(() => user.pki.remove());

describe.each(VARIANTS)("%s with a provided PKI", (name) => {
  test("no resource of the tls or random provider, nor either provider; the generated render has them", () => {
    expect(byUnneededProvider(provided[name]).map((r) => `${r.type} ${r.name}`)).toEqual([]);
    const generatedTypes = byUnneededProvider(generated[name]).map((r) => r.type.split(":")[0]);
    expect(new Set(generatedTypes)).toEqual(
      new Set(settings[name].observability.kiali ? ["tls", "random"] : ["tls"]),
    );
  });

  test("everything else is what the generated render has", () => {
    const names = (run: ProgramRun) =>
      run.resources
        .filter((r) => !byUnneededProvider(run).includes(r) && r.type !== "pingpong:tls:Certificates")
        // Verification Jobs are named after a fingerprint of what they check, the CA included.
        .map((r) => `${r.type} ${r.name.replace(/-[0-9a-f]{8,}$/, "")}`)
        .sort();
    expect(names(provided[name])).toEqual(names(generated[name]));
  });

  test("the outputs carry the provided root and the server certificate's own end of validity", () => {
    const { outputs } = provided[name];
    const notAfter = execFileSync("openssl", ["x509", "-noout", "-enddate", "-in", user.server.files.cert], {
      encoding: "utf8",
    });
    const expiry = new Date(notAfter.trim().replace(/^notAfter=/, "")).toISOString();
    expect(outputs.caCertificatePem).toBe(user.root.cert);
    expect(outputs.certificateExpiry).toBe(expiry);
    expect(outputs.summary).toMatchObject({ certificate: { expiry } });
    for (const key of [user.server.key, user.meshCa.key, KIALI_KEY])
      expect(JSON.stringify(outputs)).not.toContain(key.split("\n")[1] ?? key);
  });
});

test("dev: the ingress gateway's TLS Secret serves the provided chain with its key, kept secret", () => {
  const gateway = settings.dev.namespaces.gateway;
  const [secret] = inNamespace(provided.dev, T.secret, gateway).filter(
    (s) => s.inputs.type === "kubernetes.io/tls",
  );
  expect(secret.inputs.stringData).toEqual({ "tls.crt": chain(), "tls.key": user.server.key });
  expect(isSecretPath(secret, "stringData.tls.key")).toBe(true);
});

test("dev-app: each instance's TLS Secret holds the chain, its key (secret) and the provided root to trust", () => {
  for (const key of ["a", "b"] as const) {
    const namespace = settings["dev-app"].namespaces[key];
    const secrets = inNamespace(provided["dev-app"], T.secret, namespace).filter(
      (s) => s.inputs.type === "kubernetes.io/tls",
    );
    expect(secrets).toHaveLength(1);
    expect(secrets[0].inputs.stringData).toEqual({
      "tls.crt": chain(),
      "tls.key": user.server.key,
      "ca.crt": user.root.cert,
    });
    expect(isSecretPath(secrets[0], "stringData.tls.key")).toBe(true);
  }
});

test("prod: istiod's cacerts holds the provided mesh CA, its key (secret), the root and the chain", () => {
  const istiod = release(provided.prod, "istiod");
  const cacerts = byName(provided.prod, T.secret, releaseNamespace(istiod), "cacerts");
  expect(cacerts.inputs.stringData).toEqual({
    "ca-cert.pem": user.meshCa.cert,
    "ca-key.pem": user.meshCa.key,
    "root-cert.pem": user.root.cert,
    "cert-chain.pem": `${user.meshCa.cert}${user.root.cert}`,
  });
  expect(isSecretPath(cacerts, "stringData.ca-key.pem")).toBe(true);
  expect(istiod.dependsOn).toContain(cacerts.name);
});

test.each(["dev", "dev-app"] as const)(
  "%s: Kiali's chart gets the provided signing key, kept secret",
  (name) => {
    const kiali = release(provided[name], "kiali-server");
    expect(kiali.inputs.values.login_token.signing_key).toBe(KIALI_KEY);
    expect(isSecretPath(kiali, "values.login_token.signing_key")).toBe(true);
  },
);

import {
  certificatesIn,
  chainDefect,
  issuerDefect,
  keyMatches,
  oneLineName,
  parsePrivateKey,
  uncoveredNames,
} from "../components/pem";
import { list } from "./formats";
import { fullKey as k, problem } from "./key";
import { certificateHosts } from "./plan-certificates";
import { rule, type Rule } from "./rule";
import { problemWith } from "./table";

/**
 * Cross-field rules of a provided PKI (`serverCertificate` and the settings that come with it) and
 * of Kiali's signing key. Each PEM setting is checked on its own by its row (it parses, is a CA where
 * one is expected, has not expired); these rules check how they fit together: which are required
 * or refused beside which, the names the certificate covers, keys against certificates, and who
 * issued what. Key material is never shown: a secret's problem shows its kind only.
 */

const SERVER = "serverCertificate";
const OWN_PKI = "the stack generates its own CA and keys without it";

/** Settings only the stack's own generation reads, and what a provided PKI makes of them. */
const GENERATION_ONLY = {
  certKeyAlgorithm: "the provided certificates come with their own keys",
  certValidityHours: "the provided server certificate's own validity applies",
  certEarlyRenewalHours: "nothing is generated, so `pulumi up` renews nothing; renew in your PKI",
  caValidityHours: "the provided CAs' own validity applies",
} as const;

/** A part of the provided PKI: required with serverCertificate, refused without it. */
const withServerCertificate = (key: "serverPrivateKey" | "caCertificate", what: string) =>
  rule([SERVER, key], (v) => [
    v.serverCertificate !== undefined &&
      v[key] === undefined &&
      problem(key, undefined, `${what}, because ${k(SERVER)} is set`),
    v.serverCertificate === undefined &&
      v[key] !== undefined &&
      problemWith(key, v[key], `unset unless ${k(SERVER)} is set: ${OWN_PKI}`),
  ]);

/** A part of istiod's provided plug-in CA: required with serverCertificate and pluginCa, refused otherwise. */
const withPluginCa = (key: "meshCaCertificate" | "meshCaPrivateKey", what: string) =>
  rule([SERVER, "pluginCa", key], (v) => {
    const set = v[key] !== undefined;
    if (v.serverCertificate === undefined) {
      return [set && problemWith(key, v[key], `unset unless ${k(SERVER)} is set: ${OWN_PKI}`)];
    }
    if (!v.pluginCa) {
      return [
        set && problemWith(key, v[key], `unset while ${k("pluginCa")} is false: istiod gets no plug-in CA`),
      ];
    }
    return [
      !set && problem(key, undefined, `${what}, because ${k(SERVER)} is set and ${k("pluginCa")} is true`),
    ];
  });

/** A private key setting that must be the key of a certificate setting. */
const keyOf = (
  cert: "serverCertificate" | "meshCaCertificate",
  key: "serverPrivateKey" | "meshCaPrivateKey",
) =>
  rule([cert, key], (v) => {
    const [pem, keyPem] = [v[cert], v[key]];
    if (pem === undefined || keyPem === undefined) return [];
    const [first] = certificatesIn(pem);
    const parsed = parsePrivateKey(keyPem);
    if ("value" in parsed && keyMatches(first, parsed.value)) return [];
    const name = oneLineName(first.subject);
    return [
      problemWith(key, keyPem, `the private key of ${k(cert)} (${name}); it does not match its public key`),
    ];
  });

export const PKI_RULES: Rule[] = [
  withServerCertificate(
    "serverPrivateKey",
    "the PEM private key of the server certificate (set with --secret)",
  ),
  withServerCertificate("caCertificate", "the PEM of the root CA the server certificate chains to"),
  withPluginCa("meshCaCertificate", "the PEM of istiod's plug-in CA, issued by the root CA"),
  withPluginCa("meshCaPrivateKey", "the PEM private key of istiod's plug-in CA (set with --secret)"),
  ...(Object.keys(GENERATION_ONLY) as Array<keyof typeof GENERATION_ONLY>).map((key) =>
    rule([SERVER, key], (v, given) => [
      v.serverCertificate !== undefined &&
        given.has(key) &&
        problem(key, v[key], `unset while ${k(SERVER)} is set: ${GENERATION_ONLY[key]}`),
    ]),
  ),
  // The names the plan gives the certificate (stacks/plan-certificates.ts), as clients check them.
  rule([SERVER, "tlsTermination", "ingressHosts", "namespaceA", "namespaceB"], (v) => {
    if (v.serverCertificate === undefined) return [];
    const names = certificateHosts(v.tlsTermination, list(v.ingressHosts), {
      a: v.namespaceA,
      b: v.namespaceB,
    });
    const missing = uncoveredNames(certificatesIn(v.serverCertificate)[0], names);
    return [
      missing.length > 0 &&
        problemWith(
          SERVER,
          v.serverCertificate,
          `a certificate whose subjectAltNames cover every name it serves; not covered: ${missing.join(", ")}`,
        ),
    ];
  }),
  keyOf(SERVER, "serverPrivateKey"),
  keyOf("meshCaCertificate", "meshCaPrivateKey"),
  rule([SERVER, "caCertificate"], (v) => {
    if (v.serverCertificate === undefined || v.caCertificate === undefined) return [];
    const [root] = certificatesIn(v.caCertificate);
    const defect = chainDefect(certificatesIn(v.serverCertificate), root);
    const by = `${k("caCertificate")} (${oneLineName(root.subject)})`;
    return [
      defect !== undefined &&
        problemWith(SERVER, v.serverCertificate, `a chain issued and signed by ${by}; ${defect}`),
    ];
  }),
  rule(["caCertificate", "meshCaCertificate"], (v) => {
    if (v.caCertificate === undefined || v.meshCaCertificate === undefined) return [];
    const [root] = certificatesIn(v.caCertificate);
    const defect = issuerDefect(certificatesIn(v.meshCaCertificate)[0], root);
    const by = `${k("caCertificate")} (${oneLineName(root.subject)})`;
    return [
      defect !== undefined &&
        problemWith("meshCaCertificate", v.meshCaCertificate, `a CA issued and signed by ${by}; ${defect}`),
    ];
  }),
  // A key only the stack's Kiali reads: set without Kiali it would do nothing.
  rule(["kiali", "kialiSigningKey"], (v) => [
    !v.kiali &&
      v.kialiSigningKey !== undefined &&
      problemWith(
        "kialiSigningKey",
        v.kialiSigningKey,
        `unset while ${k("kiali")} is false: no Kiali reads it`,
      ),
  ]),
];

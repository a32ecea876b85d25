import { hasPemCertificate, isWebhookBaseUrl } from "../components/istio-webhooks";
import {
  caCertificateDefect,
  certificatesSummary,
  privateKeyDefect,
  privateKeySummary,
  serverChainDefect,
} from "../components/pem";
import { GATEWAY_SERVICE_TYPES, KEY_ALGORITHMS, TLS_TERMINATIONS } from "../components/types";
import { DNS_LABEL, HOST_NAME, IMAGE_REF, list } from "./formats";
import { between, bool, int, matches, oneOf, str } from "./key";

/** Rows of the settings table: Istio, the ingress gateway, TLS and the certificates, verification. */

const hours = (min: number, max: number) => between(min, max, "hours");
const istioReplicas = (max: number) => between(1, max, "a replica count");
const badHost = (v: string) => list(v).find((h) => !HOST_NAME.test(h));
/** A host listed twice: the Gateway's server and the certificate would name it twice. */
const repeatedHost = (v: string) => list(v).find((h, i, hosts) => hosts.indexOf(h) !== i);

/** A PEM certificate setting: checked on its own at the time of `pulumi up`, shown by its summary. */
const pemCertificate = (defect: (pem: string, now: number) => string) =>
  ({
    optional: true,
    valid: (v: string) => defect(v, Date.now()) === "",
    detail: (v: string) => defect(v, Date.now()),
    summary: certificatesSummary,
  }) as const;
/** A PEM private key setting: a secret, shown by its kind only. */
const pemPrivateKey = {
  secret: true,
  optional: true,
  valid: (v: string) => privateKeyDefect(v) === "",
  expected: "an unencrypted PEM private key",
  detail: privateKeyDefect,
  summary: privateKeySummary,
} as const;

export const MESH_KEYS = {
  istioVersion: str({
    description: "Version of Istio's Helm charts (base, istiod, cni, gateway), e.g. 1.31.1.",
    // Istio 1.31.1: istio/istio.io content/en/news/releases/1.31.x/announcing-1.31.1 (2026-09-21);
    // Istio publishes its charts for every release. 1.31 supports Kubernetes 1.32 to 1.36.
    default: "1.31.1",
    valid: matches(/^1\.\d+\.\d+$/),
    expected: "a chart version such as 1.31.1",
  }),
  trustDomain: str({
    description: "Istio trust domain: the first part of every SPIFFE ID and principal.",
    default: "cluster.local",
    valid: matches(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
    expected: "a trust domain such as cluster.local",
  }),
  istiodReplicas: int({
    description:
      "istiod replicas: the autoscaler minimum, or the fixed count when equal to istiodMaxReplicas.",
    default: { dev: 1, staging: 2, prod: 2 },
    range: istioReplicas(50),
  }),
  istiodMaxReplicas: int({
    description: "istiod autoscaler maximum; equal to istiodReplicas: no autoscaler.",
    default: { dev: 1, staging: 5, prod: 5 },
    range: istioReplicas(50),
  }),
  pluginCa: bool({
    description:
      "Give istiod an intermediate CA signed by the stack's root (cacerts), so workload certificates chain to it.",
    default: { dev: false, staging: true, prod: true },
  }),
  istioWebhookUrl: str({
    description:
      "https://host[:port] of an istiod outside the cluster serving injection at /inject and validation at /validate: Istio's webhooks call it. Unset: the in-cluster istiod.",
    optional: true,
    valid: isWebhookBaseUrl,
    expected:
      "an https URL of a host and optional port only (no path, query, fragment or user info), e.g. https://127.0.0.1:15017",
  }),
  istioWebhookCaBundle: str({
    description:
      "PEM of the CA that signed the serving certificate of the istiod at istioWebhookUrl (the webhooks' caBundle); required with it, refused without it.",
    optional: true,
    valid: hasPemCertificate,
    expected: "PEM text holding a -----BEGIN CERTIFICATE----- block",
  }),
  meshWideMtls: bool({
    description: "Also enforce STRICT mTLS mesh-wide (PeerAuthentication in istio-system).",
    default: { dev: false, staging: false, prod: true },
  }),
  accessLogs: bool({ description: "Envoy access logs (JSON on stdout) for every proxy.", default: true }),
  gatewayNamespace: str({
    description: "Namespace of the Istio ingress gateway (and of its TLS Secret).",
    default: "istio-ingress",
    valid: matches(DNS_LABEL),
    expected: "a DNS label",
  }),
  gatewayServiceType: oneOf(GATEWAY_SERVICE_TYPES, {
    description: "Service type of the ingress gateway: LoadBalancer, NodePort or ClusterIP.",
    // kind has no load balancer: reach the gateway with kubectl port-forward.
    default: { dev: "ClusterIP", staging: "LoadBalancer", prod: "LoadBalancer" },
  }),
  gatewayMinReplicas: int({
    description: "Ingress gateway replicas (autoscaler minimum).",
    default: { dev: 1, staging: 2, prod: 3 },
    range: istioReplicas(50),
  }),
  gatewayMaxReplicas: int({
    description: "Ingress gateway autoscaler maximum.",
    default: { dev: 1, staging: 4, prod: 10 },
    range: istioReplicas(100),
  }),
  tlsTermination: oneOf(TLS_TERMINATIONS, {
    description:
      "Where HTTPS from outside ends: istio (ingress gateway), ingress (an Ingress controller) or app (the pods).",
    default: "istio",
  }),
  ingressHosts: str({
    description: "Comma-separated host names served over HTTPS (no wildcards); the certificate covers them.",
    // Outside dev no placeholder: a stack serves the names its stack file gives, or is refused.
    default: { dev: "pingpong.localtest.me" },
    valid: (v: string) => list(v).length > 0 && badHost(v) === undefined && repeatedHost(v) === undefined,
    expected: "comma-separated fully qualified host names, no wildcards, each once",
    detail: (v: string) => {
      const bad = badHost(v);
      if (bad !== undefined) {
        return `; ${JSON.stringify(bad)} ${bad.includes("*") ? "is a wildcard" : "is not one"}`;
      }
      const repeated = repeatedHost(v);
      return repeated === undefined ? "" : `; ${JSON.stringify(repeated)} is listed twice`;
    },
  }),
  ingressClassName: str({
    description: "IngressClass of the Ingress when tlsTermination is ingress.",
    default: "nginx",
    valid: matches(DNS_LABEL),
    expected: "an IngressClass name",
  }),
  ingressControllerNamespace: str({
    description:
      "Namespace of the (sidecar-injected) Ingress controller allowed to call pingpong when tlsTermination is ingress.",
    default: "ingress-nginx",
    valid: matches(DNS_LABEL),
    expected: "a DNS label",
  }),
  ingressControllerServiceAccount: str({
    description: "ServiceAccount of that Ingress controller.",
    default: "ingress-nginx",
    valid: matches(DNS_LABEL),
    expected: "a ServiceAccount name",
  }),
  certKeyAlgorithm: oneOf(KEY_ALGORITHMS, {
    description: "Key algorithm of the CA and certificates: ECDSA-P256, ECDSA-P384, RSA-2048 or RSA-3072.",
    default: "ECDSA-P256",
  }),
  certValidityHours: int({
    description: "Lifetime of the server certificate, in hours.",
    default: { dev: 720, staging: 2160, prod: 2160 },
    // 398 days: the longest lifetime browsers accept for a server certificate.
    range: hours(24, 24 * 398),
  }),
  certEarlyRenewalHours: int({
    description: "A `pulumi up` this many hours before a certificate expires replaces it.",
    default: { dev: 168, staging: 720, prod: 720 },
    range: hours(1, 24 * 365),
  }),
  caValidityHours: int({
    description: "Lifetime of the root and intermediate CAs, in hours.",
    default: { dev: 8760, staging: 43800, prod: 87600 },
    range: hours(24, 24 * 365 * 20),
  }),
  serverCertificate: str({
    description:
      "PEM of your own server certificate, then any intermediates (leaf first): no CA or certificate is generated, no tls resource. Needs serverPrivateKey and caCertificate.",
    ...pemCertificate(serverChainDefect),
    expected: "PEM of the server certificate, then its intermediates (leaf first), none expired",
  }),
  serverPrivateKey: str({
    description: "PEM private key of serverCertificate (set with --secret).",
    ...pemPrivateKey,
  }),
  caCertificate: str({
    description:
      "PEM of the root CA serverCertificate chains to: what clients and the app trust (output caCertificatePem) and, with pluginCa, istiod's root.",
    ...pemCertificate(caCertificateDefect),
    expected: "PEM of one CA certificate, not expired",
  }),
  meshCaCertificate: str({
    description:
      "PEM of istiod's plug-in CA, issued by caCertificate: required with serverCertificate when pluginCa is true, refused otherwise.",
    ...pemCertificate(caCertificateDefect),
    expected: "PEM of one CA certificate, not expired",
  }),
  meshCaPrivateKey: str({
    description: "PEM private key of meshCaCertificate (set with --secret).",
    ...pemPrivateKey,
  }),
  verification: bool({
    description:
      "Run the mTLS verification Jobs on every `pulumi up` that changes the mesh, the image or the certificates.",
    default: true,
  }),
  toolboxImage: str({
    description: "Image of the long-running test pod in namespaceC (needs sleep and curl).",
    // curl/curl-container tag 8.21.0 (2026-06-24), published as docker.io/curlimages/curl:8.21.0.
    default: "curlimages/curl:8.21.0",
    valid: matches(IMAGE_REF),
    expected: "an image reference with a tag or digest",
  }),
} as const;

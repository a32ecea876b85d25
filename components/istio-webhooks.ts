/**
 * An istiod outside the cluster serving the sidecar injection and config validation webhooks: what
 * the settings accept for it and the values Istio's charts take to point their webhooks at it.
 */

/** An istiod reachable at `url` (https://host[:port]), its serving certificate signed by `caPem`. */
export interface ExternalIstiod {
  /** The base URL: istiod serves injection at `<url>/inject` and validation at `<url>/validate`. */
  url: string;
  /** PEM of the CA that signed that istiod's serving certificate. */
  caPem: string;
}

/**
 * Where istiod serves its webhooks: the paths the charts give the in-cluster Service references
 * (istiod 1.31.0-rc.0 values.yaml `istiodRemote.injectionPath: "/inject"`;
 * templates/validatingwebhookconfiguration.yaml `path: "/validate"`).
 */
export const ISTIOD_WEBHOOK_PATHS = { inject: "/inject", validate: "/validate" } as const;

/**
 * https://host[:port] and nothing after it. Kubernetes takes only https in a webhook's
 * `clientConfig.url` and refuses user info, a query or a fragment there (admissionregistration/v1
 * WebhookClientConfig.url); the paths above are appended, so the base carries none.
 */
export function isWebhookBaseUrl(value: string): boolean {
  if (!/^https:\/\/[^/?#@\s]+$/.test(value)) return false;
  try {
    return new URL(value).hostname !== "";
  } catch {
    return false; // e.g. a port above 65535
  }
}

/** A PEM CERTIFICATE block (RFC 7468): the header, base64 lines, the footer. */
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\s+(?:[A-Za-z0-9+/=]+\s+)+-----END CERTIFICATE-----/;

export function hasPemCertificate(value: string): boolean {
  return PEM_CERTIFICATE.test(value);
}

/** A webhook's `caBundle`: PEM bytes, base64-encoded (WebhookClientConfig.caBundle is []byte in JSON). */
export function caBundle(pem: string): string {
  return Buffer.from(pem, "utf8").toString("base64");
}

/** Throws unless `ext` is what the charts can point their webhooks at. */
export function checkExternalIstiod(ext: ExternalIstiod): void {
  if (!isWebhookBaseUrl(ext.url))
    throw new Error(`external istiod url ${JSON.stringify(ext.url)}: expected https://host[:port], no path`);
  if (!hasPemCertificate(ext.caPem))
    throw new Error("external istiod caPem: expected a PEM CERTIFICATE block");
}

/**
 * The validating webhook pointed at the external istiod. Keys of the charts themselves: the base
 * chart declares both (base 1.31.0-rc.0 values.yaml `base.validationURL`, `base.validationCABundle`)
 * and its templates/defaultrevision-validatingwebhookconfiguration.yaml renders them as
 * `clientConfig.url` and `clientConfig.caBundle`; the istiod chart's
 * templates/validatingwebhookconfiguration.yaml reads the same two keys for its per-revision
 * webhook, without declaring them in its own values.yaml. With a caBundle set, both templates fix
 * `failurePolicy: Fail` instead of letting the in-cluster istiod patch the webhook.
 */
export function validationWebhookValues(ext: ExternalIstiod): {
  base: { validationURL: string; validationCABundle: string };
} {
  return {
    base: {
      validationURL: `${ext.url}${ISTIOD_WEBHOOK_PATHS.validate}`,
      validationCABundle: caBundle(ext.caPem),
    },
  };
}

/**
 * The sidecar injection webhook pointed at the external istiod: istiod 1.31.0-rc.0 values.yaml
 * declares `istiodRemote.injectionURL` and `istiodRemote.injectionCABundle`, and
 * templates/mutatingwebhook.yaml renders them as every injection webhook's `clientConfig.url` (in
 * place of the istiod Service) and `clientConfig.caBundle`. The template reads them whatever
 * `istiodRemote.enabled` says (its own TODO notes that it should not), so the in-cluster istiod
 * stays installed.
 */
export function injectionWebhookValues(ext: ExternalIstiod): {
  istiodRemote: { injectionURL: string; injectionCABundle: string };
} {
  return {
    istiodRemote: {
      injectionURL: `${ext.url}${ISTIOD_WEBHOOK_PATHS.inject}`,
      injectionCABundle: caBundle(ext.caPem),
    },
  };
}

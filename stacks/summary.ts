/**
 * The `summary` stack output as consumers read it: `parseSummary(outputs)` takes the parsed output
 * of `pulumi stack output --json --show-secrets=false` (an object with a `summary`) and checks every
 * field, naming the first one that is missing or wrong.
 */

export type MtlsMode = string;

export interface Summary {
  environment: string;
  endpoints: { ingress: string[]; internal: { a: string; b: string } };
  namespaces: { a: string; b: string; c: string };
  image: { ref: string; digest: string };
  istioVersion: string;
  /** `expiry` is ISO 8601 with a time zone. */
  certificate: { expiry: string };
  /** The PeerAuthentication mode of each scope (namespace or mesh). */
  mtls: Record<string, MtlsMode>;
  /** Route weights of the primary (v1) and the canary (v2); null without a canary. */
  canary: { v1: number; v2: number } | null;
  /** The Grafana dashboard's uid; null when the stack creates no dashboard. */
  dashboardUid: string | null;
}

/** An invalid or missing field; `field` is its path, as in `summary.image.digest`. */
export class SummaryError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`invalid stack outputs: ${field}: ${problem}`);
    this.name = "SummaryError";
  }
}

type Json = Record<string, unknown>;

function got(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "got null";
  if (Array.isArray(value)) return "got an array";
  return `got ${typeof value} ${JSON.stringify(value)}`;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown, field: string): Json {
  if (!isObject(value)) throw new SummaryError(field, `expected an object, ${got(value)}`);
  return value;
}

function string(parent: Json, key: string, field: string): string {
  const value = parent[key];
  const path = `${field}.${key}`;
  if (typeof value !== "string") throw new SummaryError(path, `expected a string, ${got(value)}`);
  if (value.trim() === "") throw new SummaryError(path, "expected a non-empty string");
  return value;
}

function weight(parent: Json, key: string, field: string): number {
  const value = parent[key];
  const path = `${field}.${key}`;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new SummaryError(path, `expected a number from 0 to 100, ${got(value)}`);
  }
  return value;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;
/** An OCI content digest: `algorithm:encoded`, as in `sha256:<64 hex digits>`. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Validates stack outputs and returns their `summary`; throws a SummaryError naming the field. */
export function parseSummary(json: unknown): Summary {
  const outputs = object(json, "outputs");
  const s = object(outputs.summary, "summary");

  const endpoints = object(s.endpoints, "summary.endpoints");
  const ingressRaw = endpoints.ingress;
  if (!Array.isArray(ingressRaw)) {
    throw new SummaryError("summary.endpoints.ingress", `expected an array of strings, ${got(ingressRaw)}`);
  }
  const ingress = ingressRaw.map((url: unknown, i) => {
    if (typeof url !== "string" || url.trim() === "") {
      throw new SummaryError(`summary.endpoints.ingress[${i}]`, `expected a non-empty string, ${got(url)}`);
    }
    return url;
  });
  const internal = object(endpoints.internal, "summary.endpoints.internal");

  const namespaces = object(s.namespaces, "summary.namespaces");
  const image = object(s.image, "summary.image");
  const digest = string(image, "digest", "summary.image");
  if (!DIGEST.test(digest)) {
    throw new SummaryError(
      "summary.image.digest",
      `expected a digest such as sha256:<hex>, got ${JSON.stringify(digest)}`,
    );
  }

  const certificate = object(s.certificate, "summary.certificate");
  const expiry = string(certificate, "expiry", "summary.certificate");
  if (!ISO_8601.test(expiry) || Number.isNaN(Date.parse(expiry))) {
    throw new SummaryError(
      "summary.certificate.expiry",
      `expected an ISO 8601 date and time with a time zone, got ${JSON.stringify(expiry)}`,
    );
  }

  const mtlsRaw = object(s.mtls, "summary.mtls");
  const mtls: Record<string, MtlsMode> = {};
  for (const key of Object.keys(mtlsRaw)) mtls[key] = string(mtlsRaw, key, "summary.mtls");

  let canary: Summary["canary"];
  if (s.canary === null) {
    canary = null;
  } else if (isObject(s.canary)) {
    canary = { v1: weight(s.canary, "v1", "summary.canary"), v2: weight(s.canary, "v2", "summary.canary") };
  } else {
    throw new SummaryError(
      "summary.canary",
      `expected an object with weights v1 and v2, or null, ${got(s.canary)}`,
    );
  }

  return {
    environment: string(s, "environment", "summary"),
    endpoints: {
      ingress,
      internal: {
        a: string(internal, "a", "summary.endpoints.internal"),
        b: string(internal, "b", "summary.endpoints.internal"),
      },
    },
    namespaces: {
      a: string(namespaces, "a", "summary.namespaces"),
      b: string(namespaces, "b", "summary.namespaces"),
      c: string(namespaces, "c", "summary.namespaces"),
    },
    image: { ref: string(image, "ref", "summary.image"), digest },
    istioVersion: string(s, "istioVersion", "summary"),
    certificate: { expiry },
    mtls,
    canary,
    dashboardUid: s.dashboardUid === null ? null : string(s, "dashboardUid", "summary"),
  };
}

/**
 * A status page rendered from a stack's outputs: `renderStatusPage(outputs)` takes the parsed
 * output of `pulumi stack output --json --show-secrets=false` (an object with a `summary`) and
 * returns a self-contained HTML page.
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

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Under this many days left, the certificate expiry is highlighted. */
export const EXPIRY_WARNING_DAYS = 30;

/** Whole days from `now` until `expiry`, rounded down (negative once expired). */
export function daysRemaining(expiry: string, now: Date): number {
  return Math.floor((Date.parse(expiry) - now.getTime()) / DAY_MS);
}

function row(label: string, valueHtml: string, cls = ""): string {
  const attr = cls ? ` class="${cls}"` : "";
  return `<tr${attr}><th scope="row">${escapeHtml(label)}</th><td>${valueHtml}</td></tr>`;
}

function code(value: string): string {
  return `<code>${escapeHtml(value)}</code>`;
}

function link(url: string): string {
  // Only web addresses become links; anything else is shown as text.
  return /^https?:\/\//i.test(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>` : code(url);
}

function list(items: string[]): string {
  return `<ul>${items.map((i) => `<li>${i}</li>`).join("")}</ul>`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

function expiryCell(expiry: string, now: Date): { html: string; cls: string } {
  const when = code(expiry);
  const left = Date.parse(expiry) - now.getTime();
  if (left <= 0) {
    const ago = Math.floor(-left / DAY_MS);
    return { html: `${when} (<strong>expired</strong> ${plural(ago, "day")} ago)`, cls: "bad" };
  }
  const days = daysRemaining(expiry, now);
  return {
    html: `${when} (<span class="days">${plural(days, "day")}</span> remaining)`,
    cls: days < EXPIRY_WARNING_DAYS ? "warn" : "",
  };
}

function mtlsCell(mtls: Record<string, MtlsMode>): { html: string; cls: string } {
  const entries = Object.entries(mtls).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return { html: "<strong>no mTLS modes reported</strong>", cls: "bad" };
  const items = entries.map(([scope, mode]) => {
    const strict = mode === "STRICT";
    const modeHtml = strict
      ? `<span class="strict">${escapeHtml(mode)}</span>`
      : `<strong class="not-strict">${escapeHtml(mode)}</strong>`;
    return `${code(scope)}: ${modeHtml}`;
  });
  return { html: list(items), cls: entries.every(([, m]) => m === "STRICT") ? "" : "bad" };
}

function canaryCell(canary: Summary["canary"]): string {
  if (canary === null) return "no canary (all traffic to v1)";
  return `v1: <span class="weight">${canary.v1}</span>, v2: <span class="weight">${canary.v2}</span>`;
}

const STYLE = [
  "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}",
  "table{border-collapse:collapse}",
  "th,td{text-align:left;vertical-align:top;padding:.4rem .8rem;border-bottom:1px solid #ddd}",
  "ul{margin:0;padding-left:1.2rem}",
  "tr.warn td{background:#fff4d6}",
  "tr.bad td{background:#fde2e1}",
  ".not-strict{color:#b00020}",
  ".strict{color:#0a7d32}",
  "footer{margin-top:1rem;color:#666;font-size:.9em}",
].join("");

/**
 * A self-contained HTML status page for the stack outputs `outputs`. Every value is escaped;
 * `now` is the reference for the certificate's remaining days. Throws a SummaryError on invalid input.
 */
export function renderStatusPage(outputs: unknown, now: Date = new Date()): string {
  if (Number.isNaN(now.getTime())) throw new Error("renderStatusPage: now is an invalid date");
  const s = parseSummary(outputs);
  const expiry = expiryCell(s.certificate.expiry, now);
  const mtls = mtlsCell(s.mtls);
  const ingress = s.endpoints.ingress.length > 0 ? list(s.endpoints.ingress.map(link)) : "none";
  const rows = [
    row("Environment", code(s.environment)),
    row("Ingress endpoints", ingress),
    row(
      "Internal endpoints",
      list([`a: ${link(s.endpoints.internal.a)}`, `b: ${link(s.endpoints.internal.b)}`]),
    ),
    row(
      "Namespaces",
      list([`a: ${code(s.namespaces.a)}`, `b: ${code(s.namespaces.b)}`, `c: ${code(s.namespaces.c)}`]),
    ),
    row("Image", `${code(s.image.ref)}<br>digest ${code(s.image.digest)}`),
    row("Istio version", code(s.istioVersion)),
    row("Certificate expiry", expiry.html, expiry.cls),
    row("mTLS modes", mtls.html, mtls.cls),
    row("Canary weights", canaryCell(s.canary)),
    row("Dashboard UID", s.dashboardUid === null ? "none" : code(s.dashboardUid)),
  ];
  const title = `pingpong status: ${s.environment}`;
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<h1>${escapeHtml(title)}</h1>`,
    `<table>${rows.join("")}</table>`,
    `<footer>Generated ${escapeHtml(now.toISOString())}</footer>`,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/**
 * `pulumi stack output --json | npm run --silent status-page > status.html`: reads the outputs
 * from stdin, writes the page to stdout; exits 1 with the field named when the outputs do not hold
 * a valid summary.
 */
export async function main(
  stdin: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
  now = new Date(),
): Promise<number> {
  let text = "";
  for await (const chunk of stdin) text += String(chunk);
  let outputs: unknown;
  try {
    outputs = JSON.parse(text);
  } catch (err) {
    process.stderr.write(`status-page: stdin is not JSON (${(err as Error).message})\n`);
    return 1;
  }
  try {
    stdout.write(renderStatusPage(outputs, now));
    return 0;
  } catch (err) {
    process.stderr.write(`status-page: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.stdin, process.stdout).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`status-page: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * A status page rendered from a stack's outputs: `renderStatusPage(outputs)` takes the parsed
 * output of `pulumi stack output --json --show-secrets=false` (an object with a `summary`) and
 * returns a self-contained HTML page.
 */

import { parseSummary, type MtlsMode, type Summary } from "./summary";

export { SummaryError, parseSummary, type Summary } from "./summary";

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

/** The command that feeds the page its input, as the docs give it. */
export const USAGE = "pulumi stack output --json | npm run --silent status-page > status.html";

/**
 * `pulumi stack output --json | npm run --silent status-page > status.html`: reads the outputs
 * from stdin, writes the page to stdout; exits 1 with the field named when the outputs do not hold
 * a valid summary. Run from a terminal with nothing piped in, it would wait for input without a
 * word: on a TTY it first says on stderr what it expects.
 */
export async function main(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  stdout: NodeJS.WritableStream,
  now = new Date(),
  stderr: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  if (stdin.isTTY)
    stderr.write(
      `status-page: reading stack outputs as JSON from stdin (end with Ctrl-D); usually: ${USAGE}\n`,
    );
  let text = "";
  for await (const chunk of stdin) text += String(chunk);
  let outputs: unknown;
  try {
    outputs = JSON.parse(text);
  } catch (err) {
    stderr.write(`status-page: stdin is not JSON (${(err as Error).message})\n`);
    return 1;
  }
  try {
    stdout.write(renderStatusPage(outputs, now));
    return 0;
  } catch (err) {
    stderr.write(`status-page: ${(err as Error).message}\n`);
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

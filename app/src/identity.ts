import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

/** spiffe://<trust-domain>/<path>, as issued by Istio: spiffe://cluster.local/ns/<ns>/sa/<sa>. */
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]{1,255}(\/[A-Za-z0-9._~%!$&'()*+=:@-]+)+$/;
const MAX_ID_LENGTH = 2048;

export function isSpiffeId(value: string): boolean {
  return value.length <= MAX_ID_LENGTH && SPIFFE_ID.test(value);
}

/**
 * Splits one XFCC element into key/value pairs. Values may be double-quoted, and a quoted value
 * may contain ',', ';' and '=' as well as escaped quotes.
 */
function splitXfcc(header: string): Array<Array<[string, string]>> | undefined {
  const elements: Array<Array<[string, string]>> = [];
  let pairs: Array<[string, string]> = [];
  let i = 0;
  while (i < header.length) {
    const eq = header.indexOf("=", i);
    if (eq < 0) return undefined;
    const key = header.slice(i, eq).trim();
    if (!/^[A-Za-z]+$/.test(key)) return undefined;
    i = eq + 1;
    let value = "";
    if (header[i] === '"') {
      i++;
      for (;;) {
        if (i >= header.length) return undefined;
        const c = header[i];
        if (c === "\\" && i + 1 < header.length) {
          value += header[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
    } else {
      const end = header.slice(i).search(/[;,]/);
      value = end < 0 ? header.slice(i) : header.slice(i, i + end);
      i = end < 0 ? header.length : i + end;
    }
    pairs.push([key, value.trim()]);
    while (header[i] === " ") i++;
    if (i >= header.length) break;
    if (header[i] === ";") {
      i++;
    } else if (header[i] === ",") {
      elements.push(pairs);
      pairs = [];
      i++;
    } else {
      return undefined;
    }
    while (header[i] === " ") i++;
  }
  elements.push(pairs);
  return elements;
}

/**
 * The caller's SPIFFE ID from an Envoy X-Forwarded-Client-Cert header. With several elements
 * (proxies appending), the last one describes the peer that connected to our sidecar. Malformed
 * headers yield undefined, never an exception.
 */
export function callerFromXfcc(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(",") : header;
  if (value.length === 0 || value.length > 16 * 1024) return undefined;
  const elements = splitXfcc(value);
  const last = elements?.[elements.length - 1];
  const uri = last?.find(([k, v]) => k.toLowerCase() === "uri" && isSpiffeId(v));
  return uri?.[1];
}

/**
 * The first SPIFFE URI SAN of a peer certificate, from Node's `subjectaltname` string
 * (for example `DNS:a, URI:spiffe://cluster.local/ns/a/sa/b`; entries with special characters are
 * JSON-quoted by Node).
 */
export function callerFromSubjectAltName(san: string | undefined): string | undefined {
  if (!san) return undefined;
  const entry = /(?:^|, )URI:("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = entry.exec(san); m !== null; m = entry.exec(san)) {
    let uri = m[1];
    if (uri.startsWith('"')) {
      try {
        uri = JSON.parse(uri) as string;
      } catch {
        continue;
      }
    }
    if (isSpiffeId(uri)) return uri;
  }
  return undefined;
}

/** Header values up to this length are remembered, at most XFCC_CACHE_ENTRIES of them. */
const XFCC_CACHE_MAX_LENGTH = 2048;
const XFCC_CACHE_ENTRIES = 64;
const xfccCallers = new Map<string, string | undefined>();
/** The value seen last and its caller: comparing with it is cheaper than hashing a fresh string. */
let lastXfcc: { header: string; caller: string | undefined } | undefined;

/**
 * callerFromXfcc, remembering its answers: a sidecar sends the same header value on every request
 * from the same peer (its certificate only changes on rotation), so parsing it once per value
 * saves the parse on nearly every request. The cache is bounded in entries and in value length and
 * starts over when full, so arbitrary values cost no more than parsing each of them.
 */
export function cachedCallerFromXfcc(header: string | string[] | undefined): string | undefined {
  if (typeof header !== "string" || header.length > XFCC_CACHE_MAX_LENGTH) return callerFromXfcc(header);
  if (lastXfcc?.header === header) return lastXfcc.caller;
  let caller = xfccCallers.get(header);
  if (caller === undefined && !xfccCallers.has(header)) {
    caller = callerFromXfcc(header);
    if (xfccCallers.size >= XFCC_CACHE_ENTRIES) xfccCallers.clear();
    xfccCallers.set(header, caller);
  }
  lastXfcc = { header, caller };
  return caller;
}

/**
 * Who is calling. Under application-level mTLS the verified client certificate is the only source;
 * otherwise the sidecar's XFCC header, which Envoy sets afresh on every inbound request in the mesh.
 */
export function callerIdentity(req: IncomingMessage, appMtls: boolean): string | undefined {
  if (appMtls) {
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) return undefined;
    return callerFromSubjectAltName(socket.getPeerCertificate().subjectaltname);
  }
  return cachedCallerFromXfcc(req.headers["x-forwarded-client-cert"]);
}

/**
 * Maps caller identities to metric label values with bounded cardinality: the first `limit`
 * distinct identities keep their own value, later ones share "other"; no identity is "unknown".
 */
export class CallerLabels {
  private readonly seen = new Set<string>();
  constructor(private readonly limit = 50) {}

  label(caller: string | undefined): string {
    if (caller === undefined) return "unknown";
    if (this.seen.has(caller)) return caller;
    if (this.seen.size >= this.limit) return "other";
    this.seen.add(caller);
    return caller;
  }
}

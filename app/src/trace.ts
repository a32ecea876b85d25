import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * Trace context by hand, without an OpenTelemetry SDK: the Istio sidecars make the spans, the
 * service only reads the context they pass in (so its log lines lead to their trace) and starts
 * one for each ping it sends.
 */

/** The trace context a request arrived with. */
export interface TraceContext {
  /** 32 lowercase hex digits (W3C, 128-bit B3) or 16 (64-bit B3), as received. */
  traceId: string;
  /** The caller's span: `parent-id` of a traceparent, the span id of B3. */
  spanId: string;
  /** The caller's sampling decision; undefined when B3 carried none (deferred). */
  sampled: boolean | undefined;
}

const DASH = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_A = 0x61;
const LOWER_F = 0x66;

/** The value of a lowercase hex digit, or -1 (upper case is not hex here: W3C and B3 say lower-hex). */
function hexValue(code: number): number {
  if (code >= ZERO && code <= NINE) return code - ZERO;
  if (code >= LOWER_A && code <= LOWER_F) return code - LOWER_A + 10;
  return -1;
}

/** Whether value[start, end) is lowercase hex and not all zeros (both specifications forbid zero ids). */
function isId(value: string, start: number, end: number): boolean {
  if (end > value.length) return false;
  let nonZero = false;
  for (let i = start; i < end; i++) {
    const code = value.charCodeAt(i);
    if (hexValue(code) < 0) return false;
    if (code !== ZERO) nonZero = true;
  }
  return nonZero;
}

// traceparent: 2 version, 32 trace-id, 16 parent-id, 2 flags, separated by dashes.
const TP_LENGTH = 55;
const TP_TRACE = 3;
const TP_PARENT = 36;
const TP_FLAGS = 53;

/**
 * A W3C `traceparent` (Trace Context, "traceparent Header" and "Versioning of traceparent"):
 * version 00 is exactly `00-<32 hex>-<16 hex>-<2 hex>`; version ff is forbidden; a higher version
 * is read by its first 55 characters when they are followed by the end or a dash. Hex is lowercase,
 * ids are not all zeros. Anything else yields undefined.
 */
export function parseTraceparent(value: string): TraceContext | undefined {
  if (value.length < TP_LENGTH) return undefined;
  const v0 = value.charCodeAt(0);
  const v1 = value.charCodeAt(1);
  if (hexValue(v0) < 0 || hexValue(v1) < 0 || value.charCodeAt(2) !== DASH) return undefined;
  if (v0 === LOWER_F && v1 === LOWER_F) return undefined;
  if (v0 === ZERO && v1 === ZERO) {
    if (value.length !== TP_LENGTH) return undefined;
  } else if (value.length > TP_LENGTH && value.charCodeAt(TP_LENGTH) !== DASH) {
    return undefined;
  }
  if (value.charCodeAt(TP_PARENT - 1) !== DASH || value.charCodeAt(TP_FLAGS - 1) !== DASH) return undefined;
  if (!isId(value, TP_TRACE, TP_PARENT - 1) || !isId(value, TP_PARENT, TP_FLAGS - 1)) return undefined;
  const high = hexValue(value.charCodeAt(TP_FLAGS));
  const low = hexValue(value.charCodeAt(TP_FLAGS + 1));
  if (high < 0 || low < 0) return undefined;
  return {
    traceId: value.slice(TP_TRACE, TP_PARENT - 1),
    spanId: value.slice(TP_PARENT, TP_FLAGS - 1),
    // The sampled flag is the least significant bit of the flags byte.
    sampled: (low & 1) === 1,
  };
}

/**
 * The B3 single header (openzipkin/b3-propagation): `<trace-id>-<span-id>[-<sampling>[-<parent-span-id>]]`
 * with a 16 or 32 hex trace id, 16 hex span ids and a sampling state of 0, 1 or d (debug, which
 * implies sampled). A lone sampling state carries no ids: undefined, like anything malformed.
 */
export function parseB3Single(value: string): TraceContext | undefined {
  const traceEnd = value.charCodeAt(16) === DASH ? 16 : value.charCodeAt(32) === DASH ? 32 : -1;
  if (traceEnd < 0) return undefined;
  const spanEnd = traceEnd + 17;
  if (!isId(value, 0, traceEnd) || !isId(value, traceEnd + 1, spanEnd)) return undefined;
  let sampled: boolean | undefined;
  if (value.length !== spanEnd) {
    const state = value.charCodeAt(spanEnd + 1);
    if (value.charCodeAt(spanEnd) !== DASH) return undefined;
    if (state === ZERO) sampled = false;
    else if (state === ZERO + 1 || state === 0x64) sampled = true;
    else return undefined;
    const parent = spanEnd + 3;
    if (value.length !== spanEnd + 2) {
      if (value.length !== parent + 16 || value.charCodeAt(parent - 1) !== DASH) return undefined;
      if (!isId(value, parent, parent + 16)) return undefined;
    }
  }
  return { traceId: value.slice(0, traceEnd), spanId: value.slice(traceEnd + 1, spanEnd), sampled };
}

/**
 * The B3 multi headers: `x-b3-traceid` (16 or 32 hex) and `x-b3-spanid` (16 hex) are required;
 * `x-b3-sampled` is 1 or 0 (true and false too, which older tracers sent), `x-b3-flags: 1` is
 * debug and implies sampled.
 */
export function parseB3Multi(headers: IncomingHttpHeaders): TraceContext | undefined {
  const traceId = headers["x-b3-traceid"];
  const spanId = headers["x-b3-spanid"];
  if (typeof traceId !== "string" || typeof spanId !== "string") return undefined;
  if (traceId.length !== 16 && traceId.length !== 32) return undefined;
  if (spanId.length !== 16 || !isId(traceId, 0, traceId.length) || !isId(spanId, 0, 16)) return undefined;
  const flag = headers["x-b3-sampled"];
  const sampled =
    headers["x-b3-flags"] === "1" || flag === "1" || flag === "true"
      ? true
      : flag === "0" || flag === "false"
        ? false
        : undefined;
  return { traceId, spanId, sampled };
}

/**
 * The trace context of a request: a valid `traceparent`, else B3 (the single header, else the
 * multi headers). Each header is looked at only when present; none present costs three lookups.
 */
export function traceContext(headers: IncomingHttpHeaders): TraceContext | undefined {
  const traceparent = headers.traceparent;
  if (typeof traceparent === "string") {
    const context = parseTraceparent(traceparent);
    if (context) return context;
  }
  const b3 = headers.b3;
  if (typeof b3 === "string") {
    const context = parseB3Single(b3);
    if (context) return context;
  }
  return headers["x-b3-traceid"] === undefined ? undefined : parseB3Multi(headers);
}

/** A trace the pinger starts for one ping. */
export interface StartedTrace {
  traceId: string;
  spanId: string;
  sampled: boolean;
  /** `00-<trace-id>-<span-id>-<01 or 00>`, the header sent with the ping. */
  traceparent: string;
}

/** Random numbers in [0, 1), and random bytes; tests pass their own. */
export interface TraceRandom {
  fraction: () => number;
  bytes: (size: number) => Buffer;
}

export const systemRandom: TraceRandom = { fraction: Math.random, bytes: randomBytes };

function randomId(random: TraceRandom, size: number): string {
  for (;;) {
    const id = random.bytes(size).toString("hex");
    // All zeros is an invalid id; with 8 or 16 random bytes this never repeats in practice.
    if (isId(id, 0, id.length)) return id;
  }
}

/**
 * Starts a trace: fresh random trace and span ids, sampled with probability `samplingPercent` / 100.
 *
 * The flag is the sampling decision for the whole ping. Istio's sidecars with an OpenTelemetry
 * provider follow the sampled flag of an incoming traceparent instead of sampling again: Envoy's
 * source/extensions/tracers/opentelemetry/tracer.cc, "Respect the previous span's sampled flag";
 * istio/api telemetry/v1alpha1/telemetry.proto, randomSamplingPercentage: "If a prior sampling
 * decision has been made, that decision will be respected". So the outbound sidecar, and the peer's
 * inbound sidecar after it, record this ping exactly when the flag says so.
 */
export function startTrace(samplingPercent: number, random: TraceRandom = systemRandom): StartedTrace {
  const traceId = randomId(random, 16);
  const spanId = randomId(random, 8);
  const sampled = random.fraction() * 100 < samplingPercent;
  return { traceId, spanId, sampled, traceparent: `00-${traceId}-${spanId}-${sampled ? "01" : "00"}` };
}

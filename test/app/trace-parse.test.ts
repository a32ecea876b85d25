import type { IncomingHttpHeaders } from "node:http";
import { parseB3Multi, parseB3Single, parseTraceparent, traceContext } from "../../app/src/trace";

// The examples of the W3C Trace Context specification.
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const tp = (version: string, flags: string, trace = TRACE, parent = PARENT) =>
  `${version}-${trace}-${parent}-${flags}`;

describe("parseTraceparent (W3C Trace Context)", () => {
  test("version 00: the trace id, the parent id and the sampled flag", () => {
    expect(parseTraceparent(tp("00", "01"))).toEqual({ traceId: TRACE, spanId: PARENT, sampled: true });
    expect(parseTraceparent(tp("00", "00"))).toEqual({ traceId: TRACE, spanId: PARENT, sampled: false });
  });

  test.each([
    ["09", true],
    ["08", false],
    ["03", true],
    ["02", false],
    ["0b", true],
    ["0a", false],
    ["ff", true],
    ["fe", false],
  ])("flags %s: sampled is the least significant bit (%s), other bits are ignored", (flags, sampled) => {
    expect(parseTraceparent(tp("00", flags))?.sampled).toBe(sampled);
  });

  test("a higher version is read by its first 55 characters, followed by the end or a dash", () => {
    const expected = { traceId: TRACE, spanId: PARENT, sampled: true };
    expect(parseTraceparent(tp("cc", "01"))).toEqual(expected);
    expect(parseTraceparent(`${tp("cc", "01")}-what-the-future-will-be-like`)).toEqual(expected);
    expect(parseTraceparent(`${tp("01", "01")}-`)).toEqual(expected);
    expect(parseTraceparent(`${tp("fe", "00")}-x`)).toEqual({ ...expected, sampled: false });
  });

  test.each([
    ["empty", ""],
    ["version only", "00"],
    ["version ff, which is forbidden", tp("ff", "01")],
    ["version ff with more fields", `${tp("ff", "01")}-extra`],
    ["version 00 with a further field", `${tp("00", "01")}-extra`],
    ["version 00 with a trailing dash", `${tp("00", "01")}-`],
    ["version 00 with trailing space (Node trims header values before this)", `${tp("00", "01")} `],
    ["a higher version whose flags are followed by something else than a dash", `${tp("cc", "01")}.x`],
    ["a higher version shorter than 55 characters", tp("cc", "01").slice(0, 54)],
    ["an upper-case version", tp("0A", "01")],
    ["a one-digit version", `0-${TRACE}-${PARENT}-01`],
    ["a non-hex version", tp("0g", "01")],
    ["an all-zero trace id", tp("00", "01", "0".repeat(32))],
    ["an all-zero parent id", tp("00", "01", TRACE, "0".repeat(16))],
    ["an upper-case trace id", tp("00", "01", TRACE.toUpperCase())],
    ["an upper-case parent id", tp("00", "01", TRACE, PARENT.toUpperCase())],
    ["upper-case flags", tp("00", "0A")],
    ["a non-hex trace id", tp("00", "01", `${TRACE.slice(0, 31)}g`)],
    ["a non-hex parent id", tp("00", "01", TRACE, `${PARENT.slice(0, 15)}z`)],
    ["non-hex flags", tp("00", "0x")],
    ["a 31-digit trace id", `00-${TRACE.slice(1)}-${PARENT}-01`],
    ["a 33-digit trace id", `00-${TRACE}a-${PARENT}-01`],
    ["a 15-digit parent id", `00-${TRACE}-${PARENT.slice(1)}-01`],
    ["a 17-digit parent id", `00-${TRACE}-${PARENT}a-01`],
    ["one flag digit", `00-${TRACE}-${PARENT}-1`],
    ["three flag digits", `00-${TRACE}-${PARENT}-001`],
    ["another separator", `00_${TRACE}_${PARENT}_01`],
    ["a missing field", `00-${TRACE}-01`],
    ["two values joined, as duplicate headers arrive", `${tp("00", "01")}, ${tp("00", "00")}`],
  ])("ignores %s", (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

// The examples of openzipkin/b3-propagation.
const B3_TRACE = "80f198ee56343ba864fe8b2a57d3eff7";
const B3_SPAN = "e457b5a2e4d86bd1";
const B3_PARENT = "05e3ac9a4f6e3b90";

describe("parseB3Single (the b3 header)", () => {
  test.each([
    [`${B3_TRACE}-${B3_SPAN}-1-${B3_PARENT}`, B3_TRACE, true],
    [`${B3_TRACE}-${B3_SPAN}-1`, B3_TRACE, true],
    [`${B3_TRACE}-${B3_SPAN}-d`, B3_TRACE, true],
    [`${B3_TRACE}-${B3_SPAN}-0`, B3_TRACE, false],
    [`${B3_TRACE}-${B3_SPAN}-0-${B3_PARENT}`, B3_TRACE, false],
    [`${B3_TRACE}-${B3_SPAN}`, B3_TRACE, undefined],
    [`${B3_TRACE.slice(16)}-${B3_SPAN}-1`, B3_TRACE.slice(16), true],
    [`${B3_TRACE.slice(16)}-${B3_SPAN}`, B3_TRACE.slice(16), undefined],
  ])("%s", (value, traceId, sampled) => {
    expect(parseB3Single(value)).toEqual({ traceId, spanId: B3_SPAN, sampled });
  });

  test.each([
    ["a sampling state alone (no ids): 0", "0"],
    ["a sampling state alone (no ids): 1", "1"],
    ["a sampling state alone (no ids): d", "d"],
    ["empty", ""],
    ["a 20-digit trace id", `${B3_TRACE.slice(12)}-${B3_SPAN}-1`],
    ["a 15-digit span id", `${B3_TRACE}-${B3_SPAN.slice(1)}-1`],
    ["a 17-digit span id", `${B3_TRACE}-${B3_SPAN}a-1`],
    ["an upper-case trace id", `${B3_TRACE.toUpperCase()}-${B3_SPAN}-1`],
    ["an upper-case span id", `${B3_TRACE}-${B3_SPAN.toUpperCase()}-1`],
    ["an all-zero trace id", `${"0".repeat(32)}-${B3_SPAN}-1`],
    ["an all-zero 64-bit trace id", `${"0".repeat(16)}-${B3_SPAN}-1`],
    ["an all-zero span id", `${B3_TRACE}-${"0".repeat(16)}-1`],
    ["an unknown sampling state", `${B3_TRACE}-${B3_SPAN}-2`],
    ["sampling state true", `${B3_TRACE}-${B3_SPAN}-true`],
    ["a parent id without a sampling state", `${B3_TRACE}-${B3_SPAN}-${B3_PARENT}`],
    ["a short parent id", `${B3_TRACE}-${B3_SPAN}-1-${B3_PARENT.slice(1)}`],
    ["an upper-case parent id", `${B3_TRACE}-${B3_SPAN}-1-${B3_PARENT.toUpperCase()}`],
    ["a trailing dash", `${B3_TRACE}-${B3_SPAN}-`],
    ["a trailing dash after the sampling state", `${B3_TRACE}-${B3_SPAN}-1-`],
    ["another separator", `${B3_TRACE}_${B3_SPAN}`],
  ])("ignores %s", (_name, value) => {
    expect(parseB3Single(value)).toBeUndefined();
  });
});

describe("parseB3Multi (the x-b3-* headers)", () => {
  const ids = { "x-b3-traceid": B3_TRACE, "x-b3-spanid": B3_SPAN };

  test.each<[IncomingHttpHeaders, boolean | undefined]>([
    [{ ...ids, "x-b3-sampled": "1" }, true],
    [{ ...ids, "x-b3-sampled": "0" }, false],
    // Tracers older than the specification sent true and false.
    [{ ...ids, "x-b3-sampled": "true" }, true],
    [{ ...ids, "x-b3-sampled": "false" }, false],
    [{ ...ids, "x-b3-flags": "1" }, true],
    [{ ...ids, "x-b3-flags": "1", "x-b3-sampled": "0" }, true],
    [{ ...ids, "x-b3-parentspanid": B3_PARENT }, undefined],
    [{ ...ids, "x-b3-sampled": "yes" }, undefined],
    [ids, undefined],
  ])("%j: sampled %s", (headers, sampled) => {
    expect(parseB3Multi(headers)).toEqual({ traceId: B3_TRACE, spanId: B3_SPAN, sampled });
  });

  test("a 64-bit trace id", () => {
    expect(parseB3Multi({ ...ids, "x-b3-traceid": B3_TRACE.slice(16) })?.traceId).toBe(B3_TRACE.slice(16));
  });

  test.each<[string, IncomingHttpHeaders]>([
    ["no span id", { "x-b3-traceid": B3_TRACE, "x-b3-sampled": "1" }],
    ["no trace id", { "x-b3-spanid": B3_SPAN }],
    ["a 20-digit trace id", { ...ids, "x-b3-traceid": B3_TRACE.slice(12) }],
    ["an upper-case trace id", { ...ids, "x-b3-traceid": B3_TRACE.toUpperCase() }],
    ["an all-zero trace id", { ...ids, "x-b3-traceid": "0".repeat(32) }],
    ["a 15-digit span id", { ...ids, "x-b3-spanid": B3_SPAN.slice(1) }],
    ["an all-zero span id", { ...ids, "x-b3-spanid": "0".repeat(16) }],
    ["a non-hex span id", { ...ids, "x-b3-spanid": `${B3_SPAN.slice(1)}g` }],
  ])("ignores %s", (_name, headers) => {
    expect(parseB3Multi(headers)).toBeUndefined();
  });
});

describe("traceContext: traceparent first, then b3, then x-b3-*", () => {
  const W3C = { traceId: TRACE, spanId: PARENT, sampled: true };
  const SINGLE = { traceId: B3_TRACE, spanId: B3_SPAN, sampled: false };
  const MULTI = { traceId: B3_TRACE.slice(16), spanId: B3_PARENT, sampled: true };
  const b3 = `${B3_TRACE}-${B3_SPAN}-0`;
  const multi = { "x-b3-traceid": B3_TRACE.slice(16), "x-b3-spanid": B3_PARENT, "x-b3-sampled": "1" };

  test.each<[string, IncomingHttpHeaders, object | undefined]>([
    ["none", {}, undefined],
    ["all three", { traceparent: tp("00", "01"), b3, ...multi }, W3C],
    ["an invalid traceparent and b3", { traceparent: tp("ff", "01"), b3, ...multi }, SINGLE],
    ["an invalid traceparent and b3 and x-b3-*", { traceparent: "x", b3: "1", ...multi }, MULTI],
    ["b3 and x-b3-*", { b3, ...multi }, SINGLE],
    ["x-b3-* alone", multi, MULTI],
    ["nothing valid", { traceparent: "x", b3: "0", "x-b3-traceid": "x", "x-b3-spanid": "y" }, undefined],
  ])("%s", (_name, headers, expected) => {
    expect(traceContext(headers)).toEqual(expected);
  });
});

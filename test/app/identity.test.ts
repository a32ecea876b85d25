import type { IncomingMessage } from "node:http";
import {
  CallerLabels,
  cachedCallerFromXfcc,
  callerFromSubjectAltName,
  callerFromXfcc,
  callerIdentity,
  isSpiffeId,
} from "../../app/src/identity";

const A = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
const B = "spiffe://cluster.local/ns/pingpong-b/sa/pingpong";
const C = "spiffe://cluster.local/ns/ingress/sa/gateway";
const HASH = "9ba61d0425c8d2cd6b5d2d7f3c2e8a6ff2a2e0a1cb1c0e25c4ba2b1c8d3e4f5a";

/** What Istio's sidecar puts in front of a request from pingpong-a to pingpong-b. */
const ISTIO = `By=${B};Hash=${HASH};Subject="";URI=${A}`;

describe("isSpiffeId", () => {
  it.each([A, "spiffe://example.org/service", "spiffe://td/a/b/c_d.e~f"])("accepts %s", (id) => {
    expect(isSpiffeId(id)).toBe(true);
  });

  it.each([
    ["no path", "spiffe://cluster.local"],
    ["empty path segment", "spiffe://cluster.local//ns"],
    ["uppercase trust domain", "spiffe://Cluster.Local/ns/a"],
    ["another scheme", "https://cluster.local/ns/a"],
    ["a space", "spiffe://cluster.local/ns/a b"],
    ["longer than 2048 characters", `spiffe://cluster.local/${"a".repeat(2040)}`],
  ])("rejects %s", (_what, id) => {
    expect(isSpiffeId(id)).toBe(false);
  });
});

describe("callerFromXfcc", () => {
  it("reads the URI of Istio's header", () => {
    expect(callerFromXfcc(ISTIO)).toBe(A);
  });

  it("matches keys case-insensitively", () => {
    expect(callerFromXfcc(`by=${B};hash=${HASH};uri=${A}`)).toBe(A);
  });

  it("accepts a quoted URI", () => {
    expect(callerFromXfcc(`By=${B};URI="${A}"`)).toBe(A);
  });

  it("tolerates spaces around separators", () => {
    expect(callerFromXfcc(`By=${B} ; Hash=${HASH} ;  URI=${A}`)).toBe(A);
  });

  it("takes the last element when proxies appended several", () => {
    expect(callerFromXfcc(`By=${B};URI=${C},By=${B};Hash=${HASH};URI=${A}`)).toBe(A);
    expect(callerFromXfcc(`By=${B};URI=${A}, By=${B};Hash=${HASH};URI=${C}`)).toBe(C);
  });

  it("does not fall back to an earlier element when the last one has no URI", () => {
    expect(callerFromXfcc(`By=${B};URI=${A},By=${B};Hash=${HASH};Subject=""`)).toBeUndefined();
  });

  it("keeps ',', ';' and '=' inside quoted values", () => {
    const subject = `"CN=pingpong, O=example; OU=a=b"`;
    expect(callerFromXfcc(`By=${B};Subject=${subject};URI=${A}`)).toBe(A);
  });

  it("does not split an element at a ',' inside quotes", () => {
    expect(callerFromXfcc(`By=${B};URI=${A};Subject="x,URI=${C}"`)).toBe(A);
    expect(callerFromXfcc(`By=${B};Subject="a,URI=${C},b";URI=${A}`)).toBe(A);
  });

  it("unescapes quotes in quoted values", () => {
    expect(callerFromXfcc(`By=${B};Subject="CN=\\"quoted\\", O=x";URI=${A}`)).toBe(A);
    expect(callerFromXfcc(`By=${B};URI="spiffe://cluster.local/ns/a/sa/\\b"`)).toBe(
      "spiffe://cluster.local/ns/a/sa/b",
    );
  });

  it("takes the last value of an array header", () => {
    expect(callerFromXfcc([`By=${B};URI=${C}`, `By=${B};Hash=${HASH};URI=${A}`])).toBe(A);
  });

  it("accepts a header close to the 16 KiB limit", () => {
    const long = `By=${B};Subject="${"x".repeat(15 * 1024)}";URI=${A}`;
    expect(callerFromXfcc(long)).toBe(A);
  });

  it("returns undefined without a header", () => {
    expect(callerFromXfcc(undefined)).toBeUndefined();
    expect(callerFromXfcc([])).toBeUndefined();
  });

  it.each([
    ["empty", ""],
    ["unterminated quote", `By=${B};Subject="CN=x;URI=${A}`],
    ["an unterminated quoted URI", `By=${B};URI="${A}`],
    ["unterminated quote ending in a backslash", `By=${B};URI="${A}\\`],
    ["missing '='", `By=${B};URI`],
    ["a key alone", "URI"],
    ["an empty key", `=${A}`],
    ["a key with digits", `UR1=${A}`],
    ["text after a quoted value", `By=${B};URI="${A}"junk`],
    ["a trailing ','", `By=${B};URI=${A},`],
    ["an empty element", `By=${B};URI=${C},,URI=${A}`],
    ["garbage", '\u0000\u00ff;;,,=="""\\'],
    ["only separators", ";;;,,,"],
    ["a lone quote", '"'],
    ["a non-SPIFFE URI", `By=${B};URI=https://pingpong-a.example.com/`],
    ["a URI with spaces", `By=${B};URI=spiffe://cluster.local/ns/pingpong a/sa/pingpong`],
    ["a quoted URI with spaces", `By=${B};URI="spiffe://cluster.local/ns/pingpong-a/sa/ping pong"`],
    ["an empty URI", `By=${B};URI=`],
    ["no URI", `By=${B};Hash=${HASH};Subject=""`],
    ["a 20 KB header", `By=${B};Subject="${"x".repeat(20 * 1024)}";URI=${A}`],
    ["a 20 KB unquoted value", `URI=${A}${"a".repeat(20 * 1024)}`],
  ])("returns undefined for %s, without throwing", (_what, header) => {
    let result: string | undefined = "not called";
    expect(() => {
      result = callerFromXfcc(header);
    }).not.toThrow();
    expect(result).toBeUndefined();
  });

  it("stays fast on adversarial input", () => {
    const inputs = [
      "a=;".repeat(5000),
      `Subject="${"\\".repeat(16000)}`,
      "a=b,".repeat(4000),
      `URI=spiffe://cluster.local/${"a/".repeat(1000)}`,
    ];
    const started = process.hrtime.bigint();
    for (const input of inputs) expect(callerFromXfcc(input)).toBeUndefined();
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(500);
  });
});

describe("cachedCallerFromXfcc", () => {
  const headers: Array<string | string[] | undefined> = [
    ISTIO,
    `By=${B};URI=${C},By=${B};Hash=${HASH};URI=${A}`,
    `By=${B};Subject="a,URI=${C},b";URI=${A}`,
    `By=${B};Hash=${HASH};Subject=""`,
    `By=${B};URI="${A}`,
    "",
    undefined,
    [`By=${B};URI=${C}`, `By=${B};Hash=${HASH};URI=${A}`],
    `By=${B};Subject="${"x".repeat(4096)}";URI=${A}`,
  ];

  it("answers exactly as callerFromXfcc, on the first call and on repeated ones", () => {
    for (let round = 0; round < 3; round++) {
      for (const header of headers) {
        expect(cachedCallerFromXfcc(header)).toBe(callerFromXfcc(header));
        expect(cachedCallerFromXfcc(header)).toBe(callerFromXfcc(header));
      }
    }
  });

  it("still answers correctly after more distinct values than it remembers", () => {
    const many = Array.from({ length: 200 }, (_, i) => `By=${B};Hash=${i};URI=${A}${i % 2 ? "" : "/x"}`);
    for (let round = 0; round < 2; round++) {
      for (const header of many) expect(cachedCallerFromXfcc(header)).toBe(callerFromXfcc(header));
    }
  });
});

describe("callerFromSubjectAltName", () => {
  it("reads a lone URI entry", () => {
    expect(callerFromSubjectAltName(`URI:${A}`)).toBe(A);
  });

  it("finds the SPIFFE URI among other entries", () => {
    expect(
      callerFromSubjectAltName(`DNS:localhost, IP Address:127.0.0.1, URI:https://a.example/, URI:${A}`),
    ).toBe(A);
  });

  it("takes the first SPIFFE URI", () => {
    expect(callerFromSubjectAltName(`URI:${C}, URI:${A}`)).toBe(C);
  });

  it("reads a JSON-quoted entry", () => {
    expect(callerFromSubjectAltName(`DNS:"a\\u002c b", URI:"${A}"`)).toBe(A);
    expect(callerFromSubjectAltName(`URI:"spiffe://cluster.local/ns/a/sa/\\u0062"`)).toBe(
      "spiffe://cluster.local/ns/a/sa/b",
    );
  });

  it("is not fooled by a URI written inside a quoted DNS entry", () => {
    expect(callerFromSubjectAltName(`DNS:"evil\\u002c URI:${C}", URI:${A}`)).toBe(A);
    expect(callerFromSubjectAltName(`DNS:"evil\\u002c URI:${C}"`)).toBeUndefined();
  });

  it("skips a quoted entry that is not valid JSON", () => {
    expect(callerFromSubjectAltName(`URI:"spiffe://cluster.local/ns/a/sa/\\q", URI:${A}`)).toBe(A);
  });

  it.each([
    ["undefined", undefined],
    ["empty", ""],
    ["no URI", "DNS:localhost, IP Address:127.0.0.1"],
    ["a non-SPIFFE URI", "URI:https://pingpong-a.example.com/"],
    ["a URI prefix not at an entry start", `DNS:xURI:${A}`],
  ])("returns undefined for %s", (_what, san) => {
    expect(callerFromSubjectAltName(san)).toBeUndefined();
  });
});

describe("callerIdentity", () => {
  function fakeRequest(xfcc: string | undefined, socket: object): IncomingMessage {
    const headers = xfcc === undefined ? {} : { "x-forwarded-client-cert": xfcc };
    return { headers, socket } as unknown as IncomingMessage;
  }

  it("reads XFCC without application mTLS", () => {
    expect(callerIdentity(fakeRequest(ISTIO, {}), false)).toBe(A);
    expect(callerIdentity(fakeRequest(undefined, {}), false)).toBeUndefined();
  });

  it("reads the verified certificate and ignores XFCC under application mTLS", () => {
    const socket = { authorized: true, getPeerCertificate: () => ({ subjectaltname: `URI:${C}` }) };
    expect(callerIdentity(fakeRequest(ISTIO, socket), true)).toBe(C);
  });

  it("trusts nothing from an unverified certificate", () => {
    const socket = { authorized: false, getPeerCertificate: () => ({ subjectaltname: `URI:${C}` }) };
    expect(callerIdentity(fakeRequest(ISTIO, socket), true)).toBeUndefined();
  });
});

describe("CallerLabels", () => {
  const id = (n: number) => `spiffe://cluster.local/ns/ns-${n}/sa/pingpong`;

  it("labels a missing identity unknown", () => {
    expect(new CallerLabels().label(undefined)).toBe("unknown");
  });

  it("keeps the first N distinct identities and maps later ones to other", () => {
    const labels = new CallerLabels(3);
    expect([1, 2, 3].map((n) => labels.label(id(n)))).toEqual([id(1), id(2), id(3)]);
    expect(labels.label(id(4))).toBe("other");
    expect(labels.label(id(5))).toBe("other");
    expect(labels.label(id(1))).toBe(id(1));
    expect(labels.label(id(3))).toBe(id(3));
    expect(labels.label(id(4))).toBe("other");
    expect(labels.label(undefined)).toBe("unknown");
  });

  it("does not spend a slot on repeats or on unknown callers", () => {
    const labels = new CallerLabels(2);
    labels.label(undefined);
    labels.label(id(1));
    labels.label(id(1));
    expect(labels.label(id(2))).toBe(id(2));
    expect(labels.label(id(3))).toBe("other");
  });

  it("defaults to 50 distinct identities", () => {
    const labels = new CallerLabels();
    for (let n = 0; n < 50; n++) expect(labels.label(id(n))).toBe(id(n));
    expect(labels.label(id(50))).toBe("other");
    expect(new Set(Array.from({ length: 1000 }, (_v, n) => labels.label(id(n)))).size).toBe(51);
  });
});

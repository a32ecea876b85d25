import { startServing } from "../support/app-process";
import { killAll } from "../support/process";
import { httpRequest, startService, type RunningService } from "../support/service";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE}-${PARENT}-01`;
const B3_TRACE = "80f198ee56343ba864fe8b2a57d3eff7";
const B3_SPAN = "e457b5a2e4d86bd1";
const A = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
const XFCC_FROM_A = `By=spiffe://cluster.local/ns/pingpong-b/sa/pingpong;Hash=0a1b;Subject="";URI=${A}`;

let svc: RunningService | undefined;

afterEach(async () => {
  await svc?.close();
  svc = undefined;
  await killAll();
});

async function start(logLevel: string): Promise<RunningService> {
  svc = await startService({ LOG_LEVEL: logLevel });
  return svc;
}

const pongLines = (s: RunningService) => s.logs.filter((l) => l.event === "pong");

/** GET /ping with `headers`; the JSON answer and the pong line it was logged with. */
async function ping(s: RunningService, headers: Record<string, string | string[]>) {
  const before = pongLines(s).length;
  const res = await httpRequest(s.url("/ping"), { headers: { accept: "application/json", ...headers } });
  expect(res.status).toBe(200);
  const lines = pongLines(s).slice(before);
  expect(lines).toHaveLength(1);
  return { body: JSON.parse(res.body) as Record<string, unknown>, line: lines[0] };
}

describe("GET /ping with a trace context", () => {
  test.each<[string, Record<string, string | string[]>, string | null, string | null, boolean | null]>([
    ["a traceparent", { traceparent: TRACEPARENT }, TRACE, PARENT, true],
    [
      "a traceparent with spaces and tabs around it",
      { traceparent: ` \t${TRACEPARENT}\t ` },
      TRACE,
      PARENT,
      true,
    ],
    ["an unsampled traceparent", { traceparent: `00-${TRACE}-${PARENT}-00` }, TRACE, PARENT, false],
    ["a b3 header", { b3: `${B3_TRACE}-${B3_SPAN}-1` }, B3_TRACE, B3_SPAN, true],
    ["a b3 header without sampling state", { b3: `${B3_TRACE}-${B3_SPAN}` }, B3_TRACE, B3_SPAN, null],
    [
      "x-b3-* headers",
      { "x-b3-traceid": B3_TRACE.slice(16), "x-b3-spanid": B3_SPAN, "x-b3-sampled": "0" },
      B3_TRACE.slice(16),
      B3_SPAN,
      false,
    ],
    [
      "an invalid traceparent and a b3 header",
      { traceparent: `ff-${TRACE}-${PARENT}-01`, b3: `${B3_TRACE}-${B3_SPAN}-1` },
      B3_TRACE,
      B3_SPAN,
      true,
    ],
    [
      "two traceparent headers (joined: invalid)",
      { traceparent: [TRACEPARENT, TRACEPARENT] },
      null,
      null,
      null,
    ],
    ["an upper-case traceparent", { traceparent: TRACEPARENT.toUpperCase() }, null, null, null],
    ["no trace headers", {}, null, null, null],
  ])(
    "%s: logged at debug with trace_id, span_id and trace_sampled",
    async (_name, headers, traceId, spanId, sampled) => {
      const s = await start("debug");
      const { body, line } = await ping(s, { ...headers, "x-forwarded-client-cert": XFCC_FROM_A });

      expect(line).toMatchObject({
        level: "debug",
        msg: "pong",
        caller: A,
        trace_id: traceId,
        span_id: spanId,
        trace_sampled: sampled,
      });
      // The JSON answer names the trace when there is one, and otherwise has no traceId at all.
      expect(body).toMatchObject({ message: "pong", caller: A });
      if (traceId === null) expect(body).not.toHaveProperty("traceId");
      else expect(body.traceId).toBe(traceId);
    },
  );

  test("a text answer is unchanged, and logged with its trace too", async () => {
    const s = await start("debug");
    const res = await httpRequest(s.url("/ping"), { headers: { traceparent: TRACEPARENT } });
    expect([res.status, res.body]).toEqual([200, "pong"]);
    expect(pongLines(s)).toEqual([expect.objectContaining({ trace_id: TRACE, caller: null })]);
  });

  test("at info nothing is logged per request, and the JSON answer still names the trace", async () => {
    const s = await start("info");
    const res = await httpRequest(s.url("/ping"), {
      headers: { accept: "application/json", traceparent: TRACEPARENT },
    });
    expect((JSON.parse(res.body) as { traceId?: string }).traceId).toBe(TRACE);
    await httpRequest(s.url("/ping"), { headers: { traceparent: TRACEPARENT } });
    expect(s.logs.filter((l) => l.event !== "listening")).toEqual([]);
  });
});

describe("the built service (app/dist/main.js)", () => {
  test("logs the trace id of a /ping at debug, on stdout", async () => {
    const app = await startServing({ LOG_LEVEL: "debug" });
    const res = await httpRequest(`http://127.0.0.1:${app.port}/ping`, {
      headers: { traceparent: TRACEPARENT },
    });
    expect(res.status).toBe(200);
    const line = await app.waitForLog(
      "the pong line",
      (l) => l.event === "pong" && l.trace_id === TRACE,
      5000,
    );
    expect(line).toMatchObject({ level: "debug", span_id: PARENT, trace_sampled: true });
  });
});

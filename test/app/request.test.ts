import http from "node:http";
import type { AddressInfo } from "node:net";
import { describeOutcome, isSuccess, request } from "../../app/src/request";

describe("request", () => {
  let server: http.Server;
  let url: URL;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end("pong"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test("a header Node refuses is an error outcome, never a rejection", async () => {
    const outcome = await request({
      url,
      timeoutMs: 1000,
      headers: { "user-agent": "pingpong/v1\u2014beta" },
    });
    expect(outcome.kind).toBe("error");
    expect(describeOutcome(outcome)).toBe("ERR_INVALID_CHAR");
    expect(isSuccess(outcome)).toBe(false);
  });

  test("an answer is a response outcome with status and body", async () => {
    const outcome = await request({ url, timeoutMs: 1000 });
    expect(outcome).toMatchObject({ kind: "response", status: 200, body: "pong" });
    expect(isSuccess(outcome)).toBe(true);
  });

  test("an already aborted signal ends the request at once with ABORTED", async () => {
    const outcome = await request({ url, timeoutMs: 1000, signal: AbortSignal.abort() });
    expect(describeOutcome(outcome)).toBe("ABORTED");
  });
});

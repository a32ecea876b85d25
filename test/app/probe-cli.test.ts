import net from "node:net";
import { startApp } from "../support/app-process";
import { closePeers, httpPeer, listen } from "../support/fake-peers";
import { closedPort } from "../support/loopback-ports";
import { probe, verdictLine } from "../support/probe-cli";
import { killAll } from "../support/process";
import { PINGPONG_A_ID as CALLER, PINGPONG_B_ID } from "../support/spiffe-ids";

afterEach(async () => {
  await killAll();
  await closePeers();
});

describe("probe CLI against real peers", () => {
  test("a running app: --expect success passes with HTTP 200", async () => {
    const app = await startApp();
    const result = await probe("--url", `http://127.0.0.1:${app.port}/ping`, "--expect", "success");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(verdictLine(result)).toMatch(
      new RegExp(
        `^outcome=HTTP 200 expected=success caller=- url=http://127\\.0\\.0\\.1:${app.port}/ping ` +
          `attempts=1 seen=HTTP 200 x1 PASS \\(success as expected\\)$`,
      ),
    );
  });

  test("a running app: --expect failure fails", async () => {
    const app = await startApp();
    const result = await probe("--url", `http://127.0.0.1:${app.port}/ping`, "--expect", "failure");

    expect(result.code).toBe(1);
    expect(verdictLine(result)).toMatch(
      /^outcome=HTTP 200 expected=failure .* FAIL \(expected failure, got HTTP 200\)$/,
    );
  });

  test("a running app: an unknown path is an HTTP 404 failure", async () => {
    const app = await startApp();
    const result = await probe("--url", `http://127.0.0.1:${app.port}/nope`, "--expect", "failure");

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toMatch(/^outcome=HTTP 404 .* PASS /);
  });

  test("a closed port: ECONNREFUSED is the expected failure, and not a success", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/ping`;

    const failure = await probe("--url", url, "--expect", "failure");
    expect(failure.code).toBe(0);
    expect(verdictLine(failure)).toMatch(
      /^outcome=ECONNREFUSED expected=failure .* PASS \(failure as expected\)$/,
    );

    const refused = await probe("--url", url, "--expect", "failure", "--expect-error", "ECONNREFUSED");
    expect(refused.code).toBe(0);

    const success = await probe("--url", url, "--expect", "success");
    expect(success.code).toBe(1);
    expect(verdictLine(success)).toMatch(
      /^outcome=ECONNREFUSED .* FAIL \(expected success, got ECONNREFUSED\)$/,
    );
  });

  test("a peer that resets connections: ECONNRESET matches --expect-error ECONNRESET only", async () => {
    let connections = 0;
    const port = await listen(
      net.createServer((socket) => {
        connections++;
        socket.on("data", () => socket.resetAndDestroy());
      }),
    );
    const url = `http://127.0.0.1:${port}/ping`;

    const reset = await probe("--url", url, "--expect", "failure", "--expect-error", "ECONNRESET");
    expect(reset.code).toBe(0);
    expect(verdictLine(reset)).toMatch(/^outcome=ECONNRESET expected=failure:ECONNRESET .* PASS /);

    const timedOut = await probe("--url", url, "--expect", "failure", "--expect-error", "ETIMEDOUT");
    expect(timedOut.code).toBe(1);
    expect(verdictLine(timedOut)).toMatch(
      /^outcome=ECONNRESET .* FAIL \(expected ETIMEDOUT, got ECONNRESET\)$/,
    );

    expect(connections).toBe(2);
  });

  test("a peer answering HTTP 500: failure expected passes, success expected fails", async () => {
    const port = await httpPeer(500, "boom");
    const url = `http://127.0.0.1:${port}/ping`;

    const failure = await probe("--url", url, "--expect", "failure");
    expect(failure.code).toBe(0);
    expect(verdictLine(failure)).toMatch(/^outcome=HTTP 500 expected=failure .* PASS /);

    const success = await probe("--url", url, "--expect", "success");
    expect(success.code).toBe(1);
    expect(verdictLine(success)).toMatch(/^outcome=HTTP 500 .* FAIL \(expected success, got HTTP 500\)$/);
  });

  test("a peer that never answers: ETIMEDOUT after --timeout", async () => {
    let requests = 0;
    const port = await listen(
      net.createServer((socket) => {
        socket.once("data", () => requests++);
      }),
    );
    const url = `http://127.0.0.1:${port}/ping`;

    const timeoutMs = 200;
    const started = Date.now();
    const result = await probe(
      ...["--url", url, "--expect", "failure", "--expect-error", "ETIMEDOUT"],
      ...["--timeout", String(timeoutMs)],
    );
    const elapsed = Date.now() - started;

    expect(result.code).toBe(0);
    expect(verdictLine(result)).toMatch(/^outcome=ETIMEDOUT expected=failure:ETIMEDOUT .* PASS /);
    expect(requests).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs);
    expect(elapsed).toBeLessThan(3000);
  });

  test("--expect-caller compares the caller the peer reports", async () => {
    const port = await httpPeer(200, JSON.stringify({ message: "pong", caller: CALLER }), "application/json");
    const url = `http://127.0.0.1:${port}/ping`;

    const same = await probe("--url", url, "--expect", "success", "--expect-caller", CALLER);
    expect(same.code).toBe(0);
    expect(verdictLine(same)).toBe(
      `outcome=HTTP 200 expected=success caller=${CALLER} url=${url} attempts=1 seen=HTTP 200 x1 ` +
        "PASS (success as expected)",
    );

    const other = PINGPONG_B_ID;
    const different = await probe("--url", url, "--expect", "success", "--expect-caller", other);
    expect(different.code).toBe(1);
    expect(verdictLine(different)).toMatch(
      new RegExp(`^outcome=HTTP 200 .* FAIL \\(expected caller ${other}, got ${CALLER}\\)$`),
    );
  });

  test("--expect-caller fails when the peer reports no caller", async () => {
    const app = await startApp();
    const result = await probe(
      "--url",
      `http://127.0.0.1:${app.port}/ping`,
      "--expect",
      "success",
      "--expect-caller",
      CALLER,
    );

    expect(result.code).toBe(1);
    expect(verdictLine(result)).toMatch(new RegExp(`FAIL \\(expected caller ${CALLER}, got none\\)$`));
  });
});

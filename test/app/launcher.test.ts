import { request } from "../../app/src/request";
import { waitFor } from "../support/deadlines";
import { APP_BASE_ENV } from "../support/process";
import { groupAlive, killGroups, startGroup, type ProcessGroup } from "../support/process-group";

/** Above the app's start-up, plus a compile when app/src changed since the suite's global build. */
const READY_MS = 15_000;
const STOP_MS = 5_000;

afterEach(killGroups);

async function ping(port: number) {
  return request({ url: new URL(`http://127.0.0.1:${port}/ping`), timeoutMs: 1000 });
}

function listeningPort(group: ProcessGroup): number | undefined {
  const line = group.logs().find((l) => l.event === "listening");
  return typeof line?.port === "number" ? line.port : undefined;
}

describe("npm run app", () => {
  test.each(["SIGTERM", "SIGINT"] as const)(
    "%s to the npm process stops the server and every process npm started",
    async (signal) => {
      const group = startGroup("npm", ["run", "--silent", "app"], {
        ...APP_BASE_ENV,
        npm_config_update_notifier: "false",
      });
      const port = await Promise.race([
        waitFor("the app's listening log line", () => listeningPort(group), READY_MS),
        group.exited.then(({ code }) => {
          throw new Error(`npm exited (${String(code)}) first\n${group.stdout()}\n${group.stderr()}`);
        }),
      ]);
      expect(await ping(port)).toMatchObject({ kind: "response", status: 200 });

      // The npm process alone, as a supervisor or `kill <pid>` would: not its whole group.
      process.kill(group.pid, signal);

      await waitFor("every process of the group gone", () => !groupAlive(group.pid), STOP_MS);
      expect(await group.exited).toEqual({ code: 0, signal: null });
      expect(group.logs().map((l) => l.event)).toEqual(
        expect.arrayContaining(["shutdown_started", "shutdown_complete"]),
      );
      expect(await ping(port)).toMatchObject({ kind: "error", code: "ECONNREFUSED" });
    },
  );
});

import http from "node:http";
import { withDeadline } from "./deadlines";
import { listen } from "./fake-peers";

/** A loopback HTTP peer that records the headers of every request it answers. */
export interface RecordingPeer {
  url: URL;
  /** The headers of each request, in arrival order. */
  seen: http.IncomingHttpHeaders[];
  /** Resolves once `count` requests have been answered; rejects after `timeoutMs`. */
  answered(count: number, timeoutMs?: number): Promise<void>;
}

/**
 * Answers the n-th request (from 1) with the status `status(n)` says, 200 by default. Closed by
 * closePeers, like the other fake peers.
 */
export async function recordingPeer(status: (n: number) => number = () => 200): Promise<RecordingPeer> {
  const seen: http.IncomingHttpHeaders[] = [];
  const waiters = new Set<{ count: number; resolve: () => void }>();
  const port = await listen(
    http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(status(seen.length), { "content-type": "text/plain", "content-length": 4 });
      res.end("pong", () => {
        for (const w of [...waiters]) {
          if (seen.length >= w.count) {
            waiters.delete(w);
            w.resolve();
          }
        }
      });
    }),
  );
  return {
    url: new URL(`http://127.0.0.1:${port}/ping`),
    seen,
    answered: (count, timeoutMs = 5000) =>
      withDeadline(
        new Promise<void>((resolve) => {
          if (seen.length >= count) resolve();
          else waiters.add({ count, resolve });
        }),
        timeoutMs,
        `${count} requests answered`,
      ),
  };
}

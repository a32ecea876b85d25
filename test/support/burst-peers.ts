import http from "node:http";
import https from "node:https";
import type net from "node:net";
import { listen } from "./fake-peers";

/** What a burst peer has seen: requests, the most in flight at once, and connections. */
export interface BurstPeer {
  url: string;
  requests(): number;
  maxInFlight(): number;
  connections(): number;
  /** Resolves as soon as `count` requests have arrived. */
  arrived(count: number): Promise<void>;
}

export interface BurstPeerOptions {
  /** Answers 429 to requests beyond this many per one-second window (a window opens with its first request). */
  perSecond?: number;
  /** The limit applies only after this many requests, as a policy that reaches the sidecar late. */
  limitAfter?: number;
  /** The status of the n-th request (from 1), 200 by default; the limit turns only a 200 into a 429. */
  status?: (n: number) => number;
  /** Holds answers until this many requests are waiting, then answers them all. */
  holdUntil?: number;
  /** Serves HTTPS with this certificate; HTTP without. */
  tls?: { cert: string; key: string };
}

/** A loopback HTTP server standing in for a rate-limiting sidecar; closed by closePeers. */
export async function burstPeer(options: BurstPeerOptions = {}): Promise<BurstPeer> {
  const { perSecond = Infinity, limitAfter = 0, status = () => 200, holdUntil = 1, tls } = options;
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let connections = 0;
  let windowStart = -Infinity;
  let inWindow = 0;
  const held: Array<() => void> = [];
  const waiters = new Set<{ count: number; resolve: () => void }>();
  const handler: http.RequestListener = (_req, res) => {
    const n = ++requests;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const now = performance.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      inWindow = 0;
    }
    inWindow++;
    const own = status(n);
    const code = own === 200 && n > limitAfter && inWindow > perSecond ? 429 : own;
    held.push(() => {
      inFlight--;
      res.writeHead(code, { "content-type": "text/plain", "content-length": 2 });
      res.end("ok");
    });
    for (const w of [...waiters]) {
      if (requests >= w.count) {
        waiters.delete(w);
        w.resolve();
      }
    }
    if (held.length >= holdUntil) for (const answer of held.splice(0)) answer();
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  // Counted once the connection is usable: for TLS, after the handshake.
  server.on(tls ? "secureConnection" : "connection", (_socket: net.Socket) => connections++);
  const port = await listen(server);
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}/ping`,
    requests: () => requests,
    maxInFlight: () => maxInFlight,
    connections: () => connections,
    arrived: (count) =>
      new Promise<void>((resolve) => {
        if (requests >= count) resolve();
        else waiters.add({ count, resolve });
      }),
  };
}

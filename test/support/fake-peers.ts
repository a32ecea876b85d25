import http from "node:http";
import net from "node:net";
import { listenOnLoopback } from "./loopback-ports";

/** Loopback servers standing in for the peer a probe or a pinger talks to. */

const closers: Array<() => Promise<void>> = [];

/** Listens on a loopback port; closePeers destroys its connections and closes it. */
export function listen(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("close", () => sockets.delete(socket));
  });
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return listenOnLoopback(server);
}

/** Closes every server started with listen; for afterEach. */
export async function closePeers(): Promise<void> {
  for (const close of closers.splice(0)) await close();
}

/** An HTTP server answering every request with `status` and `body`; resolves with its port. */
export function httpPeer(status: number, body: string, contentType = "text/plain"): Promise<number> {
  return listen(
    http.createServer((_req, res) => {
      res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
      res.end(body);
    }),
  );
}

/** A peer whose n-th connection (counting from 1) gets an HTTP 200 or a reset, as `answer` says. */
export async function scriptedPeer(answer: (n: number) => "200" | "reset") {
  let connections = 0;
  const port = await listen(
    net.createServer((socket) => {
      const n = ++connections;
      socket.once("data", () => {
        if (answer(n) === "reset") socket.resetAndDestroy();
        else socket.end("HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\npong");
      });
    }),
  );
  return { url: `http://127.0.0.1:${port}/ping`, connections: () => connections };
}

// Baseline for the ping benchmark: the smallest node:http server that answers like GET /ping.
// Every request gets 200 "pong" (text/plain). Listens on 127.0.0.1, port 0 (or BARE_PORT), and
// prints {"event":"listening","port":N} as one JSON line on stdout once it accepts connections.
// When started with an IPC channel, it answers the message "rss" with {rss: bytes} and "cpuMs"
// with {cpuMs: user + system CPU time in ms}, which the benchmark uses when /proc is not available.
import { Buffer } from "node:buffer";
import http from "node:http";

const BODY = "pong";
const HEADERS = { "content-type": "text/plain", "content-length": String(Buffer.byteLength(BODY)) };

const server = http.createServer((_req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});

server.on("error", (err) => {
  process.stderr.write(`bare-server: ${err.message}\n`);
  process.exit(1);
});

server.listen(Number(process.env.BARE_PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ event: "listening", port })}\n`);
});

if (process.send) {
  process.on("message", (msg) => {
    if (msg === "rss") process.send({ rss: process.memoryUsage.rss() });
    if (msg === "cpuMs") {
      const { user, system } = process.cpuUsage();
      process.send({ cpuMs: (user + system) / 1000 });
    }
  });
  // The parent went away: do not outlive it.
  process.on("disconnect", () => process.exit(0));
}

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

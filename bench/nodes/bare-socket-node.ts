import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { probes, serve } from "../lib/serve.js";
import { nowMs } from "../lib/stats.js";

/**
 * The baseline of scenarios 1 and 3: a bare Socket.IO server with the same adapter kind as the gateway (sharded,
 * dynamic subscriptions) on the same Redis, nothing else. A page connects with `auth: { room }`, joins it and is
 * told "Pending" (as the gateway tells the current state); `PUT /emit?room=…` emits "Approved" to that room from
 * this node, whichever node holds the socket. argv: channel prefix.
 */
const channelPrefix = process.argv[2] ?? "bench-bare:sio";
const pub = new Redis("redis://127.0.0.1:6379");
const sub = new Redis("redis://127.0.0.1:6379");

const http = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (req.method !== "PUT" || url.pathname !== "/emit") {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    // Parse the body as the gateway's L5 does (a small JSON object), then emit.
    JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    const room = url.searchParams.get("room") ?? "";
    io.to(room).emit("push:status", { Status: "Approved", EmittedAt: nowMs() });
    res.writeHead(200, { "content-type": "application/json" }).end('{"IsPosted":true}');
  });
});

const io = new Server(http, {
  adapter: createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode: "dynamic" }),
  serveClient: false,
  maxHttpBufferSize: 16 * 1024,
  cors: { origin: "*", methods: ["GET", "POST"] },
});
io.on("connection", (socket) => {
  const room = String((socket.handshake.auth as { room?: unknown }).room ?? "");
  void Promise.resolve(socket.join(room)).then(() => socket.emit("push:status", { Status: "Pending" }));
});

await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const port = (http.address() as AddressInfo).port;

serve({ ...probes }, { url: `http://127.0.0.1:${port}`, port }, async () => {
  io.disconnectSockets(true);
  await new Promise<void>((resolve) => io.close(() => resolve()));
  pub.disconnect();
  sub.disconnect();
});

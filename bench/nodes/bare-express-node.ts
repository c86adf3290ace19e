import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { probes, serve } from "../lib/serve.js";

/** The baseline of scenario 2: a bare Express 5 route doing one ioredis GET. argv: the key to read. */
const key = process.argv[2] ?? "bench-bare:ping";
const redis = new Redis("redis://127.0.0.1:6379");
await redis.set(key, "pending", "EX", 3600);

const app = express();
app.get("/ping", async (_req, res) => {
  const value = await redis.get(key);
  res.json({ Status: value });
});
const server = app.listen(0, "127.0.0.1");
await new Promise<void>((resolve) => server.once("listening", () => resolve()));
const port = (server.address() as AddressInfo).port;

serve({ ...probes }, { url: `http://127.0.0.1:${port}`, port }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await redis.del(key);
  redis.disconnect();
});

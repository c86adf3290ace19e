import type { AddressInfo } from "node:net";
import express from "express";
import { Redis } from "ioredis";
import { probes, serve } from "../lib/serve.js";

/**
 * The baselines of scenario 2: a bare Express 5 route doing one ioredis GET (/ping), and one making the gateway's
 * three Redis calls (/ping3). argv: the key to read.
 */
const key = process.argv[2] ?? "bench-bare:ping";
const redis = new Redis("redis://127.0.0.1:6379");
await redis.set(key, "pending", "EX", 3600);

const app = express();
app.get("/ping", async (_req, res) => {
  const value = await redis.get(key);
  res.json({ Status: value });
});
// The same three Redis round trips a gateway ping makes (a counter for its rate limit and the token lookup side
// by side, then the challenge's fields), with nothing else: what the design costs, apart from our code.
const counter = `${key}:count`;
const fields = `${key}:fields`;
await redis.hset(fields, { id: "c", appId: "a", status: "Pending", expiresAt: "0", finalizeUntil: "0", loginSealed: "" });
await redis.expire(fields, 3600);
app.get("/ping3", async (_req, res) => {
  const [, ref] = await Promise.all([redis.incr(counter), redis.get(key)]);
  const [id, , status] = await redis.hmget(fields, "id", "appId", "status", "expiresAt", "finalizeUntil", "loginSealed");
  res.json({ Status: status, ref, id });
});
const server = app.listen(0, "127.0.0.1");
await new Promise<void>((resolve) => server.once("listening", () => resolve()));
const port = (server.address() as AddressInfo).port;

serve({ ...probes }, { url: `http://127.0.0.1:${port}`, port }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await redis.del(key, counter, fields);
  redis.disconnect();
});

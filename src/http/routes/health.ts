import { Router } from "express";
import type { RedisClient } from "../../redis.js";

/** Contract 2.4: alive, and ready (Redis answers and the node is not starting or draining). */
export function healthRoutes(redis: RedisClient, isAccepting: () => boolean): Router {
  const r = Router();
  r.get("/healthz", (_req, res) => {
    res.json({ Status: "ok" });
  });
  r.get("/readyz", async (_req, res) => {
    const redisOk = await Promise.race([
      redis.ping().then((p) => p === "PONG", () => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false)),
    ]);
    const ready = redisOk && isAccepting();
    res.status(ready ? 200 : 503).json({ Status: ready ? "ready" : "unavailable", Redis: redisOk ? "up" : "down", Accepting: isAccepting() });
  });
  return r;
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { Router } from "express";
import { z } from "zod";
import { errorBody } from "../../errors.js";
import type { RedisClient } from "../../redis.js";

export const healthAnswer = z.object({ Status: z.literal("ok") });
export const readyAnswer = z.object({ Status: z.enum(["ready", "unavailable"]), Redis: z.enum(["up", "down"]), Accepting: z.boolean() });

/** Contract 2.4: alive, and ready (Redis answers and the node is not starting or draining). */
export function healthRoutes(redis: RedisClient, isAccepting: () => boolean): Router {
  const r = Router();
  r.get("/healthz", (_req, res) => {
    res.json({ Status: "ok" } satisfies z.infer<typeof healthAnswer>);
  });
  r.get("/readyz", async (_req, res) => {
    const redisOk = await Promise.race([
      redis.ping().then((p) => p === "PONG", () => false),
      new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false)),
    ]);
    const ready = redisOk && isAccepting();
    const answer: z.infer<typeof readyAnswer> = { Status: ready ? "ready" : "unavailable", Redis: redisOk ? "up" : "down", Accepting: isAccepting() };
    res.status(ready ? 200 : 503).json(answer);
  });
  return r;
}

const STARTING = "The service is starting; please try again in a moment.";

/**
 * What a node answers while it starts (it listens before its Redis clients are ready and its app is built): alive on
 * /healthz, so a liveness probe does not restart a node that is merely waiting for Redis; 503 "starting" on /readyz,
 * so no work is routed to it yet; and to any other call, the contract's error body (950) with 503 and Retry-After,
 * as while Redis is away, since a client that reached it early should simply try again.
 */
export function answerWhileStarting(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "").split("?")[0]!.toLowerCase();
  const json = { "content-type": "application/json; charset=utf-8" };
  if (path === "/healthz") res.writeHead(200, json).end(JSON.stringify({ Status: "ok" }));
  else if (path === "/readyz") res.writeHead(503, json).end(JSON.stringify({ Status: "starting" }));
  else res.writeHead(503, { ...json, "retry-after": "1" }).end(JSON.stringify(errorBody(950, STARTING)));
}

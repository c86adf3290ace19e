import { randomBytes } from "node:crypto";
import type { Config } from "./config.js";
import type { Keys } from "./keys.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/**
 * The key that seals secrets at rest. In production it must come from MASTER_KEY. In development a missing one
 * is generated once and kept in Redis (SET NX, so every process of the deployment agrees), with a warning:
 * a Redis dump then holds the key next to what it seals, which is acceptable for a laptop only.
 */
export async function resolveMasterKey(config: Config, redis: RedisClient, keys: Keys, logger: Logger): Promise<Buffer> {
  if (config.MASTER_KEY) return Buffer.from(config.MASTER_KEY, "base64");
  await redis.set(keys.devMasterKey(), randomBytes(32).toString("base64"), "NX");
  const stored = await redis.get(keys.devMasterKey());
  if (!stored) throw new Error("could not keep the development master key in Redis");
  logger.warn("MASTER_KEY is not set: using a development key kept in Redis. Set MASTER_KEY (openssl rand -base64 32) outside development.");
  return Buffer.from(stored, "base64");
}

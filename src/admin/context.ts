import type { Config } from "../config.js";
import { createSealer } from "../crypto/sealed.js";
import { createKeys, type Keys } from "../keys.js";
import { createLogger } from "../logger.js";
import { resolveMasterKey } from "../master-key.js";
import { createPushQueues, type PushQueues } from "../delivery/queues.js";
import { createRedis, requireRedis, type RedisClient } from "../redis.js";
import { createServices, type Services } from "../services.js";

/** What an admin command works with: the deployment's Redis, its queues and, when asked for, its stores. */
export interface AdminContext {
  config: Config;
  redis: RedisClient;
  keys: Keys;
  queues: PushQueues;
  /**
   * The stores as the gateway builds them (same validation, sealing and audit trail). Resolves the master key
   * on first use: MASTER_KEY, or in development the key kept in Redis (src/master-key.ts).
   */
  services(): Promise<Services>;
  close(): Promise<void>;
}

/** Connect to the deployment's Redis (bounded wait); throws RedisUnavailableError (src/redis.ts). */
export async function openAdminContext(config: Config): Promise<AdminContext> {
  // One client for all: BullMQ's Queue wants a connection that may block, and the CLI runs one command at a time.
  const redis = createRedis(config, { blocking: true });
  redis.on("error", () => undefined);
  const keys = createKeys(config.REDIS_PREFIX);
  const queues = createPushQueues(redis, keys, { attempts: config.PUSH_ATTEMPTS, backoffMs: config.PUSH_BACKOFF_MS });
  // Without a listener BullMQ prints every connection error; the one line below says it better.
  for (const q of [queues.push, queues.expiry]) q.on("error", () => undefined);
  const close = async () => {
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
  };
  await requireRedis([redis], 3000).catch(async (err: unknown) => {
    await close();
    throw err;
  });
  // The CLI's own log lines would only clutter its output; what matters is printed by the commands.
  const logger = createLogger("silent");
  let services: Promise<Services> | undefined;
  return {
    config,
    redis,
    keys,
    queues,
    services: () =>
      (services ??= resolveMasterKey(config, redis, keys, logger).then((key) =>
        createServices({ config, logger, redis, sealer: createSealer(key), queues, notifier: { notify: () => undefined } }),
      )),
    close,
  };
}

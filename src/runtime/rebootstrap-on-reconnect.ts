import { onReconnected } from "../redis.js";
import type { Services } from "../services.js";

/**
 * A Redis restarted without persistence comes back empty: recreate the BOOTSTRAP app if it is gone, as a restart
 * of this process would, so its apikey keeps answering (accounts, devices and settings are lost: run Redis with AOF).
 */
export function rebootstrapOnReconnect(services: Pick<Services, "config" | "logger" | "redis" | "apps">): void {
  const { config, logger } = services;
  onReconnected(services.redis, () => {
    const { BOOTSTRAP_API_KEY: key, BOOTSTRAP_API_SECRET: secret } = config;
    if (!key || !secret) return;
    services.apps
      .ensure(key, secret, "Bootstrap app")
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, "bootstrap after reconnect failed"));
  });
}

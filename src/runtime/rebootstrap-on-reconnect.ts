import { onReconnected } from "../redis.js";
import type { Services } from "../services.js";
import { ensureAdminApp } from "../console/admin-app.js";

/**
 * A Redis restarted without persistence comes back empty: recreate the BOOTSTRAP app if it is gone, and the console
 * admins' internal app, as a restart of this process would, so its apikey keeps answering (accounts, devices,
 * admins and settings are lost: run Redis with AOF).
 */
export function rebootstrapOnReconnect(services: Pick<Services, "config" | "logger" | "redis" | "apps" | "settings" | "keys">): void {
  const { config, logger } = services;
  onReconnected(services.redis, () => {
    ensureAdminApp(services).catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, "console admin app after reconnect failed"));
    const { BOOTSTRAP_API_KEY: key, BOOTSTRAP_API_SECRET: secret } = config;
    if (!key || !secret) return;
    services.apps
      .ensure(key, secret, "Bootstrap app")
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, "bootstrap after reconnect failed"));
  });
}

import type { Services } from "../services.js";
import { startMetricsServer, type MetricsServer } from "../metrics/metrics-server.js";
import type { Infrastructure } from "./infrastructure.js";
import { startWorkers, type RunningWorkers } from "../../workers/start-workers.js";
import { createProviderSelector, type ProviderOptions } from "../../workers/providers/select-provider.js";
import { createDeviceSocketDelivery } from "../../workers/providers/device-socket.js";
import { vapidSubjectOf } from "../crypto/vapid-key.js";

/** What a worker role takes besides the configuration: a test's stand-in CAs for APNs and Web Push (see ProviderOptions). */
export type WorkerRoleOptions = Pick<ProviderOptions, "apnsCa" | "webPushCa">;

/**
 * The worker role of a process: the push and expiry workers on a blocking client of their own, sending through
 * the app's provider (SNS, FCM, APNs or the webhook), or over the device's socket when its app is open right now.
 */
export function startWorkerRole(
  services: Services,
  infrastructure: Pick<Infrastructure, "redis" | "emitter" | "presence" | "client">,
  options: WorkerRoleOptions = {},
): RunningWorkers {
  const { config } = services;
  const providers = createProviderSelector({
    snsEndpoint: config.SNS_ENDPOINT,
    fcmEndpoint: config.FCM_ENDPOINT,
    apnsEndpoint: config.APNS_ENDPOINT,
    allowPrivateWebhooks: config.ALLOW_PRIVATE_WEBHOOKS,
    apnsCa: options.apnsCa,
    webPush: { vapid: () => services.vapid.get(), subject: vapidSubjectOf(config) },
    webPushCa: options.webPushCa,
  });
  // An open device app gets its pushes over its socket ("socket" provider) before the app's provider.
  const sockets = createDeviceSocketDelivery({
    redis: infrastructure.redis,
    redisPrefix: config.REDIS_PREFIX,
    emitter: infrastructure.emitter,
    presence: infrastructure.presence,
  });
  return startWorkers(services, infrastructure.client({ blocking: true }), providers, {
    concurrency: config.WORKER_CONCURRENCY,
    preferred: sockets.preferred,
  });
}

/**
 * A worker-only process has no Express app: its metrics and health on a port of their own (METRICS_PORT).
 * Ready while `isAccepting` says so and Redis answers.
 */
export function startWorkerMetrics(
  services: Pick<Services, "config" | "metrics" | "redis" | "queues">,
  port: number,
  isAccepting: () => boolean,
): Promise<MetricsServer> {
  const { config, redis, queues } = services;
  return startMetricsServer({
    port,
    host: config.HOST,
    metrics: services.metrics,
    queues: [queues.push, queues.expiry],
    token: config.METRICS_TOKEN,
    isReady: async () => isAccepting() && (await redis.ping().then((p) => p === "PONG", () => false)),
  });
}

import type { Services } from "../src/services.js";
import type { Infrastructure } from "../src/runtime/infrastructure.js";
import { vapidSubjectOf } from "../src/crypto/vapid-key.js";
import { startWorkers, type RunningWorkers } from "./start-workers.js";
import { createProviderSelector, type ProviderOptions } from "./providers/select-provider.js";
import { createDeviceSocketDelivery } from "./providers/device-socket.js";

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

/** The worker role as the runtime takes it (RuntimeOptions.worker), with these options bound. */
export const workerRole =
  (options: WorkerRoleOptions = {}) =>
  (services: Services, infrastructure: Pick<Infrastructure, "redis" | "emitter" | "presence" | "client">): RunningWorkers =>
    startWorkerRole(services, infrastructure, options);

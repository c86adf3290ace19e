import type { Express } from "express";
import type { Server as IoServer } from "socket.io";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { RateLimitOptions } from "../rate-limits.js";
import { createServices, type Services } from "../services.js";
import { createMetrics } from "../metrics/metrics.js";
import { createNotifier } from "../realtime/notifier.js";
import { DEVICE_NAMESPACE } from "../realtime/device-channel.js";
import { bootstrapApps, type BootstrapResult } from "../bootstrap.js";
import { openInfrastructure, type Infrastructure } from "./infrastructure.js";
import { listenHttp } from "./http-listener.js";
import { createPageRooms, type PageRooms } from "./page-rooms.js";
import { startGateway } from "./gateway-role.js";
import { startWorkerMetrics } from "./worker-metrics.js";
import { rebootstrapOnReconnect } from "./rebootstrap-on-reconnect.js";

/** What the runtime needs of a running worker role: to stop it (finishing the jobs in flight). */
export interface RunningRole {
  close(): Promise<void>;
}

/**
 * Starts the worker role on this process's services and infrastructure. Given by the caller (`bin/main.ts`,
 * `workers/worker-role.ts`'s `workerRole`): `src/` never imports `workers/`.
 */
export type StartWorkerRole<W extends RunningRole> = (services: Services, infrastructure: Infrastructure) => W;

export interface RuntimeOptions<W extends RunningRole = RunningRole> {
  gateway: boolean;
  /** The worker role, when this process runs one. */
  worker?: StartWorkerRole<W> | undefined;
  logger: Logger;
  rateLimits?: Partial<RateLimitOptions>;
  /** Node's process metrics (pmg_process_*, pmg_nodejs_*) in the registry. @default true */
  processMetrics?: boolean;
}

export interface Runtime<W extends RunningRole = RunningRole> {
  /** Base URL of the gateway (when it runs). */
  url: string;
  port: number;
  services: Services;
  io: IoServer | undefined;
  /** The Express app (gateway only): tests walk its routes. */
  app: Express | undefined;
  workers: W | undefined;
  /** Port of a worker-only process's metrics listener (METRICS_PORT); 0 when there is none. */
  metricsPort: number;
  bootstrap: BootstrapResult;
  /** Drain: readiness 503, stop accepting, close sockets, finish jobs in flight, close Redis. */
  close(): Promise<void>;
}

/**
 * The composition root: open the infrastructure, build the process's one `Services`, start the gateway role and
 * the worker role, each wired by hand. `npm start` runs both roles in one process; `npm run gateway` / `worker`
 * one each. A start-up failure closes what was opened before it leaves (RedisUnavailableError when Redis is down).
 */
export async function startRuntime<W extends RunningRole = RunningRole>(configured: Config, options: RuntimeOptions<W>): Promise<Runtime<W>> {
  const infrastructure = await openInfrastructure(configured, options.logger);
  // A step that fails closes what the steps before it opened (`first`), then the infrastructure, and rethrows.
  const abandon = (first?: () => Promise<void>) => async (err: unknown): Promise<never> => {
    await first?.();
    await infrastructure.close();
    throw err;
  };
  let accepting = false;
  const isAccepting = () => accepting;

  const listener = options.gateway ? await listenHttp(configured).catch(abandon()) : undefined;
  const config: Config =
    listener && !configured.PUBLIC_URL_SET ? { ...configured, PUBLIC_URL: `http://localhost:${listener.port}` } : configured;
  const rooms = createPageRooms(infrastructure.emitter);
  const services = buildServices(config, options, infrastructure, rooms);
  const gateway = listener ? startGateway({ services, infrastructure, listener, rooms }) : undefined;
  const drainGateway = async () => gateway?.drain();
  await infrastructure.ready().catch(abandon(drainGateway));
  const bootstrap = await bootstrapApps(services).catch(abandon(drainGateway));
  rebootstrapOnReconnect(services);
  const app = gateway?.serveApi(bootstrap, isAccepting);

  const workers = options.worker?.(services, infrastructure);
  const metricsServer =
    !options.gateway && config.METRICS_PORT !== undefined
      ? await startWorkerMetrics(services, config.METRICS_PORT, isAccepting).catch(abandon(async () => workers?.close()))
      : undefined;
  accepting = true;

  return {
    url: `http://127.0.0.1:${listener?.port ?? 0}`,
    port: listener?.port ?? 0,
    services,
    io: gateway?.io,
    app,
    workers,
    metricsPort: metricsServer?.port ?? 0,
    bootstrap,
    async close() {
      // Readiness answers 503 from now on; then the listener closes, so new connections go to another node.
      accepting = false;
      // While draining, through Redis: this node's sockets are gone, the pages wait on other nodes now.
      rooms.detach();
      // Workers stop taking jobs at once and finish the ones in flight, while the HTTP side drains.
      await Promise.all([gateway?.drain(), workers?.close()]);
      await metricsServer?.close();
      await infrastructure.close();
    },
  };
}

/**
 * The process's one `Services`, its notifier on the page rooms (this node's Socket.IO server while it serves,
 * the Redis emitter otherwise), and one metrics registry for both roles.
 */
function buildServices(config: Config, options: Pick<RuntimeOptions, "logger" | "processMetrics" | "rateLimits">, infrastructure: Infrastructure, rooms: PageRooms): Services {
  const { redis, pollRedis, sealer, queues } = infrastructure;
  return createServices({
    config,
    logger: options.logger,
    redis,
    pollRedis,
    sealer,
    queues,
    metrics: createMetrics({ defaultMetrics: options.processMetrics ?? true }),
    // Open apps hear `push:ended` through Redis, on whichever gateway node holds their socket.
    notifier: createNotifier(rooms, sealer, Date.now, infrastructure.emitter.of(DEVICE_NAMESPACE)),
    ...(options.rateLimits && { rateLimits: options.rateLimits }),
  });
}

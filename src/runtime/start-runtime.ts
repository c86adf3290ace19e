import { createServer, type RequestListener, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { Server as IoServer } from "socket.io";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { createKeys } from "../keys.js";
import { createRedis, onReconnected, requireRedis, waitForRedis, type RedisClient, type RedisClientOptions } from "../redis.js";
import { createSealer } from "../crypto/sealed.js";
import { resolveMasterKey } from "../master-key.js";
import { createPushQueues } from "../delivery/queues.js";
import { createNotifier, type RoomEmitter } from "../realtime/notifier.js";
import { createRealtimeServer, type Realtime } from "../realtime/socket-server.js";
import { createSocketAdapter } from "../realtime/adapter.js";
import { createRoomEmitter } from "../realtime/emitters.js";
import { createDevicePresence } from "../realtime/device-presence.js";
import { createDeviceSocketDelivery } from "../../workers/providers/device-socket.js";
import { clientOperations, clientRoutes } from "../realtime/client-routes.js";
import { demoOperations, demoRoutes } from "../demo/demo-routes.js";
import { createServices, type Services } from "../services.js";
import { createHttpApp } from "../http/app.js";
import { createMetrics } from "../metrics/metrics.js";
import { startMetricsServer, type MetricsServer } from "../metrics/metrics-server.js";
import { ADMIN_BOARD_PATH, createAdminBoard } from "../admin/queue-board.js";
import { answerClientErrors } from "../http/client-error.js";
import { bootstrapApps, type BootstrapResult } from "../bootstrap.js";
import type { RateLimitOptions } from "../rate-limits.js";
import { startWorkers, type RunningWorkers } from "../../workers/start-workers.js";
import { createProviderSelector } from "../../workers/providers/select-provider.js";

export interface RuntimeOptions {
  gateway: boolean;
  worker: boolean;
  logger: Logger;
  rateLimits?: Partial<RateLimitOptions>;
  /** Node's process metrics (pmg_process_*, pmg_nodejs_*) in the registry. @default true */
  processMetrics?: boolean;
}

export interface Runtime {
  /** Base URL of the gateway (when it runs). */
  url: string;
  port: number;
  services: Services;
  io: IoServer | undefined;
  /** The Express app (gateway only): tests walk its routes. */
  app: Express | undefined;
  workers: RunningWorkers | undefined;
  /** Port of a worker-only process's metrics listener (METRICS_PORT); 0 when there is none. */
  metricsPort: number;
  bootstrap: BootstrapResult;
  /** Drain: readiness 503, stop accepting, close sockets, finish jobs in flight, close Redis. */
  close(): Promise<void>;
}

/**
 * Resync the node's pages once the request client is back too (it may reconnect after the subscriber), trying a
 * few times while Redis settles (a restart replaying its AOF answers LOADING for a while).
 */
async function resyncWhenReady(node: Realtime, redis: RedisClient, logger: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await waitForRedis(redis, 10_000);
      await node.resync();
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
      logger.debug({ err: { message: (err as Error).message }, attempt }, "page resync: Redis not ready yet");
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

/**
 * The composition root: Redis clients, the master key, stores, queues, the HTTP and Socket.IO servers and the
 * workers, wired by hand. `npm start` runs both roles in one process; `npm run gateway` / `worker` one each.
 */
export async function startRuntime(configured: Config, o: RuntimeOptions): Promise<Runtime> {
  const logger = o.logger;
  let config = configured;
  const clients: RedisClient[] = [];
  const client = (options: RedisClientOptions = {}) => {
    const c = createRedis(config, options);
    c.on("error", (err: Error) => logger.debug({ err: { message: err.message } }, "redis connection error"));
    clients.push(c);
    return c;
  };
  const quitAll = () => Promise.allSettled(clients.map((c) => c.quit().catch(() => c.disconnect())));

  const redis = client();
  await requireRedis([redis], 3000).catch(async (err: unknown) => {
    await quitAll();
    throw err;
  });

  const keys = createKeys(config.REDIS_PREFIX);
  const sealer = createSealer(await resolveMasterKey(config, redis, keys, logger));
  // The producer adds jobs inside request handlers: a fail-fast client (no offline queue, 2 s timeout), so a request
  // answers 503 while Redis is down instead of waiting for it. The workers get blocking clients of their own.
  const queueConnection = client();
  const queues = createPushQueues(queueConnection, keys, { attempts: config.PUSH_ATTEMPTS, backoffMs: config.PUSH_BACKOFF_MS });
  const emitterClient = client();
  // Keyed by REDIS_PREFIX, in the format of the configured adapter (sharded: SPUBLISH per room; classic: PUBLISH).
  const emitter = createRoomEmitter(emitterClient, config.SOCKET_ADAPTER, config.REDIS_PREFIX);
  const presence = createDevicePresence(redis, config.REDIS_PREFIX);

  let accepting = false;
  let closing = false;
  let http: HttpServer | undefined;
  let io: IoServer | undefined;
  let realtime: Realtime | undefined;
  let port = 0;
  // Listen before building the app, so PUBLIC_URL's default can name the real port (PORT=0 in tests).
  let handle: RequestListener = (_req, res) => res.writeHead(503, { "content-type": "application/json" }).end('{"Status":"starting"}');
  if (o.gateway) {
    const server = createServer((req, res) => handle(req, res));
    answerClientErrors(server);
    http = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // A deep accept queue (capped by net.core.somaxconn): in a reconnect storm the kernel queues the connections
      // the node has not accepted yet instead of dropping them, which would cost each client SYN retries of 1, 3, 7 s.
      server.listen({ port: config.PORT, host: config.HOST, backlog: 4096 }, () => resolve());
    }).catch(async (err: unknown) => {
      await quitAll();
      throw err;
    });
    port = (server.address() as AddressInfo).port;
    if (!config.PUBLIC_URL_SET) config = { ...config, PUBLIC_URL: `http://localhost:${port}` };
  }
  // One registry for the roles of this process: the gateway's HTTP and sockets, the workers' pushes and expiries.
  const metrics = createMetrics({ defaultMetrics: o.processMetrics ?? true });
  const base = { config, logger, redis, sealer, queues, metrics, ...(o.rateLimits && { rateLimits: o.rateLimits }) };
  // Workers tell pages through the Redis emitter; the gateway through its own Socket.IO server (below).
  const workerServices = createServices({ ...base, notifier: createNotifier(emitter, sealer) });
  let services = workerServices;
  if (http) {
    // While draining, through Redis: this node's sockets are gone, the pages wait on other nodes now.
    const roomEmitter: RoomEmitter = { to: (room) => (io && !closing ? io.to(room) : emitter.to(room)) };
    services = createServices({ ...base, notifier: createNotifier(roomEmitter, sealer) });
    const pub = client();
    const sub = client({ subscriber: true });
    const node = createRealtimeServer(services, http, { adapter: createSocketAdapter(config.SOCKET_ADAPTER, pub, sub, config.REDIS_PREFIX), presence });
    realtime = node;
    io = node.io;
    // Messages published while the subscriber was away are lost: once it is back (and has subscribed again), tell
    // every waiting page the state Redis holds now, Expired when its challenge did not survive.
    onReconnected(sub, () => {
      resyncWhenReady(node, redis, logger).catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, "page resync after reconnect failed"));
    });
  }
  // Fail-fast clients refuse commands until connected: wait for them all (bounded) before taking traffic.
  await requireRedis(clients, 5000).catch(async (err: unknown) => {
    http?.close();
    await quitAll();
    throw err;
  });
  const bootstrap = await bootstrapApps(services);
  // A Redis restarted without persistence comes back empty: recreate the BOOTSTRAP app if it is gone, as a restart
  // of this process would, so its apikey keeps answering (accounts, devices and settings are lost: run Redis with AOF).
  onReconnected(redis, () => {
    const { BOOTSTRAP_API_KEY: key, BOOTSTRAP_API_SECRET: secret } = config;
    if (!key || !secret) return;
    services.apps
      .ensure(key, secret, "Bootstrap app")
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, "bootstrap after reconnect failed"));
  });
  let app: Express | undefined;
  if (http) {
    // The browser client everywhere; the demo pages in development only.
    // The queue dashboard only with ADMIN_TOKEN: it shows every app's jobs, for the deployment's operator.
    const board = config.ADMIN_TOKEN ? createAdminBoard({ token: config.ADMIN_TOKEN, queues: [queues.push, queues.expiry], guesses: services.guesses }) : undefined;
    const extra = [clientRoutes(), ...(config.isDev ? [demoRoutes(services, bootstrap)] : []), ...(board ? [board.router] : [])];
    const operations = [...clientOperations, ...(config.isDev ? demoOperations : []), ...(board ? board.operations : [])];
    const pagePrefixes = ["/client", ...(config.isDev ? ["/demo"] : []), ...(board ? [ADMIN_BOARD_PATH] : [])];
    app = createHttpApp(services, { isAccepting: () => accepting, extra, operations, pagePrefixes });
    handle = app;
  }

  let workers: RunningWorkers | undefined;
  if (o.worker) {
    const providers = createProviderSelector({ snsEndpoint: config.SNS_ENDPOINT, allowPrivateWebhooks: config.ALLOW_PRIVATE_WEBHOOKS });
    // An open device app gets its pushes over its socket ("socket" provider) before SNS or the webhook.
    const sockets = createDeviceSocketDelivery({ redis, redisPrefix: config.REDIS_PREFIX, emitter, presence });
    workers = startWorkers(workerServices, client({ blocking: true }), providers, {
      concurrency: config.WORKER_CONCURRENCY,
      preferred: sockets.preferred,
    });
  }

  // A worker-only process has no Express app: its metrics and health on a port of their own, when asked.
  let metricsServer: MetricsServer | undefined;
  if (!o.gateway && config.METRICS_PORT !== undefined) {
    metricsServer = await startMetricsServer({
      port: config.METRICS_PORT,
      host: config.HOST,
      metrics,
      queues: [queues.push, queues.expiry],
      token: config.METRICS_TOKEN,
      isReady: async () => accepting && (await redis.ping().then((p) => p === "PONG", () => false)),
    }).catch(async (err: unknown) => {
      await workers?.close();
      await queues.close();
      await quitAll();
      throw err;
    });
  }

  accepting = true;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    services,
    io,
    app,
    workers,
    metricsPort: metricsServer?.port ?? 0,
    bootstrap,
    async close() {
      // Readiness answers 503 from now on; then the listener closes, so new connections go to another node.
      accepting = false;
      closing = true;
      const drainHttp = async () => {
        realtime?.close();
        // This node's pages only (`local`: through the cluster adapter, a plain disconnectSockets closes every
        // node's). They hear "io server disconnect", on which the browser client reconnects at once, to another
        // node. Device apps just lose the transport below, on which any Socket.IO client reconnects by itself.
        io?.local.disconnectSockets(true);
        // Closes the HTTP server too; requests in flight are answered first.
        await new Promise<void>((resolve) => (io ? io.close(() => resolve()) : http ? http.close(() => resolve()) : resolve()));
        http?.closeAllConnections();
      };
      // Workers stop taking jobs at once and finish the ones in flight, while the HTTP side drains.
      await Promise.all([drainHttp(), workers?.close()]);
      await metricsServer?.close();
      await queues.close();
      await quitAll();
    },
  };
}

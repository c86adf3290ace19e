import { createServer, type RequestListener, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Emitter } from "@socket.io/redis-emitter";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Server as IoServer } from "socket.io";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { createKeys } from "./keys.js";
import { createRedis, waitForRedis, type RedisClient } from "./redis.js";
import { createSealer } from "./crypto/sealed.js";
import { resolveMasterKey } from "./master-key.js";
import { createPushQueues } from "./push/queues.js";
import { createNotifier, type RoomEmitter } from "./realtime/notifier.js";
import { createSocketServer } from "./realtime/socket-server.js";
import { createServices, type Services } from "./services.js";
import { createHttpApp } from "./http/app.js";
import { bootstrapApps, type BootstrapResult } from "./bootstrap.js";
import type { RateLimitOptions } from "./rate-limits.js";
import { startWorkers, type RunningWorkers } from "../workers/start-workers.js";
import { createProviderSelector } from "../workers/providers/select-provider.js";

export interface RuntimeOptions {
  gateway: boolean;
  worker: boolean;
  logger: Logger;
  rateLimits?: Partial<RateLimitOptions>;
}

export interface Runtime {
  /** Base URL of the gateway (when it runs). */
  url: string;
  port: number;
  services: Services;
  io: IoServer | undefined;
  workers: RunningWorkers | undefined;
  bootstrap: BootstrapResult;
  /** Drain: readiness 503, stop accepting, close sockets, finish jobs in flight, close Redis. */
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
}

/**
 * The composition root: Redis clients, the master key, stores, queues, the HTTP and Socket.IO servers and the
 * workers, wired by hand. `npm start` runs both roles in one process; `npm run gateway` / `worker` one each.
 */
export async function startRuntime(configured: Config, o: RuntimeOptions): Promise<Runtime> {
  const logger = o.logger;
  let config = configured;
  const clients: RedisClient[] = [];
  const client = (blocking = false) => {
    const c = createRedis(config, { blocking });
    c.on("error", (err: Error) => logger.debug({ err: { message: err.message } }, "redis connection error"));
    clients.push(c);
    return c;
  };
  const quitAll = () => Promise.allSettled(clients.map((c) => c.quit().catch(() => c.disconnect())));

  const redis = client();
  try {
    await waitForRedis(redis, 3000);
  } catch (err) {
    await quitAll();
    throw new RedisUnavailableError((err as Error).message || "no answer");
  }

  const keys = createKeys(config.REDIS_PREFIX);
  const sealer = createSealer(await resolveMasterKey(config, redis, keys, logger));
  const queueConnection = client(true);
  const queues = createPushQueues(queueConnection, keys, { attempts: config.PUSH_ATTEMPTS });
  const emitterClient = client();
  const emitter = new Emitter(emitterClient, { key: `${config.REDIS_PREFIX}:sio` }) as unknown as RoomEmitter;

  let accepting = false;
  let http: HttpServer | undefined;
  let io: IoServer | undefined;
  let port = 0;
  // Listen before building the app, so PUBLIC_URL's default can name the real port (PORT=0 in tests).
  let handle: RequestListener = (_req, res) => res.writeHead(503, { "content-type": "application/json" }).end('{"Status":"starting"}');
  if (o.gateway) {
    const server = createServer((req, res) => handle(req, res));
    http = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.PORT, config.HOST, () => resolve());
    }).catch(async (err: unknown) => {
      await quitAll();
      throw err;
    });
    port = (server.address() as AddressInfo).port;
    if (!config.PUBLIC_URL_SET) config = { ...config, PUBLIC_URL: `http://localhost:${port}` };
  }
  const base = { config, logger, redis, sealer, queues, ...(o.rateLimits && { rateLimits: o.rateLimits }) };
  // Workers tell pages through the Redis emitter; the gateway through its own Socket.IO server (below).
  const workerServices = createServices({ ...base, notifier: createNotifier(emitter, sealer) });
  let services = workerServices;
  if (http) {
    const roomEmitter: RoomEmitter = { to: (room) => (io ? io.to(room) : emitter.to(room)) };
    services = createServices({ ...base, notifier: createNotifier(roomEmitter, sealer) });
    handle = createHttpApp(services, { isAccepting: () => accepting });
    const pub = client();
    const sub = client(true);
    io = createSocketServer(services, http, { adapter: createAdapter(pub, sub, { key: `${config.REDIS_PREFIX}:sio` }) });
  }
  const bootstrap = await bootstrapApps(services);

  let workers: RunningWorkers | undefined;
  if (o.worker) {
    const providers = createProviderSelector({ snsEndpoint: config.SNS_ENDPOINT, allowPrivateWebhooks: config.ALLOW_PRIVATE_WEBHOOKS });
    workers = startWorkers(workerServices, client(true), providers, { concurrency: config.WORKER_CONCURRENCY });
  }

  accepting = true;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    services,
    io,
    workers,
    bootstrap,
    async close() {
      accepting = false;
      // Sockets closed now reconnect to another node; HTTP keeps answering in-flight requests until done.
      io?.disconnectSockets(true);
      await new Promise<void>((resolve) => (io ? io.close(() => resolve()) : http ? http.close(() => resolve()) : resolve()));
      http?.closeAllConnections();
      await workers?.close();
      await queues.close();
      await quitAll();
    },
  };
}

import type { Express } from "express";
import type { Server as IoServer } from "socket.io";
import type { Logger } from "../logger.js";
import { onReconnected, waitForRedis, type RedisClient } from "../redis.js";
import type { Services } from "../services.js";
import type { BootstrapResult } from "../bootstrap.js";
import { createHttpApp } from "../http/app.js";
import { createRealtimeServer, type Realtime } from "../realtime/socket-server.js";
import { createSocketAdapter } from "../realtime/adapter.js";
import { clientOperations, clientRoutes } from "../realtime/client-routes.js";
import { demoOperations, demoRoutes } from "../demo/demo-routes.js";
import { ADMIN_BOARD_PATH, createAdminBoard } from "../admin/queue-board.js";
import type { Infrastructure } from "./infrastructure.js";
import type { HttpListener } from "./http-listener.js";
import type { PageRooms } from "./page-rooms.js";
import type { PingWaiters } from "../realtime/ping-waiters.js";

/** The gateway role of a process: Socket.IO on the listener now, the REST API once the apps are bootstrapped. */
export interface Gateway {
  io: IoServer;
  /** Build the Express app (the demo routes need the bootstrap's result) and serve it on the listener. */
  serveApi(bootstrap: BootstrapResult, isAccepting: () => boolean): Express;
  /** This node's pages go to other nodes, requests in flight are answered, then the listener is closed. */
  drain(): Promise<void>;
}

export interface GatewayDeps {
  services: Services;
  infrastructure: Pick<Infrastructure, "redis" | "queues" | "presence" | "client">;
  listener: HttpListener;
  /** Switched to this node's Socket.IO server as soon as it exists. */
  rooms: PageRooms;
}

/**
 * Socket.IO on the listener's HTTP server with the Redis adapter (a pair of clients of its own), and the page
 * resync after the adapter's subscriber reconnects. The REST API comes later, through `serveApi`.
 */
export function startGateway(deps: GatewayDeps): Gateway {
  const { config, logger } = deps.services;
  const pub = deps.infrastructure.client();
  const sub = deps.infrastructure.client({ subscriber: true });
  const adapter = createSocketAdapter(config.SOCKET_ADAPTER, pub, sub, config.REDIS_PREFIX);
  const realtime = createRealtimeServer(deps.services, deps.listener.server, { adapter, presence: deps.infrastructure.presence });
  const io = realtime.io;
  deps.rooms.attach(io);
  // Messages published while the subscriber was away are lost: once it is back (and has subscribed again), tell
  // every waiting page the state Redis holds now, Expired when its challenge did not survive.
  onReconnected(sub, () => {
    resyncWhenReady(realtime, deps.infrastructure.redis, logger).catch((err: unknown) =>
      logger.warn({ err: { message: (err as Error).message } }, "page resync after reconnect failed"),
    );
  });

  return {
    io,
    serveApi(bootstrap, isAccepting) {
      const app = createApiApp(deps.services, deps.infrastructure.queues, bootstrap, isAccepting, realtime.pingWaiters);
      deps.listener.serve(app);
      return app;
    },
    async drain() {
      realtime.close();
      // Held long polls answer now (as L4 would) instead of holding the close for up to their whole wait.
      realtime.pingWaiters.drain();
      // This node's pages only (`local`: through the cluster adapter, a plain disconnectSockets closes every
      // node's). They hear "io server disconnect", on which the browser client reconnects at once, to another
      // node. Device apps just lose the transport below, on which any Socket.IO client reconnects by itself.
      io.local.disconnectSockets(true);
      // Closes the HTTP server too; requests in flight are answered first.
      await new Promise<void>((resolve) => io.close(() => resolve()));
      deps.listener.server.closeAllConnections();
    },
  };
}

/**
 * The REST API with the browser client everywhere, the demo pages in development only, and the queue dashboard
 * only with ADMIN_TOKEN (it shows every app's jobs, for the deployment's operator).
 */
function createApiApp(
  services: Services,
  queues: Infrastructure["queues"],
  bootstrap: BootstrapResult,
  isAccepting: () => boolean,
  pingWaiters: PingWaiters,
): Express {
  const { config } = services;
  const board = config.ADMIN_TOKEN ? createAdminBoard({ token: config.ADMIN_TOKEN, queues: [queues.push, queues.expiry], guesses: services.guesses }) : undefined;
  const extra = [clientRoutes(), ...(config.isDev ? [demoRoutes(services, bootstrap)] : []), ...(board ? [board.router] : [])];
  const operations = [...clientOperations, ...(config.isDev ? demoOperations : []), ...(board ? board.operations : [])];
  const pagePrefixes = ["/client", ...(config.isDev ? ["/demo"] : []), ...(board ? [ADMIN_BOARD_PATH] : [])];
  return createHttpApp(services, { isAccepting, extra, operations, pagePrefixes, pingWaiters });
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

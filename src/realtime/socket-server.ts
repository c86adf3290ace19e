import type { IncomingMessage, Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import type { Config } from "../config.js";
import { isOriginAllowed } from "../http/cors.js";
import { countSockets } from "../metrics/socket-metrics.js";
import type { SocketAdapter } from "./adapter.js";
import { clientIpOf } from "./client-ip.js";
import { createConnectionCensus } from "./connection-census.js";
import { attachDeviceChannel, DEVICE_NAMESPACE, type DeviceChannelDeps } from "./device-channel.js";
import type { DevicePresence } from "./device-presence.js";
import { attachPageChannel, type PageChannelDeps } from "./page-channel.js";
import { createPingWaiters, type PingWaiters } from "./ping-waiters.js";
import { HELD_PINGS_PER_NODE } from "../rate-limits.js";

export interface RealtimeOptions {
  /** The Socket.IO Redis adapter (sharded or classic); in-memory when absent (a single node). */
  adapter?: SocketAdapter;
  /** Where the device channel records which devices are connected. */
  presence: DevicePresence;
}

export interface Realtime {
  io: Server;
  /** Held L4 requests (contract 2.11), woken by the same messages as the pages' sockets. */
  pingWaiters: PingWaiters;
  /** Stop the node's timers (the caller closes `io`). */
  close(): void;
  /**
   * Tell every page connected to this node the state Redis holds now (Expired when its challenge is gone). Run
   * after the adapter's subscriber reconnected: what was published while it was away never arrived.
   */
  resync(): Promise<void>;
}

/** What both namespaces touch. */
export type RealtimeDeps = PageChannelDeps & DeviceChannelDeps;

/**
 * Contract 2.1 on the gateway's HTTP server: the pages' namespace (page-channel.ts: a waiting page joins its
 * challenge's room and hears every change, from any gateway node or worker, through the Redis adapter) and beside
 * it the `/device` channel for open phone apps (device-channel.ts). A refused handshake fails with `connect_error`
 * carrying the error body.
 */
export function createRealtimeServer(deps: RealtimeDeps, http: HttpServer, options: RealtimeOptions): Realtime {
  const io = createIoServer(deps.config, http, options.adapter);
  const clientIp = rememberClientIps(io, deps.config.TRUST_PROXY);
  // Every namespace sharing the node's connections, so closing a page knows whether its connection carries more.
  const census = createConnectionCensus([io.of("/"), io.of(DEVICE_NAMESPACE)]);
  const pages = attachPageChannel(io, deps, { adapter: options.adapter, clientIp, census });
  const devices = attachDeviceChannel(io, deps, { presence: options.presence, clientIp });
  countSockets(io.of(DEVICE_NAMESPACE), deps.metrics, "device");
  const pingWaiters = createPingWaiters(io, options.adapter, {
    perNode: HELD_PINGS_PER_NODE,
    perToken: deps.config.SOCKETS_PER_TOKEN,
    perAddress: deps.config.SOCKETS_PER_ADDRESS,
  });
  return {
    io,
    pingWaiters,
    close: () => devices.close(),
    resync: async () => {
      // Held pings read once too: what was published while the subscriber was away never woke them.
      pingWaiters.wakeAll();
      await pages.resync();
    },
  };
}

/**
 * The Socket.IO server. Pages on the customer's origin connect here; no cookie or ambient credential is involved
 * (the token is). CORS_ORIGINS, as for the REST API: the polling transport's CORS headers, and every handshake's
 * Origin (a websocket is not subject to CORS, so it is checked here). Clients without an Origin (phone apps) pass.
 */
function createIoServer(config: Pick<Config, "CORS_ORIGINS" | "PUBLIC_URL">, http: HttpServer, adapter: SocketAdapter | undefined): Server {
  return new Server(http, {
    ...(adapter && { adapter: adapter.adapter }),
    serveClient: false,
    maxHttpBufferSize: 16 * 1024,
    cors: { origin: config.CORS_ORIGINS === "*" ? "*" : [...config.CORS_ORIGINS], methods: ["GET", "POST"] },
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      const ok = origin === undefined || isOriginAllowed(config.CORS_ORIGINS, origin, req.headers, config.PUBLIC_URL);
      callback(ok ? null : "origin not allowed (CORS_ORIGINS)", ok);
    },
  });
}

/**
 * Keep only what the handshakes need from a connection's first HTTP request (the client IP), then drop the
 * request: a waiting page costs a socket and a room membership, not a retained IncomingMessage with its headers.
 * Returns the client IP of a socket.
 */
function rememberClientIps(io: Server, trustProxy: Config["TRUST_PROXY"]): (socket: Socket) => string {
  const clientIps = new WeakMap<object, string>();
  io.engine.on("connection", (raw: { request: IncomingMessage | null }) => {
    if (raw.request) clientIps.set(raw, clientIpOf(raw.request, trustProxy));
    raw.request = null;
  });
  return (socket) => clientIps.get(socket.conn) ?? socket.conn.remoteAddress;
}

import type { IncomingMessage, Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import { ApiError, errorBody } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import { roomOf } from "../challenge/challenge.js";
import type { ChallengeRef } from "../challenge/challenge-store.js";
import { openLogin } from "../challenge/login-response.js";
import { pageEndError } from "../challenge/status-errors.js";
import type { Services } from "../services.js";
import { isOriginAllowed } from "../http/cors.js";
import { countSockets, measureAnswerToPage } from "../metrics/socket-metrics.js";
import type { SocketAdapter } from "./adapter.js";
import { clientIpOf } from "./client-ip.js";
import { closeAfterFinalStatus } from "./close-after-final.js";
import { createConnectionCensus } from "./connection-census.js";
import { attachDeviceChannel, DEVICE_NAMESPACE } from "./device-channel.js";
import type { DevicePresence } from "./device-presence.js";
import { authOf, guard, handshakeApp } from "./handshake.js";
import { createHandshakeAdmission } from "./handshake-admission.js";
import { checkedAgainstGuessing } from "../guess-budget.js";
import { createSocketCaps } from "./socket-caps.js";
import { STATUS_EVENT, statusOf, type PushStatus } from "./status.js";

export interface RealtimeOptions {
  /** The Socket.IO Redis adapter (sharded or classic); in-memory when absent (a single node). */
  adapter?: SocketAdapter;
  /** Where the device channel records which devices are connected. */
  presence: DevicePresence;
}

export interface Realtime {
  io: Server;
  /** Stop the node's timers (the caller closes `io`). */
  close(): void;
  /**
   * Tell every page connected to this node the state Redis holds now (Expired when its challenge is gone). Run
   * after the adapter's subscriber reconnected: what was published while it was away never arrived.
   */
  resync(): Promise<void>;
}

interface PageSocketData {
  tokenHash: string;
}

/** What the handshake found: the page's token hash, and where its challenge lives (for the join's first read). */
interface PageHandshake extends PageSocketData {
  ref: ChallengeRef;
}

/**
 * Contract 2.1 on the gateway's HTTP server: a waiting page connects with its apikey and 2FA token, joins the room
 * named by the token's hash, and is told the current state at once, then every change (the notifier emits them,
 * from any gateway node or worker, through the Redis adapter), until its final state, after which the socket is
 * closed. Beside it, the `/device` channel for open phone apps. Handshakes are rate-limited per client IP, and the
 * node holds at most SOCKETS_PER_TOKEN pages per token and SOCKETS_PER_ADDRESS per client address; a refused
 * handshake fails with `connect_error` carrying the error body.
 */
export function createRealtimeServer(s: Services, http: HttpServer, o: RealtimeOptions): Realtime {
  const io = new Server(http, {
    ...(o.adapter && { adapter: o.adapter.adapter }),
    serveClient: false,
    maxHttpBufferSize: 16 * 1024,
    // Pages on the customer's origin connect here; no cookie or ambient credential is involved (the token is).
    // CORS_ORIGINS, as for the REST API: the polling transport's CORS headers, and every handshake's Origin (a
    // websocket is not subject to CORS, so it is checked here). Clients without an Origin (phone apps) pass.
    cors: { origin: s.config.CORS_ORIGINS === "*" ? "*" : [...s.config.CORS_ORIGINS], methods: ["GET", "POST"] },
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      const ok = origin === undefined || isOriginAllowed(s.config.CORS_ORIGINS, origin, req.headers, s.config.PUBLIC_URL);
      callback(ok ? null : "origin not allowed (CORS_ORIGINS)", ok);
    },
  });

  // Keep only what the handshake needs from the first HTTP request (the client IP), then drop the request: a
  // waiting page costs a socket and a room membership, not a retained IncomingMessage with its headers.
  const clientIps = new WeakMap<object, string>();
  io.engine.on("connection", (raw: { request: IncomingMessage | null }) => {
    if (raw.request) clientIps.set(raw, clientIpOf(raw.request, s.config.TRUST_PROXY));
    raw.request = null;
  });
  const clientIp = (socket: Socket): string => clientIps.get(socket.conn) ?? socket.conn.remoteAddress;

  // A reconnect storm is shed here, in memory, before the handshake's lookups. The per-IP limit comes first, so one
  // client hammering the node is refused on its own account and cannot use up everyone's admission.
  const admission = createHandshakeAdmission(s.config.SOCKET_HANDSHAKES_PER_SECOND);
  const caps = createSocketCaps({ perCredential: s.config.SOCKETS_PER_TOKEN, perAddress: s.config.SOCKETS_PER_ADDRESS });
  io.use(
    guard(s.logger, async (socket) => {
      await s.limits.handshakePerIp(clientIp(socket));
      const wait = admission.admit();
      if (wait > 0) throw new ApiError(429, { retryAfter: wait });
      // An unknown token (1103) spends the address's failed-guesses budget; once spent, handshakes answer 429.
      const page = await checkedAgainstGuessing(s.guesses, clientIp(socket), authenticatePage(s, authOf(socket)));
      // Last, and synchronous: a place is taken only by a handshake that succeeds, and concurrent ones cannot
      // all see the same free place.
      caps.hold(socket, page.tokenHash, clientIp(socket));
      socket.data = page satisfies PageHandshake;
    }),
  );

  // Every namespace sharing the node's connections, so closing a page knows whether its connection carries more.
  const census = createConnectionCensus([io.of("/"), io.of(DEVICE_NAMESPACE)]);
  countSockets(io.of("/"), s.metrics, "page");
  io.on("connection", (socket) => {
    // Only the token hash stays with the socket for its lifetime (resyncs look the challenge up again).
    const { tokenHash, ref } = socket.data as PageHandshake;
    socket.data = { tokenHash } satisfies PageSocketData;
    measureAnswerToPage(socket, s.metrics);
    closeAfterFinalStatus(socket, census);
    join(socket, tokenHash, ref).catch((err: unknown) => {
      s.logger.warn({ err: { message: (err as Error)?.message } }, "page socket setup failed");
      socket.disconnect(true);
    });
  });

  async function join(socket: Socket, tokenHash: string, ref: ChallengeRef): Promise<void> {
    const room = roomOf(tokenHash);
    await socket.join(room);
    // Subscribed before reading: a change published after the read is then certain to arrive.
    await o.adapter?.subscribed(room);
    const status = await currentStatus(tokenHash, ref);
    if (socket.connected) socket.emit(STATUS_EVENT, status);
  }

  /** The state a page is told on join, or after a resync. */
  async function currentStatus(tokenHash: string, ref?: ChallengeRef): Promise<PushStatus> {
    const c = ref ? await s.challenges.load(ref) : await s.challenges.findByToken(tokenHash);
    // Gone from Redis since the handshake: cleaned up after the finalize window, or lost with a Redis that
    // restarted without persistence. Either way the page cannot be approved any more.
    if (!c) return { Status: "Expired", ExpireIn: new Date(0).toISOString(), Error: errorBody(pageEndError("Missing")) };
    const login = c.status === "Approved" && s.now() < c.finalizeUntil ? openLogin(s.sealer, c) : null;
    return statusOf(c, login, s.now());
  }

  async function resync(): Promise<void> {
    const pages = new Map<string, Socket[]>();
    for (const socket of io.of("/").sockets.values()) {
      const tokenHash = (socket.data as Partial<PageSocketData> | undefined)?.tokenHash;
      if (tokenHash) pages.set(tokenHash, [...(pages.get(tokenHash) ?? []), socket]);
    }
    // A bounded number of reads at a time: a node may hold thousands of pages.
    const waiting = [...pages];
    for (let i = 0; i < waiting.length; i += 100) {
      await Promise.all(
        waiting.slice(i, i + 100).map(async ([tokenHash, sockets]) => {
          const status = await currentStatus(tokenHash);
          for (const socket of sockets) if (socket.connected) socket.emit(STATUS_EVENT, status);
        }),
      );
    }
  }

  const devices = attachDeviceChannel(io, s, { presence: o.presence, clientIp });
  countSockets(io.of(DEVICE_NAMESPACE), s.metrics, "device");
  return { io, close: () => devices.close(), resync };
}

/** The token hash of a valid page handshake, and its challenge's place: apikey and token as in REST (922/920/901, 1103). */
async function authenticatePage(s: Services, auth: Record<string, unknown>): Promise<PageHandshake> {
  const app = await handshakeApp(s, auth.apikey);
  const token = auth.secondfactorauthenticationtoken;
  if (!isGuid(token)) throw new ApiError(1103);
  const tokenHash = hashToken(token);
  const ref = await s.challenges.refByToken(tokenHash);
  if (!ref || ref.appId !== app.apiKey) throw new ApiError(1103);
  return { tokenHash, ref };
}

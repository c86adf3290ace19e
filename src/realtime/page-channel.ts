import type { Server, Socket } from "socket.io";
import { ApiError, errorBody } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import { roomOf } from "../challenge/challenge.js";
import type { ChallengeRef } from "../challenge/challenge-store.js";
import { openApproval } from "../challenge/login-response.js";
import { pageEndError } from "../challenge/status-errors.js";
import type { Services } from "../services.js";
import { checkedAgainstGuessing } from "../guess-budget.js";
import { countSockets, measureAnswerToPage } from "../metrics/socket-metrics.js";
import type { SocketAdapter } from "./adapter.js";
import { closeAfterFinalStatus } from "./close-after-final.js";
import type { ConnectionCensus } from "./connection-census.js";
import { authOf, guard, handshakeApp } from "./handshake.js";
import { createHandshakeAdmission } from "./handshake-admission.js";
import { createSocketCaps } from "./socket-caps.js";
import { STATUS_EVENT, statusOf, type PushStatus } from "./status.js";

/** What the pages' namespace reads: the handshake's limits and checks, the challenge, the login it may carry. */
export type PageChannelDeps = Pick<Services, "config" | "limits" | "guesses" | "apps" | "challenges" | "sealer" | "metrics" | "logger" | "now">;

export interface PageChannelOptions {
  /** The Socket.IO Redis adapter, to wait for a room's subscription; none on a single in-memory node. */
  adapter?: SocketAdapter | undefined;
  /** The client address of a socket's handshake (rate limits, the per-address cap). */
  clientIp: (socket: Socket) => string;
  /** Sockets per connection across namespaces, so closing a page knows whether its connection carries more. */
  census: ConnectionCensus;
}

export interface PageChannel {
  /** Tell every page connected to this node the state Redis holds now (Expired when its challenge is gone). */
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
 * Contract 2.1's page side, on the default namespace: a waiting page connects with its apikey and 2FA token, joins
 * the room named by the token's hash, and is told the current state at once, then every change, until its final
 * state, after which the socket is closed. Handshakes are rate-limited per client IP, shed when the node is
 * flooded, and capped per token and per address; an unknown token spends the address's failed-guesses budget.
 */
export function attachPageChannel(io: Server, deps: PageChannelDeps, options: PageChannelOptions): PageChannel {
  admitPages(io, deps, options.clientIp);
  countSockets(io.of("/"), deps.metrics, "page");
  io.on("connection", (socket) => {
    // Only the token hash stays with the socket for its lifetime (resyncs look the challenge up again).
    const { tokenHash, ref } = socket.data as PageHandshake;
    socket.data = { tokenHash } satisfies PageSocketData;
    measureAnswerToPage(socket, deps.metrics);
    closeAfterFinalStatus(socket, options.census);
    join(socket, tokenHash, ref).catch((err: unknown) => {
      deps.logger.warn({ err: { message: (err as Error)?.message } }, "page socket setup failed");
      socket.disconnect(true);
    });
  });

  async function join(socket: Socket, tokenHash: string, ref: ChallengeRef): Promise<void> {
    const room = roomOf(tokenHash);
    await socket.join(room);
    // Subscribed before reading: a change published after the read is then certain to arrive.
    await options.adapter?.subscribed(room);
    const status = await currentStatus(deps, tokenHash, ref);
    if (socket.connected) socket.emit(STATUS_EVENT, status);
  }

  return { resync: () => resyncPages(io, deps) };
}

/**
 * The handshake of a page: the per-IP limit first (one client hammering the node is refused on its own account),
 * then the node's admission (a reconnect storm shed in memory, before any lookup), the credentials against the
 * address's failed-guesses budget, and last the per-token and per-address caps.
 */
function admitPages(io: Server, deps: PageChannelDeps, clientIp: (socket: Socket) => string): void {
  const admission = createHandshakeAdmission(deps.config.SOCKET_HANDSHAKES_PER_SECOND);
  const caps = createSocketCaps({ perCredential: deps.config.SOCKETS_PER_TOKEN, perAddress: deps.config.SOCKETS_PER_ADDRESS });
  io.use(
    guard(deps.logger, async (socket) => {
      await deps.limits.handshakePerIp(clientIp(socket));
      const wait = admission.admit();
      if (wait > 0) throw new ApiError(429, { retryAfter: wait });
      // An unknown token (1103) spends the address's failed-guesses budget; once spent, handshakes answer 429.
      const page = await checkedAgainstGuessing(deps.guesses, clientIp(socket), authenticatePage(deps, authOf(socket)));
      // Last, and synchronous: a place is taken only by a handshake that succeeds, and concurrent ones cannot
      // all see the same free place.
      caps.hold(socket, page.tokenHash, clientIp(socket));
      socket.data = page satisfies PageHandshake;
    }),
  );
}

/** The token hash of a valid page handshake, and its challenge's place: apikey and token as in REST (922/920/901, 1103). */
async function authenticatePage(deps: Pick<Services, "apps" | "challenges">, auth: Record<string, unknown>): Promise<PageHandshake> {
  const app = await handshakeApp(deps, auth.apikey);
  const token = auth.secondfactorauthenticationtoken;
  if (!isGuid(token)) throw new ApiError(1103);
  const tokenHash = hashToken(token);
  const ref = await deps.challenges.refByToken(tokenHash);
  if (!ref || ref.appId !== app.apiKey) throw new ApiError(1103);
  return { tokenHash, ref };
}

/** The state a page is told on join, or after a resync. */
async function currentStatus(deps: Pick<Services, "challenges" | "sealer" | "now">, tokenHash: string, ref?: ChallengeRef): Promise<PushStatus> {
  const c = ref ? await deps.challenges.load(ref) : await deps.challenges.findByToken(tokenHash);
  // Gone from Redis since the handshake: cleaned up after the finalize window, or lost with a Redis that
  // restarted without persistence. Either way the page cannot be approved any more.
  if (!c) return { Status: "Expired", ExpireIn: new Date(0).toISOString(), Error: errorBody(pageEndError("Missing")) };
  const approval = c.status === "Approved" && deps.now() < c.finalizeUntil ? openApproval(deps.sealer, c) : null;
  return statusOf(c, approval, deps.now());
}

/** Tell every page on this node the state Redis holds now, a bounded number of reads at a time (a node may hold thousands). */
async function resyncPages(io: Server, deps: Pick<Services, "challenges" | "sealer" | "now">): Promise<void> {
  const pages = new Map<string, Socket[]>();
  for (const socket of io.of("/").sockets.values()) {
    const tokenHash = (socket.data as Partial<PageSocketData> | undefined)?.tokenHash;
    if (tokenHash) pages.set(tokenHash, [...(pages.get(tokenHash) ?? []), socket]);
  }
  const waiting = [...pages];
  for (let i = 0; i < waiting.length; i += 100) {
    await Promise.all(
      waiting.slice(i, i + 100).map(async ([tokenHash, sockets]) => {
        const status = await currentStatus(deps, tokenHash);
        for (const socket of sockets) if (socket.connected) socket.emit(STATUS_EVENT, status);
      }),
    );
  }
}

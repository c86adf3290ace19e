import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import { ApiError, errorBody } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import { roomOf } from "../challenge/challenge.js";
import { openLogin } from "../challenge/login-response.js";
import type { Services } from "../services.js";
import { STATUS_EVENT, statusOf } from "./status.js";

export interface SocketServerOptions {
  /** The Socket.IO adapter factory (Redis, sharded or classic); in-memory when absent. */
  adapter?: NonNullable<ConstructorParameters<typeof Server>[1]>["adapter"];
}

/**
 * Contract 2.1: a waiting page connects with its apikey and 2FA token, joins the room named by the token's hash,
 * and is told the current state at once, then every change. A bad handshake fails with the error body.
 */
export function createSocketServer(s: Services, http: HttpServer, o: SocketServerOptions = {}): Server {
  const io = new Server(http, {
    ...(o.adapter && { adapter: o.adapter }),
    serveClient: false,
    maxHttpBufferSize: 16 * 1024,
    // The handshake's first HTTP request is not kept for the life of the socket.
    cleanupEmptyChildNamespaces: true,
  });

  io.use(async (socket, next) => {
    try {
      const c = await authenticate(s, socket);
      socket.data.tokenHash = c;
      next();
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(950);
      const failure = Object.assign(new Error(e.message), { data: e.toBody() });
      next(failure);
    }
  });

  io.on("connection", async (socket) => {
    const tokenHash = socket.data.tokenHash as string;
    // Drop the handshake's request object: nothing per socket beyond what the room needs.
    (socket.request as { res?: unknown }).res = undefined;
    await socket.join(roomOf(tokenHash));
    const c = await s.challenges.findByToken(tokenHash).catch(() => null);
    if (!c) {
      socket.emit(STATUS_EVENT, { Status: "Expired", ExpireIn: new Date(0).toISOString(), Error: errorBody(1104) });
      return;
    }
    socket.emit(STATUS_EVENT, statusOf(c, c.status === "Approved" && s.now() < c.finalizeUntil ? openLogin(s.sealer, c) : null, s.now()));
  });
  return io;
}

/** The token hash of a valid handshake: apikey and token as in the REST calls (922/920/901, 1103). */
async function authenticate(s: Services, socket: Socket): Promise<string> {
  const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
  const apiKey = auth.apikey;
  const token = auth.secondfactorauthenticationtoken;
  if (typeof apiKey !== "string" || apiKey === "") throw new ApiError(922);
  if (!isGuid(apiKey)) throw new ApiError(920);
  const app = await s.apps.get(apiKey.toLowerCase());
  if (!app) throw new ApiError(901);
  if (!isGuid(token)) throw new ApiError(1103);
  const tokenHash = hashToken(token);
  const c = await s.challenges.findByToken(tokenHash);
  if (!c || c.appId !== app.apiKey) throw new ApiError(1103);
  return tokenHash;
}

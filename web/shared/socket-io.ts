/**
 * The Socket.IO client, as this gateway serves it (`/client/socket.io.esm.min.js`, see client-routes.ts): loaded
 * by a dynamic import only when a page opens a socket, so it is never bundled into a page script, and a page
 * whose network blocks it can still fall back to HTTP.
 */
import type { ManagerOptions, Socket, SocketOptions } from "socket.io-client";

/** socket.io-client's `io`. */
export type IoFactory = (uri: string, opts?: Partial<ManagerOptions & SocketOptions>) => Socket;

/** The gateway's Socket.IO client build; `base` is the gateway's URL (a path prefix is kept when it ends in "/"). */
export async function loadSocketIo(base: URL | string): Promise<IoFactory> {
  const mod = (await import(new URL("client/socket.io.esm.min.js", base).href)) as { io: IoFactory };
  return mod.io;
}

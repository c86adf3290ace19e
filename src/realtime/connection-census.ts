import type { Namespace, Socket } from "socket.io";

/** An Engine.IO connection, as a namespace socket names it. */
export type Connection = Socket["conn"];

export interface ConnectionCensus {
  /** How many sockets of the counted namespaces ride on `conn` now. */
  socketsOn(conn: Connection): number;
}

/**
 * Count, per Engine.IO connection, the sockets of `namespaces` connected over it. A client may multiplex several
 * namespaces (a page and a `/device` socket) on one connection; this says whether closing one socket may also close
 * the connection under it. Weakly keyed: a connection that is gone leaves nothing behind.
 */
export function createConnectionCensus(namespaces: readonly Namespace[]): ConnectionCensus {
  const counts = new WeakMap<Connection, number>();
  for (const nsp of namespaces) {
    nsp.on("connection", (socket: Socket) => {
      const conn = socket.conn;
      counts.set(conn, (counts.get(conn) ?? 0) + 1);
      socket.once("disconnect", () => {
        const left = (counts.get(conn) ?? 1) - 1;
        if (left > 0) counts.set(conn, left);
        else counts.delete(conn);
      });
    });
  }
  return { socketsOn: (conn) => counts.get(conn) ?? 0 };
}

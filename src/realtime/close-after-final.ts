import type { Socket } from "socket.io";
import type { ConnectionCensus } from "./connection-census.js";
import { isFinalStatus, STATUS_EVENT } from "./status.js";

/**
 * Contract 2.1: once a page's final state (Approved, Denied, Expired, Cancelled) has left for it, the server closes
 * its socket. Nothing more can be told to that page, and an open socket would go on costing the node (and count
 * against the caps) until the page was closed by the user.
 *
 * The final state is seen in the socket's outgoing packets, so it does not matter who sent it: the join's own read
 * (a page joining an ended challenge), a resync, or a broadcast that reached this node through the Redis adapter
 * from another node or a worker's emitter.
 */
export function closeAfterFinalStatus(socket: Socket, census: ConnectionCensus): void {
  let closing = false;
  socket.onAnyOutgoing((event: string, payload: unknown) => {
    if (closing || event !== STATUS_EVENT || !isFinalStatus(payload)) return;
    closing = true;
    // Outgoing listeners run just before the packet is written to the connection (for `socket.emit` and for the
    // adapter's broadcasts alike): close on the next turn of the event loop, once the final state is queued ahead
    // of the close.
    setImmediate(() => closePage(socket, census));
  });
}

function closePage(socket: Socket, census: ConnectionCensus): void {
  // The page hears "io server disconnect" (a DISCONNECT packet, queued after its final state) and does not
  // reconnect; Socket.IO clients never reconnect after a server-side disconnect by themselves.
  socket.disconnect();
  // Then the connection under it, unless another namespace's socket rides on it: a client that kept an empty
  // connection open would hold it with nothing counting it. Engine.IO sends what is queued before it closes the
  // transport, and a websocket delivers its frames before its close frame: the final state arrives first.
  if (census.socketsOn(socket.conn) === 0) socket.conn.close();
}

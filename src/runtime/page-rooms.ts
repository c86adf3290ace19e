import type { Server as IoServer } from "socket.io";
import type { RoomEmitter } from "../realtime/notifier.js";

/** Where this process's notifier emits: a switch between its own Socket.IO server and the Redis emitter. */
export interface PageRooms extends RoomEmitter {
  /** Emit through this node's Socket.IO server from now on: its adapter carries each message to the other nodes. */
  attach(io: IoServer): void;
  /** Back to the Redis emitter: this node is draining, its sockets are gone and its pages wait on other nodes. */
  detach(): void;
}

/**
 * The rooms of waiting pages as one process reaches them: through the Redis emitter (`emitter`) while it has no
 * Socket.IO server serving (a worker-only process, a gateway still starting or draining), through that server
 * otherwise. Either way every gateway node's pages hear it, so one notifier serves both roles of the process.
 */
export function createPageRooms(emitter: RoomEmitter): PageRooms {
  let io: IoServer | undefined;
  return {
    to: (room) => (io ? io.to(room) : emitter.to(room)),
    attach(server) {
      io = server;
    },
    detach() {
      io = undefined;
    },
  };
}

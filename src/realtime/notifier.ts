import type { Sealer } from "../crypto/sealed.js";
import { roomOf, type Challenge } from "../challenge/challenge.js";
import { openApproval, type ApprovalResponse } from "../challenge/login-response.js";
import { STATUS_EVENT, statusOf } from "./status.js";
import { ENDED_EVENT, type DevicePushEnded } from "./device-push.js";
import { deviceUserRoom } from "./device-room.js";

/** What both a Socket.IO server (gateway) and a Redis emitter (worker) offer: emit to a room on any node. */
export interface RoomEmitter {
  to(room: string): { emit(event: string, ...args: unknown[]): unknown };
}

export interface Notifier {
  /**
   * Tell every page waiting on this challenge, on any gateway node, its current state (`approval`: already open);
   * once it has ended, tell the open apps of its user's devices too (`push:ended`, contract 2.13).
   */
  notify(c: Challenge, approval?: ApprovalResponse): void;
}

/**
 * `deviceRooms`: the `/device` namespace's rooms, through the Redis emitter so that the sockets on every gateway
 * node hear it (absent: no device is told, as in tests of the pages alone).
 */
export function createNotifier(emitter: RoomEmitter, sealer: Sealer, now: () => number = Date.now, deviceRooms?: RoomEmitter): Notifier {
  return {
    notify(c, approval) {
      const opened = c.status === "Approved" ? (approval ?? openApproval(sealer, c)) : null;
      emitter.to(roomOf(c.tokenHash)).emit(STATUS_EVENT, statusOf(c, opened, now()));
      if (deviceRooms && c.status !== "Pending") {
        // The room of this user's devices only: each got this very handle in its push (one per challenge).
        const ended: DevicePushEnded = { secondfactorauthenticationtoken: sealer.open(c.handleSealed, `handle:${c.id}`) };
        deviceRooms.to(deviceUserRoom(c.appId, c.uid)).emit(ENDED_EVENT, ended);
      }
    },
  };
}

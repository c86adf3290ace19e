import type { Sealer } from "../crypto/sealed.js";
import { roomOf, type Challenge } from "../challenge/challenge.js";
import { openApproval, type ApprovalResponse } from "../challenge/login-response.js";
import { STATUS_EVENT, statusOf } from "./status.js";

/** What both a Socket.IO server (gateway) and a Redis emitter (worker) offer: emit to a room on any node. */
export interface RoomEmitter {
  to(room: string): { emit(event: string, ...args: unknown[]): unknown };
}

export interface Notifier {
  /** Tell every page waiting on this challenge, on any gateway node, its current state (`approval`: already open). */
  notify(c: Challenge, approval?: ApprovalResponse): void;
}

export function createNotifier(emitter: RoomEmitter, sealer: Sealer, now: () => number = Date.now): Notifier {
  return {
    notify(c, approval) {
      const opened = c.status === "Approved" ? (approval ?? openApproval(sealer, c)) : null;
      emitter.to(roomOf(c.tokenHash)).emit(STATUS_EVENT, statusOf(c, opened, now()));
    },
  };
}

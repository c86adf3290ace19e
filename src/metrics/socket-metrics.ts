import type { Namespace, Socket } from "socket.io";
import { STATUS_EVENT } from "../realtime/status.js";
import type { Metrics } from "./metrics.js";

/** Count a namespace's sockets in `pmg_sockets_connected{kind}` while they are connected. */
export function countSockets(nsp: Namespace, metrics: Metrics, kind: "page" | "device"): void {
  metrics.socketsConnected.set({ kind }, 0);
  nsp.on("connection", (socket: Socket) => {
    metrics.socketsConnected.inc({ kind });
    socket.once("disconnect", () => metrics.socketsConnected.dec({ kind }));
  });
}

/**
 * Observe `pmg_answer_to_page_seconds` for one page socket: when the first Approved or Denied `push:status`
 * leaves for it, `now - AnsweredAt`. `onAnyOutgoing` sees the packets the node's adapter broadcasts to the
 * socket's room (from this node, another node or a worker's emitter), not only `socket.emit`.
 *
 * Only a page that was waiting when the phone answered counts: one that connects later (a reload, a reconnect
 * after its node drained) learns an old answer on join, which says nothing about notification latency.
 */
export function measureAnswerToPage(socket: Socket, metrics: Metrics, now: () => number = Date.now): void {
  const connectedAt = now();
  let measured = false;
  socket.onAnyOutgoing((event: string, status: unknown) => {
    if (measured || event !== STATUS_EVENT) return;
    const answeredAt = answeredAtOf(status);
    if (answeredAt === null || answeredAt < connectedAt) return;
    measured = true;
    // Another node's clock may be a little ahead: never a negative duration.
    metrics.answerToPage.observe(Math.max(0, now() - answeredAt) / 1000);
  });
}

function answeredAtOf(status: unknown): number | null {
  if (typeof status !== "object" || status === null) return null;
  const { Status, AnsweredAt } = status as { Status?: unknown; AnsweredAt?: unknown };
  if ((Status !== "Approved" && Status !== "Denied") || typeof AnsweredAt !== "string") return null;
  const at = Date.parse(AnsweredAt);
  return Number.isFinite(at) ? at : null;
}

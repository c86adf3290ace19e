/**
 * Waiting on the gateway's Socket.IO endpoint: websocket only (no sticky sessions are ever needed), polling
 * (ping-polling.ts) whenever it is not connected, tried again after a refusal or a draining node's close.
 */
import type { ManagerOptions, SocketOptions } from "socket.io-client";
import type { PushStatus } from "../shared/wire.js";
import { loadSocketIo, type IoFactory } from "../shared/socket-io.js";
import { fail, outcomeOf, succeed, switchTransport, type ApprovalWait } from "./approval-wait.js";
import { schedulePoll, stopPolling } from "./ping-polling.js";
import { reconnectDelayMs, retryAfterOf } from "./reconnect-backoff.js";
import { EXPIRED, isErrorBody, isFinalError } from "./wire-answers.js";

/** Load the Socket.IO client (polling at once when it cannot be loaded) and wait on its events. */
export async function startSocket(w: ApprovalWait): Promise<void> {
  let io: IoFactory;
  try {
    io = w.options.io ?? (await loadSocketIo(w.base));
  } catch {
    return schedulePoll(w, 0);
  }
  if (w.settled) return;
  const socket = io(w.base.origin, socketOptionsOf(w));
  w.socket = socket;
  socket.on("connect", () => onConnected(w));
  socket.on("disconnect", (reason) => onDisconnected(w, reason));
  socket.on("connect_error", (err: Error & { data?: unknown }) => onConnectError(w, err));
  socket.on("push:status", (status: PushStatus) => onStatus(w, status));
}

/** The handshake of contract 2.1: the gateway's path, websocket only, the token in `auth`. */
function socketOptionsOf(w: ApprovalWait): Partial<ManagerOptions & SocketOptions> {
  return {
    path: `${w.base.pathname}socket.io/`,
    transports: ["websocket"],
    auth: { apikey: w.options.apikey, secondfactorauthenticationtoken: w.options.token },
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
    timeout: 5000,
  };
}

/** Connected: the token is known, refusals are over, polling stops. */
function onConnected(w: ApprovalWait): void {
  w.connected = true;
  w.known = true;
  w.refusals = 0;
  stopPolling(w);
  switchTransport(w, "socket");
}

/** Disconnected: poll meanwhile, and connect again when the server closed it (Socket.IO would not). */
function onDisconnected(w: ApprovalWait, reason: string): void {
  w.connected = false;
  // The server's close after a final state never gets here: that state came first on the same socket and
  // settled the wait, which removed these listeners (no reconnect, no polling).
  if (w.settled) return;
  schedulePoll(w, w.firstPollMs);
  // The server closed it before any final state (a node draining): Socket.IO does not reconnect by itself.
  if (reason === "io server disconnect") retrySocket(w, reconnectDelayMs(0));
}

/** A refused handshake: final (bad apikey, unknown or ended token), refused for now, or a network error. */
function onConnectError(w: ApprovalWait, err: Error & { data?: unknown }): void {
  if (w.settled) return;
  const body = err.data;
  if (!isErrorBody(body)) return schedulePoll(w, 0);
  if (isFinalError(body)) return fail(w, outcomeOf(w, body));
  // Refused for now (429, 950): Socket.IO gives up after a middleware refusal; try again later, not before
  // the server's RetryAfter, with jitter, and later after each refusal in a row. Meanwhile poll, but a node
  // that is shedding handshakes (429) is not polled before the same delay either.
  const delay = reconnectDelayMs(w.refusals++, { baseMs: 2000, retryAfterSeconds: retryAfterOf(body) });
  retrySocket(w, delay);
  schedulePoll(w, body.ErrorCode === 429 ? delay : 0);
}

/** Connect the socket again after `ms`, unless the wait is over or it connected meanwhile. */
function retrySocket(w: ApprovalWait, ms: number): void {
  clearTimeout(w.socketRetry);
  w.socketRetry = setTimeout(() => {
    if (!w.settled && w.socket && !w.socket.connected) w.socket.connect();
  }, ms);
}

/** A `push:status`: told to the caller, and the wait settled on a final state. */
function onStatus(w: ApprovalWait, status: PushStatus): void {
  if (w.settled) return;
  w.known = true;
  try {
    w.options.onStatus?.(status);
  } finally {
    // Settled even when the caller's onStatus throws: the server closes the socket right after a final state,
    // and an unsettled client would take that close for a draining node and reconnect and poll.
    const approval = status.Login ?? status.Validation;
    if (status.Status === "Approved" && approval) succeed(w, approval);
    else if (status.Status !== "Pending") fail(w, status.Error ?? EXPIRED);
  }
}

/**
 * One `waitForPushApproval` in progress: the state its poller (ping-polling.ts) and its socket (status-socket.ts)
 * share, and the one way it settles, which stops both.
 */
import type { Socket } from "socket.io-client";
import type { ErrorBody, PushApproval } from "../shared/wire.js";
import type { Transport, WaitForPushApprovalOptions } from "./wait-options.js";
import { EXPIRED } from "./wire-answers.js";

type Timer = ReturnType<typeof setTimeout>;

export interface ApprovalWait {
  readonly options: WaitForPushApprovalOptions;
  /** The gateway's base URL, ending in "/" so that a path prefix is kept. */
  readonly base: URL;
  readonly firstPollMs: number;
  readonly maxPollMs: number;
  /** Removes everything the wait started; given to the signal as its "abort" listener. */
  readonly onAbort: () => void;
  readonly resolve: (approval: PushApproval) => void;
  readonly reject: (reason: unknown) => void;
  settled: boolean;
  socket: Socket | undefined;
  connected: boolean;
  transport: Transport | undefined;
  pollTimer: Timer | undefined;
  /** Aborts the L4 in flight (a long poll may be held for many seconds): the socket connected, or the wait ended. */
  pollAbort: AbortController | undefined;
  /** Seconds each L4 may be held (contract 2.11); 0 for plain polling. */
  readonly longPollSeconds: number;
  socketRetry: Timer | undefined;
  /** The interval before the next poll; it grows while polling and starts over once the socket connects. */
  pollDelayMs: number;
  /** Refused socket attempts in a row, for the backoff. */
  refusals: number;
  /** Whether the gateway ever knew this token. */
  known: boolean;
}

/** A wait not started yet; throws (a TypeError) when `options.url` is not a URL. */
export function createApprovalWait(
  options: WaitForPushApprovalOptions,
  resolve: (approval: PushApproval) => void,
  reject: (reason: unknown) => void,
): ApprovalWait {
  const base = new URL(options.url.endsWith("/") ? options.url : `${options.url}/`);
  const firstPollMs = options.pollIntervalMs ?? 1000;
  const w: ApprovalWait = {
    options,
    base,
    firstPollMs,
    maxPollMs: options.maxPollIntervalMs ?? 5000,
    onAbort: () => finish(w, () => reject(options.signal?.reason)),
    resolve,
    reject,
    settled: false,
    socket: undefined,
    connected: false,
    transport: undefined,
    pollTimer: undefined,
    pollAbort: undefined,
    longPollSeconds: Math.min(30, Math.max(0, Math.floor(options.longPollSeconds ?? 25))),
    socketRetry: undefined,
    pollDelayMs: firstPollMs,
    refusals: 0,
    known: false,
  };
  return w;
}

/** Settle the wait once: stop polling, retrying and listening, close the socket, then `settle`. */
export function finish(w: ApprovalWait, settle: () => void): void {
  if (w.settled) return;
  w.settled = true;
  clearTimeout(w.pollTimer);
  clearTimeout(w.socketRetry);
  w.pollAbort?.abort();
  w.options.signal?.removeEventListener("abort", w.onAbort);
  w.socket?.removeAllListeners();
  w.socket?.disconnect();
  settle();
}

/** Resolve the wait with the login (or, for a step-up or an own challenge, the validation). */
export const succeed = (w: ApprovalWait, approval: PushApproval): void => finish(w, () => w.resolve(approval));

/** Reject the wait with the contract's error body. */
export const fail = (w: ApprovalWait, body: ErrorBody): void => finish(w, () => w.reject(body));

/** Note how the wait now goes on, telling the caller only of a change. */
export function switchTransport(w: ApprovalWait, transport: Transport): void {
  if (w.transport === transport) return;
  w.transport = transport;
  w.options.onTransport?.(transport);
}

/** 1103 for a token seen valid before means its challenge was lost: the user's next step is a new login. */
export const outcomeOf = (w: ApprovalWait, body: ErrorBody): ErrorBody => (body.ErrorCode === 1103 && w.known ? EXPIRED : body);

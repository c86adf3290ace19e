/**
 * The options of `waitForPushApproval` (push-mfa.ts, which exports them): the public API of the browser client.
 * Browser-safe and DOM-free, like the rest of web/client/.
 */
import type { PushStatus } from "../shared/wire.js";
import type { IoFactory } from "../shared/socket-io.js";

/** How the client currently waits. */
export type Transport = "socket" | "polling";

export interface WaitForPushApprovalOptions {
  /** The gateway's base URL, e.g. `https://mfa.example.com` (a path prefix is kept). */
  url: string;
  apikey: string;
  /** The `SecondFactorAuthenticationToken` of the login (L2's answer). */
  token: string;
  /** Every `push:status` the socket delivers: Pending with its delivery state and number, then the outcome. */
  onStatus?: (status: PushStatus) => void;
  /** Told when the client starts waiting on the socket, or falls back to polling. */
  onTransport?: (transport: Transport) => void;
  /** Abort the wait: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Poll when the socket has not connected within this time. @default 3000 */
  socketTimeoutMs?: number;
  /** First polling interval; it grows by half on each poll up to `maxPollIntervalMs`. @default 1000 */
  pollIntervalMs?: number;
  /** @default 5000 */
  maxPollIntervalMs?: number;
  /**
   * While the socket cannot connect, each L4 is a long poll (contract 2.11): held by the gateway up to this many
   * seconds (1–30) until the outcome changes, so the answer comes as soon as the phone's. 0 polls the plain way,
   * every `pollIntervalMs` (for a gateway without long polling). @default 25
   */
  longPollSeconds?: number;
  /**
   * The Socket.IO client's `io` function. By default it is loaded from the gateway; pass socket.io-client's
   * where there is no browser (React Native, a Node script, tests).
   */
  io?: IoFactory;
}

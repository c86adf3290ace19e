/**
 * The browser client of contract 2.1, served by the gateway at `/client/push-mfa.js` (bundled from this file).
 *
 *   import { waitForPushApproval } from "https://mfa.example.com/client/push-mfa.js";
 *   const login = await waitForPushApproval({ url: "https://mfa.example.com", apikey, token, onStatus: show });
 *
 * It waits on the gateway's Socket.IO endpoint (websocket only, so no sticky sessions are ever needed) and, while
 * the socket cannot connect (blocked, refused, the node restarting), polls L4 with backoff instead; whichever
 * learns the outcome first settles the promise. No dependency: the Socket.IO client is loaded from the gateway
 * when needed, and a failure to load it just means polling. It uses no DOM type (only fetch, URL, timers), so
 * Node clients (tests, scripts) import it as it is.
 */
import type { Socket } from "socket.io-client";
import type { ErrorBody, LoginResponse, PushStatus } from "../shared/wire.js";
import { loadSocketIo, type IoFactory } from "../shared/socket-io.js";
import { reconnectDelayMs, retryAfterOf } from "./reconnect-backoff.js";

export type { ErrorBody, IoFactory, LoginResponse, PushStatus };

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
   * The Socket.IO client's `io` function. By default it is loaded from the gateway; pass socket.io-client's
   * where there is no browser (React Native, a Node script, tests).
   */
  io?: IoFactory;
}

type Timer = ReturnType<typeof setTimeout>;

/** Codes after which waiting longer cannot help (L4's answers, and a refused handshake). */
const FINAL_CODES = new Set([901, 920, 922, 1103, 1104, 1312]);

const EXPIRED: ErrorBody = {
  Description: "The second factor authentication token has expired, was cancelled by a newer login or a reset, or its login was already completed.",
  ErrorCode: 1104,
  Message: "Two factor authentication token has expired",
  IsProviderError: false,
  ProviderErrorResponse: null,
};

const isErrorBody = (v: unknown): v is ErrorBody =>
  typeof v === "object" && v !== null && typeof (v as { ErrorCode?: unknown }).ErrorCode === "number";
const isLogin = (v: unknown): v is LoginResponse =>
  typeof v === "object" && v !== null && typeof (v as { access_token?: unknown }).access_token === "string" && "Profile" in v;

/**
 * Wait for the phone's answer to a push login. Resolves with the login response (contract 1.2: `Profile`,
 * `access_token`, `refresh_token`, `expires_in`); rejects with the contract's error body: 1312 denied, 1104
 * expired or cancelled by a newer login, 1103 unknown token, 901/920/922 bad apikey.
 *
 * A refused socket is tried again after `reconnectDelayMs` (reconnect-backoff.ts): never before a 429's
 * `RetryAfter`, with jitter, so pages cut off together do not come back together. A token the gateway once knew
 * and later calls unknown (1103) lost its challenge (a Redis restarted without its data): that is reported as
 * expired (1104), what the user can act on, rather than as an invalid token.
 */
export function waitForPushApproval(o: WaitForPushApprovalOptions): Promise<LoginResponse> {
  return new Promise<LoginResponse>((resolve, reject) => {
    const base = new URL(o.url.endsWith("/") ? o.url : `${o.url}/`);
    const firstPoll = o.pollIntervalMs ?? 1000;
    const maxPoll = o.maxPollIntervalMs ?? 5000;
    let settled = false;
    let socket: Socket | undefined;
    let connected = false;
    let transport: Transport | undefined;
    let pollTimer: Timer | undefined;
    let socketRetry: Timer | undefined;
    let pollDelay = firstPoll;
    // Refused socket attempts in a row, for the backoff; and whether the gateway ever knew this token.
    let refusals = 0;
    let known = false;
    /** 1103 for a token seen valid before means its challenge was lost: the user's next step is a new login. */
    const outcome = (body: ErrorBody): ErrorBody => (body.ErrorCode === 1103 && known ? EXPIRED : body);

    const onAbort = () => finish(() => reject(o.signal?.reason));
    function finish(settle: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(pollTimer);
      clearTimeout(socketRetry);
      o.signal?.removeEventListener("abort", onAbort);
      socket?.removeAllListeners();
      socket?.disconnect();
      settle();
    }
    const succeed = (login: LoginResponse) => finish(() => resolve(login));
    const fail = (body: ErrorBody) => finish(() => reject(body));
    const use = (t: Transport) => {
      if (transport === t) return;
      transport = t;
      o.onTransport?.(t);
    };

    if (o.signal?.aborted) {
      reject(o.signal.reason);
      return;
    }
    o.signal?.addEventListener("abort", onAbort, { once: true });

    // Polling L4: only while the socket is not connected.
    const pingUrl = new URL("identity/v2/auth/login/2fa/push/ping", base);
    pingUrl.searchParams.set("apikey", o.apikey);
    pingUrl.searchParams.set("secondfactorauthenticationtoken", o.token);
    const schedulePoll = (ms: number) => {
      if (settled || connected || pollTimer !== undefined) return;
      pollTimer = setTimeout(() => void poll(), ms);
    };
    async function poll(): Promise<void> {
      pollTimer = undefined;
      if (settled || connected) return;
      use("polling");
      let next = pollDelay;
      pollDelay = Math.min(pollDelay * 1.5, maxPoll);
      try {
        const res = await fetch(pingUrl, { headers: { accept: "application/json" }, cache: "no-store" });
        const body: unknown = await res.json().catch(() => null);
        if (settled) return;
        if (res.ok && isLogin(body)) return succeed(body);
        if (isErrorBody(body) && body.ErrorCode === 1295) known = true;
        if (isErrorBody(body) && FINAL_CODES.has(body.ErrorCode)) return fail(outcome(body));
        if (res.status === 429) next = Math.max(next, Number(res.headers.get("retry-after") ?? 0) * 1000);
      } catch {
        // Network error (the node is restarting, the page is offline): keep trying.
      }
      // Jitter, so pages cut off together do not come back together.
      schedulePoll(next * (0.8 + Math.random() * 0.4));
    }

    const onStatus = (status: PushStatus) => {
      if (settled) return;
      known = true;
      try {
        o.onStatus?.(status);
      } finally {
        // Settled even when the caller's onStatus throws: the server closes the socket right after a final state,
        // and an unsettled client would take that close for a draining node and reconnect and poll.
        if (status.Status === "Approved" && status.Login) succeed(status.Login);
        else if (status.Status !== "Pending") fail(status.Error ?? EXPIRED);
      }
    };
    const retrySocket = (ms: number) => {
      clearTimeout(socketRetry);
      socketRetry = setTimeout(() => {
        if (!settled && socket && !socket.connected) socket.connect();
      }, ms);
    };

    async function startSocket(): Promise<void> {
      let io: IoFactory;
      try {
        io = o.io ?? (await loadSocketIo(base));
      } catch {
        return schedulePoll(0);
      }
      if (settled) return;
      const s = io(base.origin, {
        path: `${base.pathname}socket.io/`,
        transports: ["websocket"],
        auth: { apikey: o.apikey, secondfactorauthenticationtoken: o.token },
        reconnectionDelay: 1000,
        reconnectionDelayMax: 5000,
        timeout: 5000,
      });
      socket = s;
      s.on("connect", () => {
        connected = true;
        known = true;
        refusals = 0;
        clearTimeout(pollTimer);
        pollTimer = undefined;
        pollDelay = firstPoll;
        use("socket");
      });
      s.on("disconnect", (reason) => {
        connected = false;
        // The server's close after a final state never gets here: that state came first on the same socket and
        // settled the wait, which removed these listeners (no reconnect, no polling).
        if (settled) return;
        schedulePoll(firstPoll);
        // The server closed it before any final state (a node draining): Socket.IO does not reconnect by itself.
        if (reason === "io server disconnect") retrySocket(reconnectDelayMs(0));
      });
      s.on("connect_error", (err: Error & { data?: unknown }) => {
        if (settled) return;
        const body = err.data;
        if (isErrorBody(body)) {
          if (FINAL_CODES.has(body.ErrorCode)) return fail(outcome(body));
          // Refused for now (429, 950): Socket.IO gives up after a middleware refusal; try again later, not before
          // the server's RetryAfter, with jitter, and later after each refusal in a row. Meanwhile poll, but a node
          // that is shedding handshakes (429) is not polled before the same delay either.
          const delay = reconnectDelayMs(refusals++, { baseMs: 2000, retryAfterSeconds: retryAfterOf(body) });
          retrySocket(delay);
          return schedulePoll(body.ErrorCode === 429 ? delay : 0);
        }
        schedulePoll(0);
      });
      s.on("push:status", onStatus);
    }

    schedulePoll(o.socketTimeoutMs ?? 3000);
    void startSocket();
  });
}

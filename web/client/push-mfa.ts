/**
 * The browser client of contract 2.1, served by the gateway at `/client/push-mfa.js` (bundled from this file).
 *
 *   import { waitForPushApproval } from "https://mfa.example.com/client/push-mfa.js";
 *   const login = await waitForPushApproval({ url: "https://mfa.example.com", apikey, token, onStatus: show });
 *
 * It waits on the gateway's Socket.IO endpoint (websocket only, so no sticky sessions are ever needed) and, while
 * the socket cannot connect (blocked, refused, the node restarting), long-polls L4 instead (contract 2.11: each
 * request is held until the outcome changes, so the answer still comes at once); whichever
 * learns the outcome first settles the promise. No dependency: the Socket.IO client is loaded from the gateway
 * when needed, and a failure to load it just means polling. It uses no DOM type (only fetch, URL, timers), so
 * Node clients (tests, scripts) import it as it is.
 *
 * Its parts: the wait's shared state and how it settles (approval-wait.ts), polling L4 (ping-polling.ts), the
 * socket (status-socket.ts), what the gateway's answers mean (wire-answers.ts), the options (wait-options.ts).
 */
import type { ErrorBody, LoginResponse, PushApproval, PushStatus, ValidationResponse } from "../shared/wire.js";
import type { IoFactory } from "../shared/socket-io.js";
import { createApprovalWait } from "./approval-wait.js";
import { schedulePoll } from "./ping-polling.js";
import { startSocket } from "./status-socket.js";
import type { Transport, WaitForPushApprovalOptions } from "./wait-options.js";

export type { ErrorBody, IoFactory, LoginResponse, PushApproval, PushStatus, Transport, ValidationResponse, WaitForPushApprovalOptions };

/**
 * Wait for the phone's answer to a push login. Resolves with the login response (contract 1.2: `Profile`,
 * `access_token`, `refresh_token`, `expires_in`), or for a step-up (L12) or a backend's own challenge (2.12) with
 * its validation (`waitForPushApproval<ValidationResponse>(…)`: `SecondFactorValidationToken`, `ExpireIn`); rejects with the contract's error body: 1312 denied, 1104
 * expired or cancelled by a newer login, 1103 unknown token, 901/920/922 bad apikey.
 *
 * A refused socket is tried again after `reconnectDelayMs` (reconnect-backoff.ts): never before a 429's
 * `RetryAfter`, with jitter, so pages cut off together do not come back together. A token the gateway once knew
 * and later calls unknown (1103) lost its challenge (a Redis restarted without its data): that is reported as
 * expired (1104), what the user can act on, rather than as an invalid token.
 */
export function waitForPushApproval<T extends PushApproval = LoginResponse>(o: WaitForPushApprovalOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const w = createApprovalWait(o, (approval) => resolve(approval as T), reject);
    if (o.signal?.aborted) {
      reject(o.signal.reason);
      return;
    }
    o.signal?.addEventListener("abort", w.onAbort, { once: true });
    // Both start at once: polling begins only if the socket has not connected by then.
    schedulePoll(w, o.socketTimeoutMs ?? 3000);
    void startSocket(w);
  });
}

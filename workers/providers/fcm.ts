import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushMessage, PushProvider } from "../../src/delivery/push-provider.js";
import type { OutboundGuard } from "../../src/outbound/outbound-guard.js";
import { postForAnswer, type Answer } from "../../src/outbound/post-for-answer.js";
import { fcmFailure } from "./fcm-answer.js";
import { createFcmTokenSource, type TokenGrantAccount } from "./fcm-token.js";

/** The fields of the app's Firebase service-account JSON (`AndroidSettings.ServiceJson`) the provider uses. */
export interface FcmServiceAccount extends TokenGrantAccount {
  project_id: string;
}

export interface FcmProviderOptions {
  serviceAccount: FcmServiceAccount;
  /** FCM_ENDPOINT (the operator's, trusted): the base of the FCM HTTP v1 API. @default "https://fcm.googleapis.com" */
  endpoint?: string | undefined;
  /** The SSRF guard for the service account's token_uri (tenant-supplied, contract 2.3). */
  guard: Pick<OutboundGuard, "agentFor">;
  /** Whole `messages:send` request. @default 10000 */
  timeoutMs?: number;
  /** Fetch a new access token this long before the cached one expires. @default 300000 */
  refreshBeforeExpiryMs?: number;
  now?: () => number;
}

/** The FCM provider, plus the release of its kept-alive connections (when the app's settings change). */
export type FcmProvider = PushProvider & { close(): void };

/** The message of contract 2.5: data as given (every value a string), the notification, high priority, the TTL. */
function fcmBody(m: PushMessage): string {
  return JSON.stringify({
    message: {
      token: m.device.token,
      data: m.data,
      notification: { title: m.notification.title, body: m.notification.body },
      // The challenge's remaining life: FCM drops the push rather than deliver it after the deadline.
      android: { priority: "HIGH", ttl: `${Math.max(0, Math.floor(m.ttlSeconds))}s` },
    },
  });
}

/**
 * Android pushes through FCM HTTP v1 (contract 2.5) with the app's own service account: one access token per
 * provider, cached and shared by every job of the worker (keep one provider per app and credentials), one
 * `messages:send` per push, no retry of its own (BullMQ retries within the challenge's life), errors classified
 * by `fcmFailure`. Secrets (the private key, access tokens, device tokens) never reach an error message.
 */
export function createFcmProvider(o: FcmProviderOptions): FcmProvider {
  const now = o.now ?? Date.now;
  const tokens = createFcmTokenSource({
    serviceAccount: o.serviceAccount,
    guard: o.guard,
    ...(o.refreshBeforeExpiryMs !== undefined && { refreshBeforeExpiryMs: o.refreshBeforeExpiryMs }),
  });
  const timeoutMs = o.timeoutMs ?? 10_000;
  const base = (o.endpoint ?? "https://fcm.googleapis.com").replace(/\/+$/, "");
  // project_id comes from the tenant's file: encoded, it stays one path segment.
  const url = new URL(`${base}/v1/projects/${encodeURIComponent(o.serviceAccount.project_id)}/messages:send`);
  // Kept-alive connections to FCM for this app's sends (FCM_ENDPOINT is the operator's: no SSRF guard).
  const agent = url.protocol === "https:" ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });

  return {
    name: "fcm",
    async send(m, signal) {
      // The cached token when still fresh (no promise, no listener): the case of nearly every send.
      const accessToken = tokens.fresh() ?? (await tokens.accessToken(signal));
      let answer: Answer;
      try {
        answer = await postForAnswer(url, {
          headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json; charset=UTF-8" },
          body: fcmBody(m),
          signal,
          timeoutMs,
          agent,
          // A 200's body (the message's name) is not used: only error bodies are read.
          bodyFor: (status) => status !== 200,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new TransientDeliveryError(`FCM unreachable: ${e.code ?? e.name}`);
      }
      if (answer.status === 200) return;
      // A refused access token (revoked early, say) is not kept: the next send, after the fix, fetches another.
      if (answer.status === 401) tokens.forget();
      const retryAfter = answer.headers["retry-after"];
      throw fcmFailure(answer.status, answer.body, typeof retryAfter === "string" ? retryAfter : undefined, now());
    },
    close() {
      agent.destroy();
    },
  };
}

import webPush from "web-push";
import { deadline } from "../../src/delivery/deadline.js";
import { PermanentDeliveryError, RejectedMessageError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";
import type { VapidKey } from "../../src/crypto/vapid-key.js";
import { storedSubscription } from "../../src/devices/web-subscription.js";
import { InternalAddressError, type OutboundGuard } from "../../src/outbound/outbound-guard.js";
import { postForAnswer } from "../../src/outbound/post-for-answer.js";
import { webPushFailure } from "./web-push-answer.js";
import { webPushPayloadOf, webPushTopicOf } from "./web-push-payload.js";

export interface WebPushOptions {
  /** The deployment's VAPID key (src/crypto/vapid-key.ts), made on first use. */
  vapid: () => Promise<VapidKey>;
  /** The VAPID `sub` claim (VAPID_SUBJECT, see vapidSubjectOf). */
  subject: string;
  /** The SSRF guard for push endpoints: they come from browsers, so they are hosts a tenant's user chose (2.3). */
  guard: OutboundGuard;
  /** Whole-request timeout. @default 10000 */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * The Web Push provider (contract 2.7) for devices of type `web`: RFC 8030 with the payload encrypted as RFC 8291
 * `aes128gcm` under the subscription's keys and a VAPID (RFC 8292) ES256 token of the deployment's key. The
 * `web-push` library builds the request (encryption, VAPID header); the request itself goes out through the
 * outbound guard, so the endpoint's address is checked at connect time (DNS rebinding), with a timeout and no
 * redirects. Headers `TTL` (the challenge's remaining life), `Urgency: high`, `Topic` (per challenge).
 */
export function createWebPushProvider(o: WebPushOptions): PushProvider {
  const now = o.now ?? Date.now;
  return {
    name: "webpush",
    async send(m, signal) {
      const subscription = storedSubscription(m.device.token);
      const payload = webPushPayloadOf(m);
      if (!payload) throw new RejectedMessageError("the push data alone is over Web Push's 4096 bytes");
      const vapid = await o.vapid();
      let details: webPush.RequestDetails;
      try {
        details = webPush.generateRequestDetails(subscription, JSON.stringify(payload), {
          vapidDetails: { subject: o.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
          TTL: Math.max(0, Math.floor(m.ttlSeconds)),
          urgency: "high",
          topic: webPushTopicOf(m),
          contentEncoding: "aes128gcm",
        });
      } catch (err) {
        // Checked when saved; a stored subscription web-push cannot encrypt to is this device's fault all the same.
        throw new PermanentDeliveryError(`the push subscription cannot be used: ${(err as Error).message.slice(0, 120)}`);
      }
      const url = new URL(details.endpoint);
      if (url.protocol !== "https:") throw new PermanentDeliveryError("the push subscription's endpoint is not https");
      const headers = Object.fromEntries(
        Object.entries(details.headers)
          .filter(([k]) => k.toLowerCase() !== "content-length")
          .map(([k, v]) => [k, String(v)]),
      );
      let answer;
      const limit = deadline(signal, o.timeoutMs ?? 10_000);
      try {
        answer = await postForAnswer(url, {
          headers: { ...headers, "user-agent": "push-mfa-gateway" },
          body: details.body ?? Buffer.alloc(0),
          signal: limit.signal,
          agent: o.guard.agentFor(url),
          maxBodyBytes: 4096,
        });
      } catch (err) {
        // The endpoint came from the browser: one that leads to an internal address is this device's to fix.
        if (err instanceof InternalAddressError) throw new PermanentDeliveryError(`the push endpoint was refused: ${err.message}`);
        const e = err as NodeJS.ErrnoException;
        throw new TransientDeliveryError(`the push service is unreachable: ${e.code ?? e.name}`);
      } finally {
        limit.clear();
      }
      if (answer.status >= 200 && answer.status < 300) return;
      const retryAfter = answer.headers["retry-after"];
      throw webPushFailure(answer.status, typeof retryAfter === "string" ? retryAfter : undefined, now());
    },
  };
}

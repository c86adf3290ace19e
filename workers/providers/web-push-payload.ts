import { createHash } from "node:crypto";
import type { PushMessage } from "../../src/delivery/push-provider.js";

/**
 * The plaintext a Web Push message may carry: RFC 8030 push services must accept 4096 bytes of body, and an RFC 8291
 * `aes128gcm` body is that plaintext plus a 86-byte header (salt, record size, key id length, the 65-byte key), the
 * 1-byte padding delimiter and the 16-byte tag: 4096 - 86 - 1 - 16 = 3993 bytes.
 */
export const MAX_PLAINTEXT_BYTES = 4096 - 86 - 1 - 16;

/** What the authenticator's service worker decrypts (contract 2.7): the 1.4 data and the notification text. */
export interface WebPushPayload {
  data: PushMessage["data"];
  notification: { title: string; body: string };
}

const bytes = (p: WebPushPayload) => Buffer.byteLength(JSON.stringify(p), "utf8");

/**
 * The payload of one push, within MAX_PLAINTEXT_BYTES. The data is signed (2.9) and never cut; when data and text
 * do not fit (an app name and message of many multi-byte characters), the notification's body is shortened, then
 * its title, with an ellipsis: the app shows its own text from the data anyway. Null when the data alone does not
 * fit, which the send then reports as a rejected message.
 */
export function webPushPayloadOf(m: Pick<PushMessage, "data" | "notification">): WebPushPayload | null {
  let payload: WebPushPayload = { data: m.data, notification: { ...m.notification } };
  if (bytes(payload) <= MAX_PLAINTEXT_BYTES) return payload;
  for (const field of ["body", "title"] as const) {
    const chars = [...payload.notification[field]];
    // Drop characters from the end until it fits (at most a few hundred: the settings bound both texts).
    while (chars.length && bytes(payload) > MAX_PLAINTEXT_BYTES) {
      chars.pop();
      payload = { ...payload, notification: { ...payload.notification, [field]: chars.length ? `${chars.join("")}…` : "" } };
    }
    if (bytes(payload) <= MAX_PLAINTEXT_BYTES) return payload;
  }
  return null;
}

/**
 * The `Topic` of a challenge's pushes (RFC 8030 §5.4: at most 32 base64url characters): a push service keeps one
 * undelivered message per topic, so a resend replaces the one still waiting. The challenge id shortened through
 * SHA-256, so the push service learns no id of ours.
 */
export function webPushTopicOf(m: Pick<PushMessage, "challengeId" | "deliveryId">): string {
  return createHash("sha256").update(m.challengeId ?? m.deliveryId, "utf8").digest("base64url").slice(0, 32);
}

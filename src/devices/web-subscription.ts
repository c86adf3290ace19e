import { ECDH } from "node:crypto";
import { literalHostIsInternal } from "../outbound/outbound-guard.js";
import { NO_PUSH_TOKEN } from "./device-store.js";

/**
 * The push token of a `web` device (contract 2.7): the JSON of a browser `PushSubscription`
 * (`{ "endpoint", "keys": { "p256dh", "auth" } }`), or "none" for an app that only pulls and listens on the
 * device channel. Checked when it is saved (L6, the push-token update of 2.8): a subscription the Web Push
 * provider could not encrypt to, or an endpoint the SSRF rule refuses, is refused then rather than at every push.
 */
export interface WebSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** Endpoints longer than this are refused (browsers' push services answer a few hundred characters). */
export const MAX_ENDPOINT_LENGTH = 2048;
/** An uncompressed P-256 point: 0x04, x, y. */
const P256DH_BYTES = 65;
/** RFC 8291's authentication secret. */
const AUTH_BYTES = 16;

export type SubscriptionCheck = { ok: true; value: WebSubscription } | { ok: false; problem: string };

const problem = (text: string): SubscriptionCheck => ({ ok: false, problem: text });

/** The bytes of unpadded (or padded) base64url text, or null when it is not exactly that. */
function base64UrlBytes(text: unknown): Buffer | null {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]+={0,2}$/.test(text)) return null;
  const bare = text.replace(/=+$/, "");
  const bytes = Buffer.from(bare, "base64url");
  // Buffer ignores what it cannot read: the text must be the canonical encoding of the bytes it gave.
  return bytes.toString("base64url") === bare ? bytes : null;
}

/** True when `bytes` is an uncompressed point on P-256 (OpenSSL refuses any other). */
function isP256Point(bytes: Buffer): boolean {
  if (bytes.length !== P256DH_BYTES || bytes[0] !== 0x04) return false;
  try {
    ECDH.convertKey(bytes, "prime256v1", undefined, undefined, "uncompressed");
    return true;
  } catch {
    return false;
  }
}

/**
 * Read a `web` device's token as a push subscription. `allowPrivate` is ALLOW_PRIVATE_WEBHOOKS: without it an
 * endpoint whose host is a local name or a non-global address is refused (the send checks again at connect time).
 * The value kept is the subscription reduced to what delivery needs, in one key order, so the same subscription
 * enrolled twice is the same token (L6 replaces the earlier device).
 */
export function parseWebSubscription(token: string, o: { allowPrivate: boolean }): SubscriptionCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    return problem(`must be "none" or the JSON of a PushSubscription: { "endpoint", "keys": { "p256dh", "auth" } }`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return problem("must be a PushSubscription object");
  const { endpoint, keys } = parsed as { endpoint?: unknown; keys?: unknown };
  if (typeof endpoint !== "string" || endpoint.length > MAX_ENDPOINT_LENGTH || !URL.canParse(endpoint)) {
    return problem(`endpoint must be a URL of at most ${MAX_ENDPOINT_LENGTH} characters`);
  }
  const url = new URL(endpoint);
  if (url.protocol !== "https:") return problem("endpoint must be an https URL");
  if (url.username || url.password) return problem("endpoint must not carry credentials");
  if (!o.allowPrivate && literalHostIsInternal(url)) return problem("endpoint must be on a public host (not loopback, private or link-local)");
  if (typeof keys !== "object" || keys === null) return problem("keys must be an object with p256dh and auth");
  const { p256dh, auth } = keys as { p256dh?: unknown; auth?: unknown };
  const point = base64UrlBytes(p256dh);
  if (!point || !isP256Point(point)) return problem("keys.p256dh must be base64url of an uncompressed P-256 point (65 bytes)");
  const secret = base64UrlBytes(auth);
  if (!secret || secret.length !== AUTH_BYTES) return problem("keys.auth must be base64url of 16 bytes");
  return { ok: true, value: { endpoint, keys: { p256dh: point.toString("base64url"), auth: secret.toString("base64url") } } };
}

/**
 * A device token as it is kept for a device of this type: a `web` device's subscription normalised (or "none"),
 * any other type's unchanged. Throws nothing: `{ ok: false }` says what is wrong, for a 965 naming `deviceToken`.
 */
export function deviceTokenFor(type: string, token: string, o: { allowPrivate: boolean }): { ok: true; token: string } | { ok: false; problem: string } {
  if (type !== "web" || token === NO_PUSH_TOKEN) return { ok: true, token };
  const checked = parseWebSubscription(token, o);
  return checked.ok ? { ok: true, token: JSON.stringify(checked.value) } : checked;
}

/** The subscription of a `web` device's stored token, for the provider (validated when it was saved). */
export function storedSubscription(token: string): WebSubscription {
  return JSON.parse(token) as WebSubscription;
}

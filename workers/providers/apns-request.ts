import { createHash } from "node:crypto";
import { ConfigDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushMessage } from "../../src/delivery/push-provider.js";

/** APNs refuses a regular remote notification's payload over this many bytes (413 PayloadTooLarge). */
export const APNS_MAX_PAYLOAD_BYTES = 4096;
/** APNs refuses a longer `apns-collapse-id` (400 BadCollapseId). */
const MAX_COLLAPSE_ID_BYTES = 64;
const ELLIPSIS = "…";

export interface ApnsRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The challenge a delivery id (`send.<challengeId>.<deviceId>.<sendNo>`) belongs to: every send of one challenge
 * collapses into one notification on the phone (a resend or a retry replaces it rather than stacking). An id of
 * another form is used whole; one longer than APNs allows is replaced by its hash.
 */
export function collapseIdOf(deliveryId: string): string {
  const id = /^send\.(.+)\.[^.]+\.[^.]+$/.exec(deliveryId)?.[1] ?? deliveryId;
  return Buffer.byteLength(id) <= MAX_COLLAPSE_ID_BYTES ? id : createHash("sha256").update(id).digest("base64url");
}

/**
 * The HTTP/2 request of contract 2.6 for one push: `POST /3/device/<token>`, the `apns-*` headers (expiration =
 * the challenge's deadline, so APNs drops the push rather than deliver it late) and the body
 * `{ aps: { alert, sound }, …data }`, the data keys beside `aps` where iOS apps read them.
 *
 * Over APNs's 4096 bytes, the notification's text is shortened (body first, then title, ending in "…"): it is
 * only what the lock screen shows, while the data (signed, contract 2.9) must arrive whole. If the data alone does
 * not fit, no push of this shape can be sent: a ConfigDeliveryError says so with the sizes.
 */
export function apnsRequestFor(m: PushMessage, topic: string, nowMs: number): ApnsRequest {
  const headers = {
    "apns-topic": topic,
    "apns-push-type": "alert",
    "apns-priority": "10",
    "apns-expiration": String(Math.floor(nowMs / 1000) + Math.max(0, Math.floor(m.ttlSeconds))),
    "apns-collapse-id": collapseIdOf(m.deliveryId),
  };
  // The token goes into the path encoded, so a malformed one cannot change the request's target.
  return { path: `/3/device/${encodeURIComponent(m.device.token)}`, headers, body: fittedBody(m) };
}

function bodyOf(data: Record<string, string>, title: string, body: string): string {
  const payload: Record<string, unknown> = { aps: { alert: { title, body }, sound: "default" } };
  for (const [k, v] of Object.entries(data)) if (k !== "aps") payload[k] = v;
  return JSON.stringify(payload);
}

const fits = (json: string) => Buffer.byteLength(json) <= APNS_MAX_PAYLOAD_BYTES;

/** The longest prefix of `text` (whole code points, plus "…") for which `render` still fits. */
function shortened(text: string, render: (t: string) => string): string | undefined {
  const points = Array.from(text);
  let lo = 0;
  let hi = points.length - 1;
  let best: string | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = points.slice(0, mid).join("") + ELLIPSIS;
    if (fits(render(candidate))) {
      best = candidate;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

function fittedBody(m: PushMessage): string {
  const data: Record<string, string> = { ...m.data };
  const { title, body } = m.notification;
  const whole = bodyOf(data, title, body);
  if (fits(whole)) return whole;
  const shortBody = shortened(body, (b) => bodyOf(data, title, b));
  if (shortBody !== undefined) return bodyOf(data, title, shortBody);
  const shortTitle = shortened(title, (t) => bodyOf(data, t, ""));
  if (shortTitle !== undefined) return bodyOf(data, shortTitle, "");
  const bare = Buffer.byteLength(bodyOf(data, "", ""));
  throw new ConfigDeliveryError(
    `the push data alone is ${bare} bytes with an empty notification, over APNs's ${APNS_MAX_PAYLOAD_BYTES}-byte payload limit`,
  );
}

import { ConfigDeliveryError, PermanentDeliveryError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import { parseRetryAfter } from "../../src/delivery/retry-after.js";
import type { ApnsAnswer } from "./apns-session.js";

/** The device's token is dead or not this app's: the device is marked inactive. */
const DEVICE_GONE = new Set(["BadDeviceToken", "DeviceTokenNotForTopic", "MissingDeviceToken"]);
/** The app's BundleId is not one its credentials may push to. */
const TOPIC_WRONG = new Set(["BadTopic", "MissingTopic", "TopicDisallowed"]);
/** The provider token is over an hour old by Apple's clock: sign a new one and try once more. */
export const EXPIRED_PROVIDER_TOKEN = "ExpiredProviderToken";

/** APNs's `reason`, kept to the characters its reasons use (nothing else of the answer reaches a log). */
export function reasonOf(a: ApnsAnswer): string {
  try {
    const reason = (JSON.parse(a.body) as { reason?: unknown }).reason;
    if (typeof reason === "string" && /^[A-Za-z0-9]{1,64}$/.test(reason)) return reason;
  } catch {
    /* not JSON: named by the status alone */
  }
  return "no reason given";
}

/**
 * What an APNs answer means for delivery (contract 2.6), or null when the push was accepted:
 *
 * | answer                                                        | meaning                                        |
 * |---------------------------------------------------------------|------------------------------------------------|
 * | 200                                                           | sent                                           |
 * | 410 (Unregistered, ExpiredToken)                              | permanent: the app left the device             |
 * | 400 BadDeviceToken, DeviceTokenNotForTopic, MissingDeviceToken | permanent: the token is not this app's         |
 * | 403 (InvalidProviderToken, BadCertificate, …)                 | config: the app's APNs credentials (1298)      |
 * | 400 BadTopic, MissingTopic, TopicDisallowed                   | config: BundleId does not match the credentials |
 * | 413 PayloadTooLarge                                           | config: the gateway's payload outgrew APNs     |
 * | 429, 5xx                                                      | transient, after Retry-After when given        |
 * | any other 4xx (BadCollapseId, BadPriority, BadPath…)          | config: APNs refuses the request as the gateway builds it; every push would fail alike, so it is reported rather than retried or blamed on a device |
 *
 * ExpiredProviderToken is a 403 like the others here; the provider renews its token and tries once before it
 * comes to this.
 */
export function deliveryErrorOf(a: ApnsAnswer, nowMs: number): Error | null {
  if (a.status === 200) return null;
  const reason = reasonOf(a);
  const what = `APNs answered ${a.status} ${reason}`;
  if (a.status === 429 || a.status >= 500) {
    const header = a.headers["retry-after"];
    return new TransientDeliveryError(what, { retryAfterMs: parseRetryAfter(Array.isArray(header) ? header[0] : header, nowMs) });
  }
  if (a.status === 410 || (a.status === 400 && DEVICE_GONE.has(reason))) return new PermanentDeliveryError(what);
  if (a.status === 403) return new ConfigDeliveryError(`${what}: check the app's APNs certificate or key (ApnsKeyId, ApnsTeamId) and Environment`);
  if (TOPIC_WRONG.has(reason)) return new ConfigDeliveryError(`${what}: BundleId is not an app these APNs credentials may push to`);
  if (a.status === 413) return new ConfigDeliveryError(`${what}: the push payload is over APNs's limit`);
  return new ConfigDeliveryError(`${what}: APNs refuses the request as the gateway builds it`);
}

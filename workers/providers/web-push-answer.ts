import { PermanentDeliveryError, RejectedMessageError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import { parseRetryAfter } from "../../src/delivery/retry-after.js";

/**
 * What a push service's answer other than 2xx means (contract 2.7, RFC 8030 §5-8), as a delivery error. The
 * message carries the status only: a push service's text may quote the endpoint, which identifies the browser.
 *
 * | answer                              | error     | why                                                              |
 * |-------------------------------------|-----------|------------------------------------------------------------------|
 * | 404, 410                            | permanent | the subscription expired or was unsubscribed: the device inactive |
 * | 429, 5xx (Retry-After honoured)     | transient | the push service is throttling or down                          |
 * | 408                                 | transient | it gave up waiting for our request                               |
 * | 400, 413                            | rejected  | our request is malformed or too large: a dead letter, the device stays |
 * | 401, 403                            | rejected  | our VAPID token was refused (a subscription made under another key, or a bad subject): a dead letter naming it |
 * | 3xx, any other 4xx                  | rejected  | redirects are not followed (SSRF); nothing else to try           |
 */
export function webPushFailure(status: number, retryAfter: string | undefined, now: number): Error {
  const what = `the push service answered ${status}`;
  if (status === 404 || status === 410) return new PermanentDeliveryError(`${what}: the subscription is gone`);
  if (status === 429 || status === 408 || status >= 500) return new TransientDeliveryError(what, { retryAfterMs: parseRetryAfter(retryAfter, now) });
  if (status === 413) return new RejectedMessageError(`${what}: the message is too large`);
  if (status === 401 || status === 403) {
    return new RejectedMessageError(`${what}: it refused the VAPID token (was the subscription made with this deployment's VAPID key?)`);
  }
  if (status >= 300 && status < 400) return new RejectedMessageError(`${what}: redirects are not followed`);
  return new RejectedMessageError(`${what}: it refused the message`);
}

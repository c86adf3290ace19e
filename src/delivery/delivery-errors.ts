/**
 * How a provider says a send failed, so the send processor knows whether to retry, drop the device or report the
 * app's configuration (contract error 1298). Every provider throws these, whichever way it sends.
 */

/** Worth retrying with backoff: throttling, 5xx, network errors, timeouts. */
export class TransientDeliveryError extends Error {
  override name = "TransientDeliveryError";
  /**
   * How long the service asked us to wait (its `Retry-After`), in milliseconds, when it said so: the retry then
   * comes no sooner, and not at all when that would be after the challenge's deadline.
   */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryAfterMs?: number | undefined } = {}) {
    super(message);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The device cannot receive (disabled endpoint, bad token, webhook 4xx): fail now and mark the device inactive. */
export class PermanentDeliveryError extends Error {
  override name = "PermanentDeliveryError";
}

/** The app's provider settings are wrong (bad credentials, wrong PlatformARN): every send fails until they change. */
export class ConfigDeliveryError extends Error {
  override name = "ConfigDeliveryError";
}

/**
 * The service refused this message, not the device nor the app's settings (Web Push 400 or 413: malformed or too
 * large; a refused VAPID token): fail now, as a dead letter with the reason, and leave the device active.
 */
export class RejectedMessageError extends Error {
  override name = "RejectedMessageError";
}

/**
 * How a provider says a send failed, so the send processor knows whether to retry, drop the device or report the
 * app's configuration (contract error 1298). Every provider throws these, whichever way it sends.
 */

/** Worth retrying with backoff: throttling, 5xx, network errors, timeouts. */
export class TransientDeliveryError extends Error {
  override name = "TransientDeliveryError";
  /** The wait the service asked for (its Retry-After), when it gave one: a retry should not come sooner. */
  readonly retryAfterMs?: number;

  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
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

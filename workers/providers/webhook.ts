import { InternalAddressError, type OutboundGuard } from "../../src/outbound/outbound-guard.js";
import { postOnce } from "../../src/outbound/post-once.js";
import { deadline } from "../../src/delivery/deadline.js";
import { ConfigDeliveryError, PermanentDeliveryError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";
import { signWebhook } from "../../src/delivery/webhook-signature.js";

export interface WebhookOptions {
  url: string;
  signingSecret: string;
  /** The SSRF guard (ALLOW_PRIVATE_WEBHOOKS decides whether it lets private addresses through). */
  guard: OutboundGuard;
  /** Whole-request timeout. @default 5000 */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * The Native provider: POST the push to the customer's own messaging service (contract 2.2), signed, with the
 * delivery id as idempotency key so a repeated send can be dropped by the receiver.
 *
 * | answer                              | meaning                                                          |
 * |-------------------------------------|------------------------------------------------------------------|
 * | 2xx                                 | delivered                                                        |
 * | 408, 429, 5xx, network, timeout     | transient: retried with backoff                                  |
 * | 401, 403                            | config: the receiver refuses our signature (wrong SigningSecret) |
 * | 3xx                                 | config: redirects are not followed (SSRF); set the final URL     |
 * | any other 4xx                       | permanent for this device                                        |
 * | host not global, or resolves so     | config (SSRF guard, unless ALLOW_PRIVATE_WEBHOOKS)               |
 */
export function createWebhookProvider(o: WebhookOptions): PushProvider {
  const now = o.now ?? Date.now;
  return {
    name: "webhook",
    async send(m, signal) {
      if (!o.url) throw new ConfigDeliveryError("no webhook URL is configured");
      let url: URL;
      try {
        url = new URL(o.url);
      } catch {
        throw new ConfigDeliveryError("the webhook URL is not a URL");
      }
      const body = JSON.stringify({
        id: m.deliveryId,
        device: { token: m.device.token, type: m.device.type },
        data: m.data,
        notification: m.notification,
        ttlSeconds: m.ttlSeconds,
      });
      const headers = {
        "content-type": "application/json",
        "user-agent": "push-mfa-gateway",
        "idempotency-key": m.deliveryId,
        "x-pushmfa-signature": signWebhook(o.signingSecret, body, Math.floor(now() / 1000)),
      };
      let status: number;
      const limit = deadline(signal, o.timeoutMs ?? 5000);
      try {
        status = await postOnce(url, { headers, body, signal: limit.signal, agent: o.guard.agentFor(url) });
      } catch (err) {
        if (err instanceof InternalAddressError) throw new ConfigDeliveryError(`webhook refused: ${err.message}`);
        const e = err as NodeJS.ErrnoException;
        throw new TransientDeliveryError(`webhook unreachable: ${e.code ?? e.name}`);
      } finally {
        limit.clear();
      }
      if (status >= 200 && status < 300) return;
      if (status === 408 || status === 429 || status >= 500) throw new TransientDeliveryError(`webhook answered ${status}`);
      if (status === 401 || status === 403) throw new ConfigDeliveryError(`webhook refused our signature (${status}); check the signing secret`);
      if (status >= 300 && status < 400) throw new ConfigDeliveryError(`webhook answered a redirect (${status}); configure the final URL`);
      throw new PermanentDeliveryError(`webhook answered ${status}`);
    },
  };
}

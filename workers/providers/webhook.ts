import { createHmac } from "node:crypto";
import { assertPublicUrl } from "../../src/push/ssrf.js";
import {
  ConfigDeliveryError,
  PermanentDeliveryError,
  TransientDeliveryError,
  type PushProvider,
} from "./provider.js";

export interface WebhookOptions {
  url: string;
  signingSecret: string;
  /** Let the URL point at loopback or private addresses (ALLOW_PRIVATE_WEBHOOKS). */
  allowPrivate: boolean;
  /** @default 5000 */
  timeoutMs?: number;
  now?: () => number;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`: contract 2.2, Stripe-style. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * The Native provider: POST the push to the customer's own messaging service (contract 2.2), signed, with the
 * delivery id as idempotency key so a repeated send can be dropped by the receiver.
 * 2xx delivered; 408, 429, 5xx and network errors retry; any other 4xx is permanent for that device.
 */
export function createWebhookProvider(o: WebhookOptions): PushProvider {
  const now = o.now ?? Date.now;
  return {
    name: "webhook",
    async send(m, signal) {
      if (!o.url) throw new ConfigDeliveryError("no webhook URL is configured");
      if (!o.allowPrivate) {
        try {
          await assertPublicUrl(o.url);
        } catch (err) {
          throw new ConfigDeliveryError(`webhook refused: ${(err as Error).message}`);
        }
      }
      const body = JSON.stringify({
        id: m.deliveryId,
        device: { token: m.device.token, type: m.device.type },
        data: m.data,
        notification: m.notification,
        ttlSeconds: m.ttlSeconds,
      });
      let res: Response;
      try {
        res = await fetch(o.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "push-mfa-gateway",
            "idempotency-key": m.deliveryId,
            "x-pushmfa-signature": signWebhook(o.signingSecret, body, Math.floor(now() / 1000)),
          },
          body,
          redirect: "error",
          signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs ?? 5000)]),
        });
        await res.body?.cancel();
      } catch (err) {
        throw new TransientDeliveryError(`webhook unreachable: ${(err as Error).name}`);
      }
      if (res.ok) return;
      if (res.status === 408 || res.status === 429 || res.status >= 500) throw new TransientDeliveryError(`webhook answered ${res.status}`);
      if (res.status === 401 || res.status === 403) throw new ConfigDeliveryError(`webhook refused our signature (${res.status})`);
      throw new PermanentDeliveryError(`webhook answered ${res.status}`);
    },
  };
}

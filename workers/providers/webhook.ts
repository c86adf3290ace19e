import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { InternalAddressError, isInternalUrl, publicOnlyLookup, type Resolver } from "../../src/push/ssrf.js";
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
  /** Whole-request timeout. @default 5000 */
  timeoutMs?: number;
  now?: () => number;
  /** Name resolution for the SSRF guard; the system resolver unless a test passes its own. */
  resolve?: Resolver;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`: contract 2.2, Stripe-style. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
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
 * | URL internal, or resolves inside    | config (SSRF guard, unless ALLOW_PRIVATE_WEBHOOKS)               |
 */
export function createWebhookProvider(o: WebhookOptions): PushProvider {
  const now = o.now ?? Date.now;
  const lookup = o.allowPrivate ? undefined : publicOnlyLookup(o.resolve);
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
      if (!o.allowPrivate && isInternalUrl(o.url)) throw new ConfigDeliveryError("webhook refused: the URL points at an internal address");
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
      try {
        status = await post(url, headers, body, AbortSignal.any([signal, AbortSignal.timeout(o.timeoutMs ?? 5000)]), lookup);
      } catch (err) {
        if (err instanceof InternalAddressError) throw new ConfigDeliveryError(`webhook refused: ${err.message}`);
        const e = err as NodeJS.ErrnoException;
        throw new TransientDeliveryError(`webhook unreachable: ${e.code ?? e.name}`);
      }
      if (status >= 200 && status < 300) return;
      if (status === 408 || status === 429 || status >= 500) throw new TransientDeliveryError(`webhook answered ${status}`);
      if (status === 401 || status === 403) throw new ConfigDeliveryError(`webhook refused our signature (${status}); check the signing secret`);
      if (status >= 300 && status < 400) throw new ConfigDeliveryError(`webhook answered a redirect (${status}); configure the final URL`);
      throw new PermanentDeliveryError(`webhook answered ${status}`);
    },
  };
}

/**
 * One POST with node:http(s) rather than fetch: fetch cannot take a `lookup`, which the SSRF guard needs to check
 * the address actually connected to. Resolves with the status once the answer's headers arrive; the body is
 * drained and ignored.
 */
function post(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal, lookup: ReturnType<typeof publicOnlyLookup> | undefined): Promise<number> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      signal,
      ...(lookup && { lookup }),
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(body);
  });
}

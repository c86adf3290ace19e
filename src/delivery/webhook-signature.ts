import { createHmac } from "node:crypto";

/**
 * The signature of everything the gateway POSTs to a customer (pushes through the Native webhook, audit events),
 * one scheme for both, so a receiver checks them with one function: it recomputes the HMAC with its copy of the
 * secret and may refuse an old `t` as a replay.
 */

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`: contract 2.2, Stripe-style. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${v1}`;
}

import { z } from "zod";
import type { Keys } from "../keys.js";
import type { Logger } from "../logger.js";
import { fieldsOf, type RedisClient } from "../redis.js";
import { InternalAddressError, type OutboundGuard } from "../outbound/outbound-guard.js";
import { postOnce } from "../outbound/post-once.js";
import { signWebhook } from "../delivery/webhook-signature.js";

/** What happened, per app: the trail an operator reads to see why a user was locked or a push was refused. */
export const auditEventTypeSchema = z.enum([
  "login.started",
  "login.refused",
  "push.sent",
  "push.failed",
  "challenge.approved",
  "challenge.denied",
  "challenge.fraud_reported",
  "challenge.validated",
  "challenge.expired",
  "challenge.cancelled",
  "device.enrolled",
  "device.removed",
  "device.token_updated",
  "settings.changed",
  "user.locked",
  "user.unlocked",
  "dead_letter.retried",
  "console.signed_in",
  "backup_codes.issued",
  "backup_codes.reset",
  "backup_code.used",
]);
export type AuditEventType = z.infer<typeof auditEventTypeSchema>;

/** An event: ids and reasons only, never a token, handle, password or secret. */
export const auditEventSchema = z.object({
  type: auditEventTypeSchema,
  uid: z.string().optional(),
  challenge: z.string().optional(),
  device: z.string().optional(),
  /** A short reason or detail ("wrong-number", "rate-limited", "webhook answered 410"). */
  detail: z.string().optional(),
  /** Who did it, for an admin's action: the console session's admin ("app secret" for the apikey + apisecret sign-in). */
  by: z.string().optional(),
  /** "1" on the events of an admin's test push. */
  test: z.literal("1").optional(),
  /** The device's name as enrolled, on push events (the device may be gone by the time the trail is read). */
  deviceName: z.string().optional(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

/** An event as the audit list answers it: its stream id and time added. */
export const auditEntrySchema = auditEventSchema.extend({ id: z.string(), at: z.string() });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export interface AuditLog {
  record(appId: string, event: AuditEvent): Promise<void>;
  /** Newest first; `before` is an entry id to page back from. */
  list(appId: string, options?: { count?: number; before?: string }): Promise<AuditEntry[]>;
}

export interface AuditOptions {
  /** Entries kept per app (approximate trimming, as Redis streams do it cheaply). @default 10000 */
  maxLength: number;
  /**
   * Optional: every event is also POSTed here, signed like contract 2.2, through the SSRF guard (contract 2.3: the
   * audit webhook is held to global unicast addresses too, unless ALLOW_PRIVATE_WEBHOOKS).
   */
  webhook?: { url: string; secret: string; guard: OutboundGuard } | undefined;
}

/**
 * Audit events per app in a Redis Stream of bounded length, readable by the admin endpoint and the console, and
 * optionally forwarded to an audit webhook. Recording never fails the request that caused it.
 */
export function createAuditLog(redis: RedisClient, keys: Keys, logger: Logger, o: AuditOptions): AuditLog {
  return {
    async record(appId, event) {
      const fields = Object.entries(event).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
      try {
        const id = await redis.xadd(keys.audit(appId), "MAXLEN", "~", o.maxLength, "*", ...fields);
        if (o.webhook && id) void forward(o.webhook, { id, at: new Date(Number(id.split("-")[0])).toISOString(), app: appId, ...event });
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message }, type: event.type }, "audit event not recorded");
      }
    },
    async list(appId, options = {}) {
      const count = Math.min(Math.max(options.count ?? 50, 1), 500);
      const end = options.before ? `(${options.before}` : "+";
      const rows = await redis.xrevrange(keys.audit(appId), end, "-", "COUNT", count);
      return rows.map(([id, flat]) => {
        const entry = { id, at: new Date(Number(id.split("-")[0])).toISOString(), ...fieldsOf(flat) };
        return entry as unknown as AuditEntry;
      });
    },
  };

  async function forward(hook: { url: string; secret: string; guard: OutboundGuard }, payload: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify(payload);
    try {
      const url = new URL(hook.url);
      await postOnce(url, {
        headers: { "content-type": "application/json", "x-pushmfa-signature": signWebhook(hook.secret, body, Math.floor(Date.now() / 1000)), "idempotency-key": String(payload.id) },
        body,
        signal: AbortSignal.timeout(5000),
        agent: hook.guard.agentFor(url),
      });
    } catch (err) {
      // Neither the URL nor the address: the URL may carry a token, and the reason says enough.
      if (err instanceof InternalAddressError) logger.warn({ reason: err.message }, "audit webhook refused (SSRF guard; ALLOW_PRIVATE_WEBHOOKS lets private addresses through)");
      else logger.warn({ err: { name: (err as Error).name, code: (err as NodeJS.ErrnoException).code } }, "audit webhook unreachable");
    }
  }
}

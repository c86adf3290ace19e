import { Router, type Request } from "express";
import { z } from "zod";
import type { Services } from "../../services.js";
import { permissionsOf, requireAdmin } from "../../console/admin-access.js";
import { readLines, type LineFilter } from "../../audit/audit-lines.js";
import { LINE_OUTCOMES } from "../../audit/audit-text.js";
import type { AuditEventType } from "../../audit/audit-log.js";
import { toCsv } from "../../audit/csv.js";
import { readStats, STATS_RANGES } from "../../stats/read-stats.js";
import { parseBody, queryParam } from "../request-input.js";

export const AUDIT_LINES_PATH = "/v2/manage/push/audit/lines";
export const AUDIT_EXPORT_PATH = "/v2/manage/push/audit/export";
export const STATS_PATH = "/v2/manage/push/stats";
export const CONSOLE_SESSION_PATH = "/v2/manage/push/console-session";

const EVENT_TYPES = [
  "login.started", "login.refused", "push.sent", "push.failed", "challenge.approved", "challenge.denied", "challenge.fraud_reported",
  "challenge.expired", "challenge.cancelled", "device.enrolled", "device.removed", "device.token_updated", "settings.changed", "user.locked", "user.unlocked",
  "backup_codes.issued", "backup_codes.reset", "backup_code.used",
] as const satisfies readonly AuditEventType[];

/** A time as ISO-8601 or epoch milliseconds. */
const time = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    const ms = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms)) ctx.addIssue({ code: "custom", message: "must be an ISO-8601 time or epoch milliseconds" });
    return ms;
  });

const filterQuery = z.object({
  user: z.string().trim().min(1).max(254).regex(/^[^\p{Cc}]+$/u, "must not contain control characters").optional(),
  type: z.enum(EVENT_TYPES).optional(),
  outcome: z.enum(LINE_OUTCOMES).optional(),
  from: time.optional(),
  to: time.optional(),
  before: z.string().regex(/^\d{1,15}-\d{1,10}$/, "must be a cursor from an earlier page").optional(),
  count: z.coerce.number().int().min(1).max(200).optional(),
});

const FILTER_NAMES = ["user", "type", "outcome", "from", "to", "before", "count"] as const;

/** Lines kept by one CSV export at most. */
const EXPORT_MAX_LINES = 5000;

/** (ext) The console's audit (readable lines, CSV export), its dashboard, and what its session may do. */
export function consoleAuditRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });

  /** The filter of the query; a user given by email, username or uid (one matching nobody matches no line). */
  async function filterOf(req: Request, appId: string): Promise<{ filter: LineFilter; q: z.infer<typeof filterQuery>; nobody: boolean }> {
    const q = parseBody(filterQuery, Object.fromEntries(FILTER_NAMES.map((n) => [n, queryParam(req, n)])), 908);
    let uid: string | undefined;
    if (q.user) {
      uid = /^[0-9a-f]{32}$/i.test(q.user) ? q.user.toLowerCase() : ((await s.accounts.findUid(appId, "email", q.user)) ?? (await s.accounts.findUid(appId, "username", q.user)) ?? undefined);
    }
    return { filter: { uid, type: q.type, outcome: q.outcome, from: q.from, to: q.to }, q, nobody: !!q.user && !uid };
  }

  r.get(AUDIT_LINES_PATH, async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    const { filter, q, nobody } = await filterOf(req, app.apiKey);
    if (nobody) return void res.json({ Data: [], Next: null });
    const page = await readLines(s, app.apiKey, filter, { count: q.count ?? 50, before: q.before });
    res.json({ Data: page.lines, Next: page.next });
  });

  r.get(AUDIT_EXPORT_PATH, async (req, res) => {
    const { app } = await requireAdmin(s, req, "audit.export");
    const { filter, q, nobody } = await filterOf(req, app.apiKey);
    const page = nobody ? { lines: [] } : await readLines(s, app.apiKey, filter, { count: EXPORT_MAX_LINES, before: q.before, maxScan: 50_000 });
    const rows = page.lines.map((l) => [l.Date, l.User ?? "", l.Uid ?? "", l.Title, l.Outcome ?? "", l.IsTest ? "yes" : "no", l.By ?? "", l.Challenge ?? "", l.Events.map((e) => e.Text).join("; ")]);
    res.setHeader("Content-Type", "text/csv; charset=utf-8");
    res.setHeader("Content-Disposition", `attachment; filename="push-audit-${new Date(s.now()).toISOString().slice(0, 10)}.csv"`);
    res.send(toCsv(["Date", "User", "Uid", "Event", "Outcome", "Test", "By", "Challenge", "Details"], rows));
  });

  r.get(STATS_PATH, async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    const q = parseBody(z.object({ range: z.enum(STATS_RANGES).optional() }), { range: queryParam(req, "range") }, 908);
    const v = await readStats(s, app.apiKey, q.range ?? "hour");
    const outcomes = (o: Record<string, number>) => ({ Approved: o.approved, Denied: o.denied, NotMe: o.notme, Expired: o.expired, Cancelled: o.cancelled });
    res.json({
      Range: v.range,
      BucketSeconds: v.bucketMs / 1000,
      Buckets: v.buckets.map((b) => ({ Start: new Date(b.start).toISOString(), ...outcomes(b.outcomes), Pushes: b.pushes })),
      Totals: outcomes(v.totals),
      Delivery: Object.entries(v.delivery).map(([provider, d]) => ({ Provider: provider, Sent: d.sent, Failed: d.failed, Retrying: d.retrying })),
      AnswerTime: { Count: v.answer.count, P50Ms: v.answer.p50Ms, P95Ms: v.answer.p95Ms },
      FraudReports: v.fraudReports,
    });
  });

  // What this console session is and may do (the console shows only the actions it may take).
  r.get(CONSOLE_SESSION_PATH, async (req, res) => {
    const session = await requireAdmin(s, req, "read");
    res.json({ Admin: session.actor.name, Permissions: permissionsOf(session) });
  });

  return r;
}

import { Router } from "express";
import { z } from "zod";
import { ApiError } from "../../errors.js";
import { isGuid } from "../../crypto/tokens.js";
import type { Services } from "../../services.js";
import { requireAdmin } from "../../console/admin-access.js";
import { routeLabelOf } from "../../console/push-route-label.js";
import { searchIndex, type SearchField } from "../../accounts/user-index.js";
import { historyOf } from "../../accounts/user-history.js";
import { lockStateOf } from "../../accounts/lockout.js";
import type { Profile } from "../../accounts/account-store.js";
import { removePushDevice } from "../../devices/remove-device.js";
import { loadPushSettings } from "../../login/push-enabled.js";
import { parseBody, queryParam } from "../request-input.js";

export const USERS_PATH = "/v2/manage/push/users";
const ACCOUNT_PATH = "/v2/manage/account/:uid/push";

/** The search box's text: printable, bounded. */
const searchQuery = z.object({
  q: z.string().trim().min(1, "is required").max(254).regex(/^[^\p{Cc}]+$/u, "must not contain control characters"),
  count: z.coerce.number().int().min(1).max(50).optional(),
});

export const uidParam = (raw: unknown): string => {
  const uid = String(raw).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(uid)) throw new ApiError(938);
  return uid;
};

/** A user as the search lists them. */
export const userSummary = (p: Profile) => ({ Uid: p.Uid, Email: p.Email[0]?.Value ?? null, UserName: p.UserName });

/**
 * (ext) The console's users panel: find a user by email, username or uid (exact or prefix, through the index of
 * user-index.ts), see their devices, locks and recent challenges, and remove one device. Every action is audited
 * with who did it.
 */
export function consoleUserRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });

  r.get(USERS_PATH, async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    const q = parseBody(searchQuery, { q: queryParam(req, "q"), count: queryParam(req, "count") }, 908);
    const limit = q.count ?? 20;
    // Exact identifiers first (they also find accounts made before the index existed), then prefixes.
    const exact = await Promise.all([
      s.accounts.findUid(app.apiKey, "email", q.q),
      s.accounts.findUid(app.apiKey, "username", q.q),
      /^[0-9a-f]{32}$/i.test(q.q) ? q.q.toLowerCase() : null,
    ]);
    const fields: SearchField[] = ["email", "username", ...(/^[0-9a-f]{1,32}$/i.test(q.q) ? (["uid"] as const) : [])];
    const prefixed = await Promise.all(fields.map((f) => searchIndex(s.redis, s.keys, app.apiKey, f, q.q, limit)));
    const uids = [...new Set([...exact.filter((u): u is string => !!u), ...prefixed.flat()])].slice(0, limit);
    const accounts = await Promise.all(uids.map((uid) => s.accounts.get(app.apiKey, uid)));
    res.json({ Data: accounts.flatMap((a) => (a ? [userSummary(a.profile)] : [])) });
  });

  r.get(`${ACCOUNT_PATH}/overview`, async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    const uid = uidParam(req.params.uid);
    const account = await s.accounts.get(app.apiKey, uid);
    if (!account) throw new ApiError(938);
    const [devices, settings, locks, history] = await Promise.all([
      s.devices.list(app.apiKey, uid),
      loadPushSettings(s, app),
      lockStateOf(s, app.apiKey, uid, account.profile),
      historyOf(s, app.apiKey, uid),
    ]);
    res.json({
      ...userSummary(account.profile),
      PhoneId: account.profile.PhoneId,
      Devices: devices.map((d) => ({
        Id: d.id,
        Name: d.name,
        Platform: d.type,
        Route: routeLabelOf(settings, d.type),
        CreatedDate: d.createdAt,
        LastUsedDate: d.lastUsedAt ?? null,
        IsActive: d.active,
        InactiveReason: d.active ? null : (d.inactiveReason ?? "marked inactive"),
      })),
      Lock: {
        IsLocked: locks.notMe !== null || locks.wrongPasswords.length > 0,
        NotMe: locks.notMe && { Reason: locks.notMe.reason, SecondsLeft: locks.notMe.secondsLeft },
        WrongPasswords: locks.wrongPasswords.map((w) => ({ Identifier: w.kind, SecondsLeft: w.secondsLeft })),
      },
      Challenges: history.map((h) => ({
        Id: h.id,
        Date: new Date(h.at).toISOString(),
        Outcome: h.outcome,
        Browser: h.browser,
        Location: h.location,
        IsTest: h.test === true,
      })),
    });
  });

  // Remove one device of the user (the user's own DELETE, done by an admin).
  r.delete(`${ACCOUNT_PATH}/devices/:deviceId`, async (req, res) => {
    const { app, actor } = await requireAdmin(s, req, "device.remove");
    const uid = uidParam(req.params.uid);
    if (!isGuid(req.params.deviceId)) throw new ApiError(908, { fields: [{ FieldName: "deviceId", ErrorMessage: "must be a device id (a GUID)" }] });
    if (!(await s.accounts.get(app.apiKey, uid))) throw new ApiError(938);
    const removed = await removePushDevice(s, app.apiKey, uid, String(req.params.deviceId).toLowerCase(), "by an admin", actor.name);
    if (!removed) {
      throw new ApiError(908, { description: "This user has no push device with this id.", fields: [{ FieldName: "deviceId", ErrorMessage: "is not a push device of this user" }] });
    }
    res.json({ IsDeleted: true });
  });

  return r;
}

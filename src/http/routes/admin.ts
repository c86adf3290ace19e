import { Router } from "express";
import { z } from "zod";
import { ApiError } from "../../errors.js";
import type { Services } from "../../services.js";
import { requireAdmin } from "../../console/admin-access.js";
import { parseBody, queryParam } from "../request-input.js";
import { openChallenge } from "../../challenge/open-challenge.js";
import { loadPushSettings } from "../../login/push-enabled.js";
import { liftLocks } from "../../accounts/lockout.js";

/** (ext) What an operator needs beyond the LoginRadius surface: the audit trail, unlocking a user, their devices. */
export function adminRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });
  const uidParam = (raw: unknown) => {
    const uid = String(raw).toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(uid)) throw new ApiError(938);
    return uid;
  };
  const existingUser = async (appId: string, raw: unknown) => {
    const uid = uidParam(raw);
    if (!(await s.accounts.get(appId, uid))) throw new ApiError(938);
    return uid;
  };

  // The audit stream, newest first; page back with ?before=<id>.
  r.get("/v2/manage/push/audit", async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    const q = parseBody(
      z.object({ count: z.coerce.number().int().min(1).max(500).optional(), before: z.string().regex(/^\d+-\d+$/).optional() }),
      { count: queryParam(req, "count"), before: queryParam(req, "before") },
      908,
    );
    res.json({ Data: await s.audit.list(app.apiKey, q) });
  });

  // Lift a lock from "not me" or too many wrong passwords (on any of the user's identifiers).
  r.delete("/v2/manage/account/:uid/push/lock", async (req, res) => {
    const { app, actor } = await requireAdmin(s, req, "user.unlock");
    const uid = uidParam(req.params.uid);
    const account = await s.accounts.get(app.apiKey, uid);
    if (!account) throw new ApiError(938);
    await liftLocks(s, app.apiKey, uid, account.profile, "by an admin", actor.name);
    res.json({ IsDeleted: true });
  });

  // A user's push devices, as an admin sees them (no key material, no push token).
  r.get("/v2/manage/account/:uid/push/devices", async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    const uid = await existingUser(app.apiKey, req.params.uid);
    res.json({ Data: (await s.devices.list(app.apiKey, uid)).map(publicDevice) });
  });

  // Send a test push to a user's devices: a real challenge nobody can turn into a session (its token is dropped).
  r.post("/v2/manage/push/test", async (req, res) => {
    const { app, actor } = await requireAdmin(s, req, "push.test");
    const body = parseBody(z.object({ Email: z.email().max(254).optional(), Uid: z.string().max(64).optional() }).refine((b) => !!b.Email !== !!b.Uid, "give Email or Uid"), req.body);
    const uid = body.Uid ? uidParam(body.Uid) : await s.accounts.findUid(app.apiKey, "email", body.Email ?? "");
    const account = uid ? await s.accounts.get(app.apiKey, uid) : null;
    if (!uid || !account) throw new ApiError(938);
    const settings = await loadPushSettings(s, app);
    if (!(await s.devices.list(app.apiKey, uid)).some((d) => d.active)) throw new ApiError(1313);
    const opened = await openChallenge(s, app, settings, uid, account.profile, { browser: "Test push from the console", location: "Admin console", test: { by: actor.name } });
    res.json({ IsPosted: true, Devices: opened.devices.length });
  });

  return r;
}

/** A device as shown to its owner or an admin. */
export const publicDevice = (d: { id: string; name: string; type: string; active: boolean; createdAt: string }) => ({
  Id: d.id,
  Name: d.name,
  Type: d.type,
  IsActive: d.active,
  CreatedDate: d.createdAt,
});

import { Router } from "express";
import { maskSettings } from "../../settings/push-settings.js";
import { misconfiguredPlatforms } from "../../settings/push-route.js";
import type { Services } from "../../services.js";
import { requireAdmin } from "../../console/admin-access.js";

/** L10's path. */
export const PUSH_SETTINGS_PATH = "/v2/manage/2fa/push-notification-settings";

/**
 * The body limit of an L10 PUT: the settings carry credential files (a service account, a base64 .p12, a .p8),
 * larger than every other body the gateway takes.
 */
export const PUSH_SETTINGS_BODY_LIMIT = "128kb";

/** L10: the app's push settings, read back with secrets masked. */
export function pushSettingsRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });
  const path = PUSH_SETTINGS_PATH;
  r.get(path, async (req, res) => {
    const { app } = await requireAdmin(s, req, "read");
    res.json(maskSettings(await s.settings.get(app.apiKey, app.name)));
  });
  r.put(path, async (req, res) => {
    const { app, actor } = await requireAdmin(s, req, "settings.change");
    const saved = await s.settings.put(app.apiKey, app.name, req.body);
    // Saved all the same (contract 1.5), but its users' logins will answer 1298: worth a line in the log.
    const unconfigured = saved.IsEnabled ? misconfiguredPlatforms(saved) : [];
    s.logger.info({ app: app.apiKey, ...(unconfigured.length && { unconfigured }) }, "push settings changed");
    await s.audit.record(app.apiKey, { type: "settings.changed", detail: `${saved.NotificationService}, push ${saved.IsEnabled ? "on" : "off"}`, by: actor.name });
    res.json(saved);
  });
  return r;
}

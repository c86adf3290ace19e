import { Router } from "express";
import { maskSettings } from "../../settings/push-settings.js";
import type { Services } from "../../services.js";
import { requireAppWithSecret } from "../credentials.js";

/** L10: the app's push settings, read back with secrets masked. */
export function pushSettingsRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });
  const path = "/v2/manage/2fa/push-notification-settings";
  r.get(path, async (req, res) => {
    const app = await requireAppWithSecret(s, req);
    res.json(maskSettings(await s.settings.get(app.apiKey, app.name)));
  });
  r.put(path, async (req, res) => {
    const app = await requireAppWithSecret(s, req);
    const saved = await s.settings.put(app.apiKey, app.name, req.body);
    s.logger.info({ app: app.apiKey }, "push settings changed");
    await s.audit.record(app.apiKey, { type: "settings.changed", detail: `${saved.NotificationService}, push ${saved.IsEnabled ? "on" : "off"}` });
    res.json(saved);
  });
  return r;
}

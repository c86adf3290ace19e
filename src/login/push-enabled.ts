import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import type { PushSettings } from "../settings/push-settings.js";
import type { Services } from "../services.js";

/** The app's settings, if push can be used now: 1299 when switched off, 1298 while its provider is broken. */
export async function loadPushSettings(s: Services, app: AppRecord): Promise<PushSettings> {
  const settings = await s.settings.get(app.apiKey, app.name);
  if (!settings.IsEnabled) throw new ApiError(1299);
  if (await s.redis.exists(s.keys.providerBroken(app.apiKey))) throw new ApiError(1298);
  return settings;
}

import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import type { PushSettings } from "../settings/push-settings.js";
import type { Services } from "../services.js";

/** What the check reads: the app's settings, and the mark a configuration failure left (workers/mark-failure.ts). */
export type PushSettingsDeps = Pick<Services, "settings" | "redis" | "keys">;

/** The app's settings, if push can be used now: 1299 when switched off, 1298 while its provider is broken. */
export async function loadPushSettings(deps: PushSettingsDeps, app: AppRecord): Promise<PushSettings> {
  const settings = await deps.settings.get(app.apiKey, app.name);
  if (!settings.IsEnabled) throw new ApiError(1299);
  if (await deps.redis.exists(deps.keys.providerBroken(app.apiKey))) throw new ApiError(1298);
  return settings;
}

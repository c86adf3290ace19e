import { ApiError, type FieldError } from "../errors.js";
import type { Sealer } from "../crypto/sealed.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import { createPushSettingsSchema, defaultPushSettings, mapSecrets, maskSettings, withDefaults, type PushSettings } from "./push-settings.js";
import { applySettingsInput } from "./settings-input.js";
import { describeFieldErrors, fieldErrorsOf } from "../validation.js";

export interface SettingsStore {
  /** The app's settings with secrets in clear: only for the code that uses them. */
  get(appId: string, appName: string): Promise<PushSettings>;
  /** Validate `input` merged over the stored settings, store it (secrets sealed) and return it masked. */
  put(appId: string, appName: string, input: unknown): Promise<PushSettings>;
}

export function createSettingsStore(
  redis: RedisClient,
  keys: Keys,
  sealer: Sealer,
  options: { allowPrivateWebhooks: boolean },
): SettingsStore {
  const schema = createPushSettingsSchema({ allowPrivateHosts: options.allowPrivateWebhooks });
  const context = (appId: string, field: string) => `settings:${appId}:${field}`;
  const openSecrets = (appId: string, s: PushSettings) => mapSecrets(s, (v, secret) => (v ? sealer.open(v, context(appId, secret.context)) : ""));
  const sealSecrets = (appId: string, s: PushSettings) => mapSecrets(s, (v, secret) => (v ? sealer.seal(v, context(appId, secret.context)) : ""));

  // The last settings read per app, opened: every push and login reads them, and they rarely change. Always
  // read from Redis (a change is seen at once); only parsing and opening the secrets again is skipped.
  const opened = new Map<string, { raw: string; settings: PushSettings }>();
  const OPENED_MAX = 1000;

  async function get(appId: string, appName: string): Promise<PushSettings> {
    const raw = await redis.get(keys.settings(appId));
    if (!raw) return defaultPushSettings(appName);
    const last = opened.get(appId);
    if (last?.raw === raw) return last.settings;
    const stored = JSON.parse(raw) as Partial<PushSettings>;
    // Frozen, as it is shared by every caller until the settings change.
    const settings = deepFreeze(openSecrets(appId, withDefaults(stored, appName)));
    if (opened.size >= OPENED_MAX) opened.clear();
    opened.set(appId, { raw, settings });
    return settings;
  }

  return {
    get,
    async put(appId, appName, input) {
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        throw new ApiError(965, { description: "The request body is missing or is not a JSON object: send the settings as JSON (Content-Type: application/json)." });
      }
      const current = await get(appId, appName);
      // A PUT may send only what it changes (see applySettingsInput); the result is validated as a whole.
      const merged = applySettingsInput(current, input as Record<string, unknown>, defaultPushSettings(appName));
      const parsed = schema.safeParse(merged);
      if (!parsed.success) {
        const fields: FieldError[] = fieldErrorsOf(parsed.error, 100);
        throw new ApiError(965, { fields, description: `The push settings are not valid: ${describeFieldErrors(fields)}` });
      }
      const s = parsed.data;
      // New settings may fix a broken provider: let L2 and L3 try again.
      await redis.multi().set(keys.settings(appId), JSON.stringify(sealSecrets(appId, s))).del(keys.providerBroken(appId)).exec();
      return maskSettings(s);
    },
  };
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === "object" && v !== null) deepFreeze(v);
  return Object.freeze(o);
}

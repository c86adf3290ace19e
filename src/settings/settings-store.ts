import { ApiError, type FieldError } from "../errors.js";
import type { Sealer } from "../crypto/sealed.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import { literalHostIsInternal } from "../outbound/outbound-guard.js";
import { MASK, defaultPushSettings, maskSettings, pushSettingsSchema, type PushSettings } from "./push-settings.js";

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
  const context = (appId: string, field: string) => `settings:${appId}:${field}`;
  const openSecret = (appId: string, field: string, v: string) => (v ? sealer.open(v, context(appId, field)) : "");
  const sealSecret = (appId: string, field: string, v: string) => (v ? sealer.seal(v, context(appId, field)) : "");

  // The last settings read per app, opened: every push and login reads them, and they rarely change. Always
  // read from Redis (a change is seen at once); only parsing and opening the secrets again is skipped.
  const opened = new Map<string, { raw: string; settings: PushSettings }>();
  const OPENED_MAX = 1000;

  async function get(appId: string, appName: string): Promise<PushSettings> {
    const raw = await redis.get(keys.settings(appId));
    if (!raw) return defaultPushSettings(appName);
    const last = opened.get(appId);
    if (last?.raw === raw) return last.settings;
    const stored = JSON.parse(raw) as PushSettings;
    // Frozen, as it is shared by every caller until the settings change.
    const settings = deepFreeze({
      ...stored,
      AWSsettings: { ...stored.AWSsettings, SecretAccessKey: openSecret(appId, "aws", stored.AWSsettings.SecretAccessKey) },
      NativeSettings: { ...stored.NativeSettings, SigningSecret: openSecret(appId, "native", stored.NativeSettings.SigningSecret) },
    });
    if (opened.size >= OPENED_MAX) opened.clear();
    opened.set(appId, { raw, settings });
    return settings;
  }

  return {
    get,
    async put(appId, appName, input) {
      if (typeof input !== "object" || input === null || Array.isArray(input)) throw new ApiError(965);
      const current = await get(appId, appName);
      const body = input as Record<string, unknown>;
      // A PUT may send only what it changes; nested objects merge too, and a masked secret keeps the stored one.
      const merged: Record<string, unknown> = { ...current };
      for (const [k, v] of Object.entries(body)) {
        const before = (current as unknown as Record<string, unknown>)[k];
        merged[k] = isPlainObject(v) && isPlainObject(before) ? { ...before, ...v } : v;
      }
      const aws = merged.AWSsettings as Record<string, unknown> | undefined;
      if (aws?.SecretAccessKey === MASK) aws.SecretAccessKey = current.AWSsettings.SecretAccessKey;
      const native = merged.NativeSettings as Record<string, unknown> | undefined;
      if (native?.SigningSecret === MASK) native.SigningSecret = current.NativeSettings.SigningSecret;

      const parsed = pushSettingsSchema.safeParse(merged);
      const fields: FieldError[] = parsed.success
        ? []
        : parsed.error.issues.map((i) => ({ FieldName: i.path.join(".") || "body", ErrorMessage: i.message }));
      if (parsed.success) {
        const url = parsed.data.NativeSettings.WebhookUrl;
        // The literal host only (no DNS here): what a name resolves to is checked when a push connects.
        if (url && !options.allowPrivateWebhooks && literalHostIsInternal(url)) {
          fields.push({ FieldName: "NativeSettings.WebhookUrl", ErrorMessage: "must not point at a private or loopback address" });
        }
      }
      if (!parsed.success || fields.length) throw new ApiError(965, { fields });
      const s = parsed.data;
      const sealed: PushSettings = {
        ...s,
        AWSsettings: { ...s.AWSsettings, SecretAccessKey: sealSecret(appId, "aws", s.AWSsettings.SecretAccessKey) },
        NativeSettings: { ...s.NativeSettings, SigningSecret: sealSecret(appId, "native", s.NativeSettings.SigningSecret) },
      };
      // New settings may fix a broken provider: let L2 and L3 try again.
      await redis.multi().set(keys.settings(appId), JSON.stringify(sealed)).del(keys.providerBroken(appId)).exec();
      return maskSettings(s);
    },
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === "object" && v !== null) deepFreeze(v);
  return Object.freeze(o);
}

import type { AppRecord } from "../apps/app-store.js";
import type { Services } from "../services.js";
import { NO_PUSH_TOKEN } from "./device-store.js";
import { endpointComesBackForSameToken } from "./endpoint-reuse.js";
import { devicesSigning, type SignedDeviceRequest } from "./signed-request.js";
import { deviceTokenFor } from "./web-subscription.js";
import { ApiError } from "../errors.js";

/** The text a device signs to change its push token (contract 2.8): `token:<apikey>:<timestamp>:<deviceToken>`. */
export const pushTokenUpdateText = (apiKey: string, timestamp: string, deviceToken: string): string =>
  `token:${apiKey}:${timestamp}:${deviceToken}`;

export interface PushTokenUpdate extends SignedDeviceRequest {
  deviceToken: string;
}

/**
 * Contract 2.8, the push-token update: every device of this app enrolled with the signing key (one phone may hold
 * several accounts) gets the new token, sealed, and is active again, inactive ones included: only the holder of
 * the enrolled key can sign this, and a dead token is what made them inactive. On AWS SNS the device's endpoint
 * was made for the old token: it is forgotten, deleted unless the same token gets it back, and made for the new
 * token now (a send before that job runs makes it itself).
 */
export async function updatePushToken(
  s: Pick<Services, "now" | "redis" | "keys" | "devices" | "settings" | "queues" | "audit" | "logger" | "config">,
  app: AppRecord,
  apiKeyAsSent: string,
  update: PushTokenUpdate,
): Promise<{ IsPosted: true }> {
  const { deviceToken } = update;
  const { devices, timestamp } = await devicesSigning(s, app.apiKey, update, (t) => pushTokenUpdateText(apiKeyAsSent, t, deviceToken), {
    includeInactive: true,
  });
  // A web device's new token must be a usable push subscription (or "none"), checked before any device changes.
  const tokenOf = new Map<string, string>();
  for (const type of new Set(devices.map((d) => d.device.type))) {
    const kept = deviceTokenFor(type, deviceToken, { allowPrivate: s.config.ALLOW_PRIVATE_WEBHOOKS });
    if (!kept.ok) throw new ApiError(965, { fields: [{ FieldName: "deviceToken", ErrorMessage: kept.problem }] });
    tokenOf.set(type, kept.token);
  }
  const settings = await s.settings.get(app.apiKey, app.name);
  for (const { uid, device } of devices) {
    const newToken = tokenOf.get(device.type) ?? deviceToken;
    const before = await s.devices.replaceToken(app.apiKey, uid, device.id, newToken);
    if (!before) continue; // removed meanwhile
    const sameToken = s.devices.openToken(app.apiKey, uid, before) === newToken;
    if (before.endpointArn && !(sameToken && endpointComesBackForSameToken(settings, before))) {
      await s.queues.enqueueEndpointDeletions([{ appId: app.apiKey, endpointArn: before.endpointArn }]);
    }
    if (settings.IsEnabled && settings.NotificationService === "AWS" && deviceToken !== NO_PUSH_TOKEN && device.type !== "web") {
      // Each signed timestamp is used once per key, so this job id is new for every update.
      await s.queues.enqueueEndpointCreation({ appId: app.apiKey, uid, deviceId: device.id }, `${device.id}.${timestamp}`);
    }
    const detail = before.active ? "push token replaced" : "push token replaced; the device is active again";
    s.logger.info({ app: app.apiKey, uid, device: device.id, reactivated: !before.active }, "push token updated");
    await s.audit.record(app.apiKey, { type: "device.token_updated", uid, device: device.id, detail });
  }
  return { IsPosted: true };
}

import type { PushSettings } from "../settings/push-settings.js";
import type { Device } from "./device-store.js";

/**
 * Whether the SNS endpoint a device had is the one that will be made again for the same push token. SNS keeps one
 * endpoint per platform application and token, and CreatePlatformEndpoint answers that endpoint again for the
 * same token: under the PlatformARN the settings name now, the same token gets that very endpoint back, which
 * must then not be deleted (its deletion would race the device that uses it). Otherwise it is stale.
 */
export function endpointComesBackForSameToken(settings: PushSettings | null, d: Device): boolean {
  if (!d.endpointArn || settings?.NotificationService !== "AWS") return false;
  const platformArn = (d.type === "ios" ? settings.IOSsettings : settings.AndroidSettings).PlatformARN;
  return !!platformArn && (d.endpointPlatformArn ?? platformArn) === platformArn;
}

import { ApiError } from "../errors.js";
import type { PushSettings } from "./push-settings.js";

/** The platforms of contract 1.5's settings (AndroidSettings, IOSsettings). */
export type Platform = "android" | "ios";

/** Where the push to one device goes under an app's settings, before the device channel is considered. */
export type PushRoute =
  | { via: "sns" }
  | { via: "fcm" }
  | { via: "apns"; auth: "token" | "certificate" }
  | { via: "webhook" }
  | { via: "none"; reason: string };

/** A route that reaches a provider. */
export type DeliverableRoute = Exclude<PushRoute, { via: "none" }>;

/**
 * Contract 1.5 "Where a push goes": AWS → SNS; Native → Android through FCM with `ServiceJson`, iOS through APNs
 * with `ApnsKey` (preferred: token authentication) or `ApnsCertificate`; a platform without its credentials
 * falls back to the Native webhook when one is set, else it has no route (the platform is misconfigured).
 */
export function pushRouteOf(s: PushSettings, platform: Platform): PushRoute {
  if (s.NotificationService === "AWS") return { via: "sns" };
  if (platform === "android" && s.AndroidSettings.ServiceJson) return { via: "fcm" };
  if (platform === "ios" && s.IOSsettings.ApnsKey) return { via: "apns", auth: "token" };
  if (platform === "ios" && s.IOSsettings.ApnsCertificate) return { via: "apns", auth: "certificate" };
  if (s.NativeSettings.WebhookUrl) return { via: "webhook" };
  return { via: "none", reason: NO_ROUTE[platform] };
}

const NO_ROUTE: Record<Platform, string> = {
  android: "Android pushes are not configured: the app's Native settings have no Firebase service account (AndroidSettings.ServiceJson) and no webhook URL",
  ios: "iOS pushes are not configured: the app's Native settings have no APNs key or certificate (IOSsettings.ApnsKey, ApnsCertificate) and no webhook URL",
};

/** The enabled platforms that have no route (the console warns about them; contract 1.5). */
export function misconfiguredPlatforms(s: PushSettings): Platform[] {
  const enabled: Platform[] = [];
  if (s.AndroidSettings.Enabled) enabled.push("android");
  if (s.IOSsettings.Enabled) enabled.push("ios");
  return enabled.filter((p) => pushRouteOf(s, p).via === "none");
}

/**
 * L2 and L3 (contract 1.5): error 1298 when the user has active devices and every one of them is on a platform
 * without a route; nothing would reach them. A user with one reachable device goes on.
 */
export function refuseIfUnroutable(s: PushSettings, devices: ReadonlyArray<{ type: Platform }>): void {
  const routes = devices.map((d) => pushRouteOf(s, d.type));
  const first = routes[0];
  if (first?.via === "none" && routes.every((r) => r.via === "none")) {
    throw new ApiError(1298, { description: `${first.reason}; fix the app's push notification settings.` });
  }
}

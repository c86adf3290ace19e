import { ApiError } from "../errors.js";
import type { PushSettings } from "./push-settings.js";

/**
 * The platforms a device may be on: those of contract 1.5's settings (AndroidSettings, IOSsettings), and `web`
 * (contract 2.7), which needs no settings: the gateway itself is its sender (Web Push under its own VAPID key).
 */
export type Platform = "android" | "ios" | "web";

/** Where the push to one device goes under an app's settings, before the device channel is considered. */
export type PushRoute =
  | { via: "sns" }
  | { via: "fcm" }
  | { via: "apns"; auth: "token" | "certificate" }
  | { via: "webhook" }
  | { via: "webpush" }
  /** A `web` device registered with the token "none": only the device channel (2.13) and the pull (2.8) reach it. */
  | { via: "device-channel" }
  | { via: "none"; reason: string };

/** A route that reaches a provider. */
export type DeliverableRoute = Exclude<PushRoute, { via: "none" } | { via: "device-channel" }>;

/** What decides a device's route: its platform, and for `web` whether it has a push subscription. */
export interface RoutedDevice {
  type: Platform;
  /** The device's token tag (device-store.ts): a `web` device has one exactly when its token is a subscription. */
  tokenTag?: string | undefined;
}

/** A `web` device enrolled with the token "none" (no push service): it pulls and listens on the device channel. */
export const pullsOnly = (d: RoutedDevice): boolean => d.type === "web" && d.tokenTag === undefined;

/** The route of one device: `pushRouteOf` its platform, except a pull-only web device, which has no provider. */
export function routeOfDevice(s: PushSettings, d: RoutedDevice): PushRoute {
  return pullsOnly(d) ? { via: "device-channel" } : pushRouteOf(s, d.type);
}

/**
 * Contract 1.5 "Where a push goes": AWS → SNS; Native → Android through FCM with `ServiceJson`, iOS through APNs
 * with `ApnsKey` (preferred: token authentication) or `ApnsCertificate`; a platform without its credentials
 * falls back to the Native webhook when one is set, else it has no route (the platform is misconfigured).
 */
export function pushRouteOf(s: PushSettings, platform: Platform): PushRoute {
  // Web devices are the gateway's own to reach, whatever the app's NotificationService says (contract 1.5).
  if (platform === "web") return { via: "webpush" };
  if (s.NotificationService === "AWS") return { via: "sns" };
  if (platform === "android" && s.AndroidSettings.ServiceJson) return { via: "fcm" };
  if (platform === "ios" && s.IOSsettings.ApnsKey) return { via: "apns", auth: "token" };
  if (platform === "ios" && s.IOSsettings.ApnsCertificate) return { via: "apns", auth: "certificate" };
  if (s.NativeSettings.WebhookUrl) return { via: "webhook" };
  return { via: "none", reason: NO_ROUTE[platform] };
}

const NO_ROUTE: Record<Exclude<Platform, "web">, string> = {
  android: "Android pushes are not configured: the app's Native settings have no Firebase service account (AndroidSettings.ServiceJson) and no webhook URL",
  ios: "iOS pushes are not configured: the app's Native settings have no APNs key or certificate (IOSsettings.ApnsKey, ApnsCertificate) and no webhook URL",
};

/** The enabled platforms that have no route (the console warns about them; contract 1.5). */
export function misconfiguredPlatforms(s: PushSettings): Array<Exclude<Platform, "web">> {
  const enabled: Array<Exclude<Platform, "web">> = [];
  if (s.AndroidSettings.Enabled) enabled.push("android");
  if (s.IOSsettings.Enabled) enabled.push("ios");
  return enabled.filter((p) => pushRouteOf(s, p).via === "none");
}

/**
 * L2 and L3 (contract 1.5): error 1298 when the user has active devices and every one of them is on a platform
 * without a route; nothing would reach them. A user with one reachable device goes on; a `web` device always
 * counts as reachable (Web Push, or for "none" the device channel and the pull).
 */
export function refuseIfUnroutable(s: PushSettings, devices: ReadonlyArray<RoutedDevice>): void {
  const routes = devices.map((d) => routeOfDevice(s, d));
  const first = routes[0];
  if (first?.via === "none" && routes.every((r) => r.via === "none")) {
    throw new ApiError(1298, { description: `${first.reason}; fix the app's push notification settings.` });
  }
}

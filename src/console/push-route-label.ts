import { pushRouteOf, type Platform } from "../settings/push-route.js";
import type { PushSettings } from "../settings/push-settings.js";

/** How the console names where a device's pushes go under the app's settings ("FCM", "APNs (token)", "No route: …"). */
export function routeLabelOf(settings: PushSettings, platform: string): string {
  if (platform !== "android" && platform !== "ios" && platform !== "web") return "Unknown";
  const r = pushRouteOf(settings, platform as Platform);
  switch (r.via) {
    case "sns":
      return "AWS SNS";
    case "fcm":
      return "FCM";
    case "apns":
      return r.auth === "token" ? "APNs (token)" : "APNs (certificate)";
    case "webhook":
      return "Webhook";
    case "webpush":
      return "Web Push";
    case "device-channel":
      return "Device channel only";
    case "none":
      return "No route";
  }
}

/** How the audit and charts name a provider (the workers' provider names). */
export const PROVIDER_LABELS: Record<string, string> = { fcm: "FCM", apns: "APNs", sns: "AWS SNS", webhook: "Webhook", socket: "device channel", webpush: "Web Push" };
export const providerLabel = (name: string): string => PROVIDER_LABELS[name] ?? name;

import { providerLabel } from "../console/push-route-label.js";
import type { AuditEntry } from "./audit-log.js";

/** An audit event in words, as the console shows it ("Pushed to Pixel 8 via FCM", "Sign-in approved"). */
export function eventText(e: AuditEntry): string {
  const device = e.deviceName ? `"${e.deviceName}"` : "a device";
  const named = e.deviceName ? ` "${e.deviceName}"` : "";
  const why = e.detail ? ` (${e.detail})` : "";
  // An admin's action names the admin instead (the line says "by app secret").
  const whyUnlessAdmin = e.by && e.detail?.startsWith("by ") ? "" : why;
  switch (e.type) {
    case "login.started":
      if (e.test) return "Test push sent";
      return e.detail === "enrollment" ? "Sign-in started; enrollment QR shown" : "Sign-in started";
    case "login.refused":
      return `Sign-in refused${why}`;
    case "push.sent":
      return `Pushed to ${device} via ${providerLabel(e.detail ?? "")}`;
    case "push.failed":
      return `Push failed${e.detail ? `: ${e.detail}` : ""}`;
    case "challenge.approved":
      return "Approved on the phone";
    case "challenge.denied":
      return `Denied on the phone${why}`;
    case "challenge.fraud_reported":
      return 'Reported as "not me"';
    case "challenge.expired":
      return "Expired without an answer";
    case "challenge.cancelled":
      return `Cancelled${e.detail ? ` by ${e.detail}` : ""}`;
    case "device.enrolled":
      return `Device${named} enrolled${e.detail === "android" ? " (Android)" : e.detail === "ios" ? " (iOS)" : ""}`;
    case "device.removed":
      return `Device${named} removed${whyUnlessAdmin}`;
    case "device.token_updated":
      return `Device${named}: push token updated`;
    case "settings.changed":
      return "Push settings changed";
    case "user.locked":
      return `User locked${why}`;
    case "backup_codes.issued":
    case "backup_codes.reset":
      return `New backup codes issued${whyUnlessAdmin}`;
    case "backup_code.used":
      return "Finished with a backup code";
    case "user.unlocked":
      return `User unlocked${whyUnlessAdmin}`;
    default:
      return String(e.type);
  }
}

/** How a challenge ended, from its events (newest first); "pending" while none says. */
export type LineOutcome = "approved" | "backupcode" | "denied" | "notme" | "expired" | "cancelled" | "failed" | "pending";
export const LINE_OUTCOMES: readonly LineOutcome[] = ["approved", "backupcode", "denied", "notme", "expired", "cancelled", "failed", "pending"];

export function outcomeOf(events: AuditEntry[]): LineOutcome {
  const types = new Set(events.map((e) => e.type));
  if (types.has("challenge.approved")) return "approved";
  if (types.has("backup_code.used")) return "backupcode";
  if (types.has("challenge.fraud_reported")) return "notme";
  if (types.has("challenge.denied")) return "denied";
  if (types.has("challenge.expired")) return "expired";
  if (types.has("challenge.cancelled")) return "cancelled";
  if (types.has("push.failed") && !types.has("push.sent")) return "failed";
  return "pending";
}

const OUTCOME_TITLE: Record<LineOutcome, string> = {
  approved: "approved",
  backupcode: "finished with a backup code",
  denied: "denied",
  notme: 'reported as "not me"',
  expired: "expired",
  cancelled: "cancelled",
  failed: "not delivered",
  pending: "waiting for the phone",
};

/** The one-line title of a challenge: "Sign-in approved", "Test push expired". */
export const challengeTitle = (outcome: LineOutcome, test: boolean): string => `${test ? "Test push" : "Sign-in"} ${OUTCOME_TITLE[outcome]}`;

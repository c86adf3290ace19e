import QRCode from "qrcode";
import { z } from "zod";
import { hashToken, newToken } from "../crypto/tokens.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import type { PushSettings } from "../settings/push-settings.js";

/** Contract 1.3: the enrollment QR, renderable without a third-party service. */
export const pushQRCodeSchema = z.object({
  Url: z.string(),
  Image: z.string(),
  ExpireIn: z.string(),
  AppName: z.string(),
  /** The app's notification text (contract 1.3's `PushQRCodeDetails.Message`). */
  Message: z.string(),
  PlaystoreUrl: z.string().optional(),
  AppstoreUrl: z.string().optional(),
});
export type PushQRCode = z.infer<typeof pushQRCodeSchema>;

/** What an enrollment token grants: registering a device for this user, and the login waiting for it, if any. */
export interface EnrollmentGrant {
  appId: string;
  uid: string;
  challengeId?: string;
}

export interface Enrollment {
  /** A fresh single-use enrollment URL and its QR. */
  issue(grant: EnrollmentGrant, settings: PushSettings): Promise<PushQRCode>;
  /** What an enrollment token grants, without using it up; null when unknown, expired or already used. */
  peek(token: string): Promise<EnrollmentGrant | null>;
  /** Use up an enrollment token; null when unknown, expired or already used. */
  consume(token: string): Promise<EnrollmentGrant | null>;
}

/** The path the phone POSTs to (L6); the token is the last segment. */
export const ENROLL_PATH = "/identity/v2/auth/account/2fa/push/enroll";

export function createEnrollment(
  redis: RedisClient,
  keys: Keys,
  options: { publicUrl: string; ttlSeconds: number },
  now: () => Date = () => new Date(),
): Enrollment {
  return {
    async issue(grant, settings) {
      const token = newToken();
      await redis.set(keys.enrollment(hashToken(token)), JSON.stringify(grant), "EX", options.ttlSeconds);
      const url = `${options.publicUrl}${ENROLL_PATH}/${token}?apikey=${encodeURIComponent(grant.appId)}`;
      const qr: PushQRCode = {
        Url: url,
        // The QR encodes the URL text itself, as the LoginRadius Android SDK expects; `QRCodeWidth` pixels wide.
        Image: await QRCode.toDataURL(url, { errorCorrectionLevel: "M", margin: 2, width: settings.QRCodeWidth }),
        ExpireIn: new Date(now().getTime() + options.ttlSeconds * 1000).toISOString(),
        AppName: settings.CustomAppName,
        Message: settings.Message,
      };
      if (settings.AndroidSettings.Enabled && settings.AndroidSettings.PlaystoreUrl) qr.PlaystoreUrl = settings.AndroidSettings.PlaystoreUrl;
      if (settings.IOSsettings.Enabled && settings.IOSsettings.AppstoreUrl) qr.AppstoreUrl = settings.IOSsettings.AppstoreUrl;
      return qr;
    },
    async peek(token) {
      const raw = await redis.get(keys.enrollment(hashToken(token)));
      return raw ? (JSON.parse(raw) as EnrollmentGrant) : null;
    },
    async consume(token) {
      // GETDEL: the first phone to present the token wins; a replay finds nothing.
      const raw = await redis.getdel(keys.enrollment(hashToken(token)));
      return raw ? (JSON.parse(raw) as EnrollmentGrant) : null;
    },
  };
}

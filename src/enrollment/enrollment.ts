import { hashToken, newToken } from "../crypto/tokens.js";
import type { Sealer } from "../crypto/sealed.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import type { PushSettings } from "../settings/push-settings.js";
import { qrDataUrl } from "./qr-image.js";

/** Contract 1.3 (ext): what a page needs to show the enrollment without a second request. */
export interface PushQRCodeDetails {
  /** The enrollment URL: the text the QR encodes, which the phone POSTs to (L6). */
  Url: string;
  Image: string;
  ExpireIn: string;
  AppName: string;
  /** The app's notification text. */
  Message: string;
  PlaystoreUrl?: string;
  AppstoreUrl?: string;
  /** The authenticator app (contract 2.10) with this enrollment link filled in. */
  AuthenticatorUrl: string;
}

/**
 * Contract 1.3: `PushQRCode` is a string, the absolute URL of the QR image (L11), so `img.src = sfa.PushQRCode`
 * works as on LoginRadius; `PushQRCodeDetails` (ext) beside it.
 */
export interface EnrollmentQr {
  PushQRCode: string;
  PushQRCodeDetails: PushQRCodeDetails;
}

/** What an enrollment token grants: registering a device for this user, and the login waiting for it, if any. */
export interface EnrollmentGrant {
  appId: string;
  uid: string;
  challengeId?: string;
}

/** Where L11 stands for a reference: the enrollment URL to draw, or why not (1103 unknown, 1104 expired or used). */
export type QrTarget = { url: string } | { error: 1103 | 1104 };

export interface Enrollment {
  /**
   * A fresh single-use enrollment URL and its QR. `reference` names the QR image in L11's `token`: the login's 2FA
   * token when there is one (contract 1.3); without one (L9), a fresh opaque reference is made.
   */
  issue(grant: EnrollmentGrant, settings: PushSettings, reference?: string): Promise<EnrollmentQr>;
  /** What an enrollment token grants, without using it up; null when unknown, expired or already used. */
  peek(token: string): Promise<EnrollmentGrant | null>;
  /** Use up an enrollment token; null when unknown, expired or already used. */
  consume(token: string): Promise<EnrollmentGrant | null>;
  /** L11: the enrollment URL a QR reference of this app names, while that enrollment is open. */
  qrTarget(appId: string, reference: string): Promise<QrTarget>;
}

/** The path the phone POSTs to (L6); the token is the last segment. */
export const ENROLL_PATH = "/identity/v2/auth/account/2fa/push/enroll";
/** L11: the enrollment QR as a PNG image. */
export const QR_CODE_PATH = "/identity/v2/auth/qr-code";
/** Contract 2.10: the authenticator app's page. */
export const AUTHENTICATOR_PATH = "/authenticator/";

/**
 * How long a QR reference is remembered after its enrollment expires, so an image loaded late answers 1104
 * ("expired") rather than 1103 ("unknown"). It holds only sealed data and a hash.
 */
const QR_REFERENCE_KEPT_SECONDS = 3600;

interface QrRecord {
  appId: string;
  /** The enrollment token's hash: the enrollment is open while `keys.enrollment(it)` exists. */
  enrollment: string;
  /** The enrollment URL, sealed (it carries the raw enrollment token). */
  url: string;
}

export function createEnrollment(
  redis: RedisClient,
  keys: Keys,
  sealer: Pick<Sealer, "seal" | "open">,
  options: { publicUrl: string; ttlSeconds: number },
  now: () => Date = () => new Date(),
): Enrollment {
  const sealContext = (referenceHash: string) => `enrollment-qr:${referenceHash}`;
  return {
    async issue(grant, settings, reference = newToken()) {
      const token = newToken();
      const tokenHash = hashToken(token);
      const referenceHash = hashToken(reference);
      const url = `${options.publicUrl}${ENROLL_PATH}/${token}?apikey=${encodeURIComponent(grant.appId)}`;
      const record: QrRecord = { appId: grant.appId, enrollment: tokenHash, url: sealer.seal(url, sealContext(referenceHash)) };
      // Two keys in two hash slots: two commands, the enrollment first (a reference to nothing reads as expired).
      await redis.set(keys.enrollment(tokenHash), JSON.stringify(grant), "EX", options.ttlSeconds);
      await redis.set(keys.enrollmentQr(referenceHash), JSON.stringify(record), "EX", options.ttlSeconds + QR_REFERENCE_KEPT_SECONDS);
      const image = `${options.publicUrl}${QR_CODE_PATH}?${new URLSearchParams({ apikey: grant.appId, token: reference, size: String(settings.QRCodeWidth) })}`;
      const details: PushQRCodeDetails = {
        Url: url,
        Image: await qrDataUrl(url, settings.QRCodeWidth),
        ExpireIn: new Date(now().getTime() + options.ttlSeconds * 1000).toISOString(),
        AppName: settings.CustomAppName,
        Message: settings.Message,
        AuthenticatorUrl: `${options.publicUrl}${AUTHENTICATOR_PATH}#enroll=${encodeURIComponent(url)}`,
      };
      if (settings.AndroidSettings.Enabled && settings.AndroidSettings.PlaystoreUrl) details.PlaystoreUrl = settings.AndroidSettings.PlaystoreUrl;
      if (settings.IOSsettings.Enabled && settings.IOSsettings.AppstoreUrl) details.AppstoreUrl = settings.IOSsettings.AppstoreUrl;
      return { PushQRCode: image, PushQRCodeDetails: details };
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
    async qrTarget(appId, reference) {
      const referenceHash = hashToken(reference);
      const raw = await redis.get(keys.enrollmentQr(referenceHash));
      const record = raw ? (JSON.parse(raw) as QrRecord) : null;
      if (!record || record.appId !== appId) return { error: 1103 };
      if (!(await redis.exists(keys.enrollment(record.enrollment)))) return { error: 1104 };
      return { url: sealer.open(record.url, sealContext(referenceHash)) };
    },
  };
}

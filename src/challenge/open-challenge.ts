import { ApiError } from "../errors.js";
import { hashToken, newToken } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import type { Profile } from "../accounts/account-store.js";
import { displayIdentifierOf } from "../accounts/identifiers.js";
import type { Device } from "../devices/device-store.js";
import type { EnrollmentQr } from "../enrollment/enrollment.js";
import type { PushSettings } from "../settings/push-settings.js";
import { refuseIfUnroutable } from "../settings/push-route.js";
import type { Services } from "../services.js";
import { serverSignatureOf } from "../delivery/push-content.js";
import type { Challenge, ChallengeKind } from "./challenge.js";
import { drawNumber } from "./number-matching.js";
import { recordEnd } from "./record-end.js";
import { rememberChallenge } from "../accounts/user-history.js";

/** Where the login comes from, as the phone will show it, and what the approval is for. */
export interface ChallengeOrigin {
  browser: string;
  location: string;
  /** @default "login" */
  kind?: ChallengeKind;
  /** Contract 2.12: the backend's text for the phone, and its context as JSON text (both in the signed push data). */
  message?: string;
  context?: string;
  /** An admin's test push (labelled so in the audit and the user's history), and who sent it. */
  test?: { by: string };
}

export interface OpenedChallenge {
  /** The browser's 2FA token: returned once, never stored. */
  token: string;
  challenge: Challenge;
  /** The enrollment QR when the user has no device at all, named by the 2FA token; the push follows the enrollment. */
  qr: EnrollmentQr | null;
  devices: Device[];
}

/**
 * What opening a challenge touches; the notifier tells the pages of the challenge it cancels, the server keys sign
 * its push data (contract 2.9).
 */
export type OpenChallengeDeps = Pick<
  Services,
  "devices" | "challenges" | "enrollment" | "queues" | "notifier" | "sealer" | "serverKeys" | "config" | "metrics" | "logger" | "audit" | "now" | "redis" | "keys"
>;

/**
 * Open a challenge for a user whose first factor passed (or for an admin's test push): it becomes the user's
 * pending one (cancelling the older, whose pages are told), its expiry is scheduled, and the push is queued
 * to every active device. A user with no device at all gets an enrollment QR instead (contract 1.1); one with
 * devices but none active is refused with 1313, one whose active devices no push can reach (their platforms
 * unconfigured) with 1298, and nothing is opened.
 */
export async function openChallenge(
  deps: OpenChallengeDeps,
  app: AppRecord,
  settings: PushSettings,
  uid: string,
  profile: Profile,
  origin: ChallengeOrigin,
): Promise<OpenedChallenge> {
  const enrolled = await deps.devices.list(app.apiKey, uid);
  const devices = enrolled.filter((d) => d.active);
  // A user who has enrolled but whose devices all died (their push tokens were refused) gets no QR: it would
  // hand enrollment, and so the account, to whoever knows the password. Refused before anything is written.
  if (enrolled.length && !devices.length) throw new ApiError(1313);
  // A backend's own challenge (2.12) never offers enrollment: its caller is not the user, and nobody signed in.
  if (origin.kind === "own" && !devices.length) throw new ApiError(1313);
  refuseIfUnroutable(settings, devices);
  const now = deps.now();
  const token = newToken();
  const handle = newToken();
  const { number, options } = drawNumber(settings.NumberMatching);
  const ttlMs = settings.ChallengeTtlSeconds * 1000;
  const id = newToken();
  const challenge: Challenge = {
    id,
    appId: app.apiKey,
    uid,
    kind: origin.kind ?? "login",
    status: "Pending",
    createdAt: now,
    expiresAt: now + ttlMs,
    tokenHash: hashToken(token),
    handleHash: hashToken(handle),
    handleSealed: deps.sealer.seal(handle, `handle:${id}`),
    identifier: displayIdentifierOf(profile),
    browser: origin.browser,
    location: origin.location,
    message: origin.message ?? "",
    context: origin.context ?? "",
    number,
    numberOptions: options,
    numberMode: settings.NumberMatching,
    sends: devices.length ? 1 : 0,
    lastSendAt: devices.length ? now : 0,
    delivery: devices.length ? "Queued" : "",
    deviceCount: devices.length,
    loginSealed: "",
    finalizeUntil: 0,
    endedAt: 0,
    reason: "",
    serverSignature: "",
  };
  challenge.serverSignature = await serverSignatureOf(deps, challenge);

  const keepMs = ttlMs + deps.config.FINALIZE_WINDOW_SECONDS * 1000 + 60_000;
  const { cancelledTokenHash } = await deps.challenges.create(challenge, keepMs);
  await deps.queues.scheduleExpiry({ appId: app.apiKey, uid, challengeId: id }, ttlMs);
  deps.metrics.challenges.inc({ outcome: "started" });
  if (cancelledTokenHash) {
    deps.metrics.challenges.inc({ outcome: "cancelled" });
    const cancelled = await deps.challenges.findByToken(cancelledTokenHash);
    if (cancelled) {
      deps.notifier.notify(cancelled);
      await recordEnd(deps, cancelled, "cancelled");
      await deps.audit.record(app.apiKey, { type: "challenge.cancelled", uid, challenge: cancelled.id, detail: "a newer sign-in" });
    }
  }
  await rememberChallenge(deps, app.apiKey, uid, { id, at: now, browser: origin.browser, location: origin.location, ...(origin.test && { test: true }) });

  let qr: EnrollmentQr | null = null;
  if (devices.length) {
    await deps.queues.enqueueSends(devices.map((d) => ({ appId: app.apiKey, uid, challengeId: id, deviceId: d.id, sendNo: 1 })));
  } else {
    qr = await deps.enrollment.issue({ appId: app.apiKey, uid, challengeId: id }, settings, token);
  }
  deps.logger.info({ app: app.apiKey, uid, challenge: id, devices: devices.length }, "challenge opened");
  await deps.audit.record(app.apiKey, {
    type: "login.started",
    uid,
    challenge: id,
    detail: devices.length ? `${devices.length} device(s)` : "enrollment",
    ...(origin.test && { test: "1", by: origin.test.by }),
  });
  return { token, challenge, qr, devices };
}

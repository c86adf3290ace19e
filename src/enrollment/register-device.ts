import { ApiError } from "../errors.js";
import { isGuid } from "../crypto/tokens.js";
import { parseDeviceKey } from "../crypto/signatures.js";
import type { ServerPublicJwk } from "../crypto/server-key.js";
import { displayIdentifierOf } from "../accounts/identifiers.js";
import { refOf } from "../challenge/challenge-store.js";
import { tokenTagOf, type NewDevice } from "../devices/device-store.js";
import { retireReplacedDevices } from "../devices/replaced-devices.js";
import type { Services } from "../services.js";
import { indexDeviceKey, type DeviceKeyIndexDeps } from "../devices/device-key-index.js";
import { deviceTokenFor } from "../devices/web-subscription.js";

/** What L6 touches: the enrollment, the device and its key index, the endpoint and send queues, the waiting login. */
export type RegisterDeviceDeps = DeviceKeyIndexDeps &
  Pick<Services, "enrollment" | "devices" | "apps" | "settings" | "challenges" | "queues" | "notifier" | "logger" | "audit" | "now" | "sealer" | "serverKeys" | "accounts" | "config">;

/**
 * The most push devices one account may have, active or not. Every login is pushed to each active device and every
 * answer reads them all; without a bound, one account could enroll device after device through L9's fresh QR codes
 * and turn each of its logins into thousands of pushes.
 */
export const MAX_PUSH_DEVICES_PER_ACCOUNT = 10;

const invalidLink = () => new ApiError(1103, { description: "The enrollment link is invalid, expired or already used; scan a fresh QR code." });
const tooManyDevices = () =>
  new ApiError(965, {
    description: `This account already has ${MAX_PUSH_DEVICES_PER_ACCOUNT} push devices, the most it may have: remove one before enrolling another (this link stays usable until it expires).`,
  });

/** L6's answer: `isRegistered` (LoginRadius), and (ext) what an app needs to check and name what it receives. */
export interface DeviceRegistered {
  isRegistered: true;
  /** Contract 2.9: the key that signs every push data this device will receive. */
  serverPublicKey: ServerPublicJwk;
  /** The app's `CustomAppName`. */
  appName: string;
  /** The account's email, else username, else phone (as the push data's `identifier`). */
  identifier: string;
  /** The app's `Message`, which an app shows with a request whose push it did not see (one pulled, 2.8). */
  message: string;
}

/**
 * L6: a phone registers its public key and push token with a single-use enrollment token. A phone enrolling
 * again for the same user with the same push token replaces its earlier device (never for the token "none"). If
 * the token came with a login that is still waiting, that login's push goes to the new device at once.
 */
export async function registerDevice(s: RegisterDeviceDeps, appId: string, token: string, offeredDevice: NewDevice): Promise<DeviceRegistered> {
  if (!parseDeviceKey(offeredDevice.publicKey)) {
    throw new ApiError(965, { fields: [{ FieldName: "publicKey", ErrorMessage: "must be the hex of an X.509 SubjectPublicKeyInfo in canonical DER: RSA of 2048 bits or more with exponent 65537, or ECDSA P-256 (uncompressed point)" }] });
  }
  // A web device's token is a push subscription (or "none"): checked, and kept in one form (contract 2.7).
  const kept = deviceTokenFor(offeredDevice.type, offeredDevice.token, { allowPrivate: s.config.ALLOW_PRIVATE_WEBHOOKS });
  if (!kept.ok) throw new ApiError(965, { fields: [{ FieldName: "deviceToken", ErrorMessage: kept.problem }] });
  const device: NewDevice = { ...offeredDevice, token: kept.token };
  // Validate everything before the token is used up, so a malformed request or a full account costs the phone nothing.
  const offered = isGuid(token) ? await s.enrollment.peek(token) : null;
  if (!offered || offered.appId !== appId) throw invalidLink();
  // The same phone scanning again replaces its device, so its earlier device does not count toward the cap.
  const tag = tokenTagOf(s.sealer, offered.appId, offered.uid, device.token);
  const others = (await s.devices.list(offered.appId, offered.uid)).filter((d) => tag === undefined || d.tokenTag !== tag);
  if (others.length >= MAX_PUSH_DEVICES_PER_ACCOUNT) throw tooManyDevices();
  const grant = await s.enrollment.consume(token);
  if (!grant) throw invalidLink();
  // Checked again atomically: two links of one account used at once cannot both take the last place.
  const enrolled = await s.devices.addReplacing(grant.appId, grant.uid, device, MAX_PUSH_DEVICES_PER_ACCOUNT);
  if (!enrolled) throw tooManyDevices();
  const { device: added, replaced } = enrolled;
  await indexDeviceKey(s, grant.appId, grant.uid, added);
  s.logger.info({ app: grant.appId, uid: grant.uid, device: added.id, type: added.type, replaced: replaced.map((d) => d.id) }, "push device enrolled");
  await s.audit.record(grant.appId, { type: "device.enrolled", uid: grant.uid, device: added.id, deviceName: added.name, detail: added.type });
  const app = await s.apps.get(grant.appId);
  const settings = app ? await s.settings.get(app.apiKey, app.name) : null;
  await retireReplacedDevices(s, { appId: grant.appId, uid: grant.uid, by: added }, replaced, settings);
  // On AWS SNS, make the device's platform endpoint now rather than before its first push (the send keeps
  // doing it as a fallback): a wrong PlatformARN or bad credentials then show at once, as 1298.
  // Web devices get Web Push whatever the app's NotificationService (contract 1.5): no endpoint for them.
  if (settings?.IsEnabled && settings.NotificationService === "AWS" && added.type !== "web") {
    await s.queues.enqueueEndpointCreation({ appId: grant.appId, uid: grant.uid, deviceId: added.id });
  }

  const pending = await s.challenges.pendingOf(grant.appId, grant.uid);
  if (pending && pending.status === "Pending" && s.now() < pending.expiresAt) {
    const sendNo = Math.max(1, pending.sends);
    // A replaced device that was counted for this login is this same phone: it counts once.
    const stillCounted = Math.max(0, pending.deviceCount - replaced.filter((d) => d.active).length);
    await s.challenges.update(refOf(pending), {
      sends: sendNo,
      lastSendAt: s.now(),
      delivery: "Queued",
      deviceCount: stillCounted + 1,
    });
    await s.queues.enqueueSends([{ appId: grant.appId, uid: grant.uid, challengeId: pending.id, deviceId: added.id, sendNo }]);
    const updated = await s.challenges.load(refOf(pending));
    if (updated) s.notifier.notify(updated);
  }
  const [serverKey, account] = await Promise.all([s.serverKeys.of(grant.appId), s.accounts.get(grant.appId, grant.uid)]);
  return {
    isRegistered: true,
    serverPublicKey: serverKey.publicJwk,
    appName: settings?.CustomAppName ?? "",
    identifier: account ? displayIdentifierOf(account.profile) : "",
    message: settings?.Message ?? "",
  };
}

import { ApiError } from "../errors.js";
import { isGuid } from "../crypto/tokens.js";
import { parseDeviceKey } from "../crypto/signatures.js";
import type { ServerPublicJwk } from "../crypto/server-key.js";
import { displayIdentifierOf } from "../accounts/identifiers.js";
import { refOf } from "../challenge/challenge-store.js";
import type { NewDevice } from "../devices/device-store.js";
import { retireReplacedDevices } from "../devices/replaced-devices.js";
import type { Services } from "../services.js";
import { indexDeviceKey } from "../realtime/device-index.js";

/** L6's answer: `isRegistered` (LoginRadius), and (ext) what an app needs to check and name what it receives. */
export interface DeviceRegistered {
  isRegistered: true;
  /** Contract 2.9: the key that signs every push data this device will receive. */
  serverPublicKey: ServerPublicJwk;
  /** The app's `CustomAppName`. */
  appName: string;
  /** The account's email, else username, else phone (as the push data's `identifier`). */
  identifier: string;
}

/**
 * L6: a phone registers its public key and push token with a single-use enrollment token. A phone enrolling
 * again for the same user with the same push token replaces its earlier device (never for the token "none"). If
 * the token came with a login that is still waiting, that login's push goes to the new device at once.
 */
export async function registerDevice(s: Services, appId: string, token: string, device: NewDevice): Promise<DeviceRegistered> {
  if (!parseDeviceKey(device.publicKey)) {
    throw new ApiError(965, { fields: [{ FieldName: "publicKey", ErrorMessage: "must be the hex of an X.509 SubjectPublicKeyInfo in canonical DER: RSA of 2048 bits or more with exponent 65537, or ECDSA P-256 (uncompressed point)" }] });
  }
  // Validate everything before the token is used up, so a malformed request costs the phone nothing.
  const grant = isGuid(token) ? await s.enrollment.consume(token) : null;
  if (!grant || grant.appId !== appId) {
    throw new ApiError(1103, { description: "The enrollment link is invalid, expired or already used; scan a fresh QR code." });
  }
  const { device: added, replaced } = await s.devices.addReplacing(grant.appId, grant.uid, device);
  await indexDeviceKey(s, grant.appId, grant.uid, added);
  s.logger.info({ app: grant.appId, uid: grant.uid, device: added.id, type: added.type, replaced: replaced.map((d) => d.id) }, "push device enrolled");
  await s.audit.record(grant.appId, { type: "device.enrolled", uid: grant.uid, device: added.id, detail: added.type });
  const app = await s.apps.get(grant.appId);
  const settings = app ? await s.settings.get(app.apiKey, app.name) : null;
  await retireReplacedDevices(s, { appId: grant.appId, uid: grant.uid, by: added }, replaced, settings);
  // On AWS SNS, make the device's platform endpoint now rather than before its first push (the send keeps
  // doing it as a fallback): a wrong PlatformARN or bad credentials then show at once, as 1298.
  if (settings?.IsEnabled && settings.NotificationService === "AWS") {
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
  };
}

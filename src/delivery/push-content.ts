import type { Challenge } from "../challenge/challenge.js";
import { pushChallengeValue } from "../challenge/number-matching.js";
import { canonicalJson } from "../crypto/canonical-json.js";
import type { Services } from "../services.js";
import type { PushSettings } from "../settings/push-settings.js";
import type { PushData } from "./push-provider.js";

/** What every push of a challenge says, whichever way it travels (SNS, the webhook, the device socket). */
export interface PushContent {
  data: PushData;
  notification: { title: string; body: string };
  /** The challenge's remaining life: no provider may deliver after it. */
  ttlSeconds: number;
}

/** What the notification shows, from the app's settings (contract 1.5): its name as title, `Message` as body. */
export type NotificationText = Pick<PushSettings, "CustomAppName" | "Message">;

/** The push data of contract 1.4 without `serverSignature`: exactly what that signature covers. */
export type UnsignedPushData = Omit<PushData, "serverSignature">;

/**
 * The data keys of contract 1.4 (the device handle opened here, where it is used) and the notification text.
 * The data carries the signature made when the challenge opened (see `serverSignatureOf`), so every copy of it
 * (every device, every resend, the device channel, the signed pull) is the same object, byte for byte.
 */
export function pushContentOf(deps: Pick<Services, "sealer" | "now">, c: Challenge, text: NotificationText): PushContent {
  return {
    data: pushDataOf(deps, c),
    // A backend's own challenge (2.12) says on the phone what the backend asked it to.
    notification: { title: text.CustomAppName, body: c.message || text.Message },
    ttlSeconds: Math.max(1, Math.ceil((c.expiresAt - deps.now()) / 1000)),
  };
}

/** The data of contract 1.4 every copy of a challenge's push carries, signed (2.9). */
export function pushDataOf(s: Pick<Services, "sealer">, c: Challenge): PushData {
  return { ...unsignedPushDataOf(s, c), ...(c.serverSignature && { serverSignature: c.serverSignature }) };
}

/** The data keys of contract 1.4 a challenge's pushes carry, before the server's signature. */
export function unsignedPushDataOf(s: Pick<Services, "sealer">, c: Challenge): UnsignedPushData {
  const challenge = pushChallengeValue(c.numberMode, c.numberOptions);
  return {
    secondfactorauthenticationtoken: s.sealer.open(c.handleSealed, `handle:${c.id}`),
    identifier: c.identifier,
    browser: c.browser,
    location: c.location,
    timestamp: String(Math.floor(c.createdAt / 1000)),
    apikey: c.appId,
    expiresAt: new Date(c.expiresAt).toISOString(),
    ...(challenge !== undefined && { challenge }),
    // Contract 2.12: inside the data the server signs, so nobody on the way can change what the phone shows.
    ...(c.message && { message: c.message }),
    ...(c.context && { context: c.context }),
  };
}

/**
 * Contract 2.9: the app's server key's signature over the RFC 8785 canonical JSON of the challenge's push data.
 * Made once, when the challenge opens, and kept with it: an ECDSA signature differs each time it is made, and the
 * data's fields never change afterwards.
 */
export async function serverSignatureOf(s: Pick<Services, "sealer" | "serverKeys">, c: Challenge): Promise<string> {
  return (await s.serverKeys.of(c.appId)).sign(canonicalJson(unsignedPushDataOf(s, c)));
}

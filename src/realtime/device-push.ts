import type { Challenge } from "../challenge/challenge.js";
import { pushContentOf, type NotificationText } from "../delivery/push-content.js";
import { sendJobId } from "../delivery/queues.js";
import type { Services } from "../services.js";
import type { PushData, PushMessage } from "../delivery/push-provider.js";

/** What an open app receives on `/device`: the push of contract 1.4, without the device's own push token. */
export interface DevicePush {
  /** The idempotency key of this push (per challenge, device and send): the app shows a repeated one once. */
  deliveryId: string;
  data: PushData;
  notification: { title: string; body: string };
  ttlSeconds: number;
}

/** Server → device: a push. */
export const PUSH_EVENT = "push";
/** Server → device: a request ended elsewhere (answered, expired, cancelled); the app removes it (contract 2.13). */
export const ENDED_EVENT = "push:ended";

/** The payload of `push:ended`: the device handle the request's push carried. */
export interface DevicePushEnded {
  secondfactorauthenticationtoken: string;
}

/** Device → server: "I have it", with the delivery id; the worker counts the push as sent only then. */
export const ACK_EVENT = "push:ack";

/** The values of a delivery's ack record (keys.deviceAck): made by the worker awaiting it, filled by the app's ack. */
export const AWAITING_ACK = "0";
export const ACKNOWLEDGED = "1";
/** How long an ack record lives: well past any ack timeout, so a late ack still finds its place. */
export const ACK_RECORD_MS = 120_000;

/** The socket form of a message the worker built for a provider. */
export const devicePushOf = (m: PushMessage): DevicePush => ({
  deliveryId: m.deliveryId,
  data: m.data,
  notification: m.notification,
  ttlSeconds: m.ttlSeconds,
});

/**
 * The push of a login still waiting, for a device that connects after it was sent (the app was closed, or it
 * enrolled a moment before connecting): the same content the worker sends, with the delivery id of the latest send, so an app that already has it shows it once.
 */
export function pendingPushOf(deps: Pick<Services, "sealer" | "now">, c: Challenge, deviceId: string, text: NotificationText): DevicePush {
  return {
    deliveryId: sendJobId({ challengeId: c.id, deviceId, sendNo: Math.max(1, c.sends) }),
    ...pushContentOf(deps, c, text),
  };
}

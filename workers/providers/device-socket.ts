import type { Device } from "../../src/devices/device-store.js";
import { createKeys } from "../../src/keys.js";
import type { RedisClient } from "../../src/redis.js";
import { TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";
import { DEVICE_NAMESPACE } from "../../src/realtime/device-channel.js";
import { deviceRoom } from "../../src/realtime/device-room.js";
import type { DevicePresence } from "../../src/realtime/device-presence.js";
import { ACK_RECORD_MS, ACKNOWLEDGED, AWAITING_ACK, PUSH_EVENT, devicePushOf } from "../../src/realtime/device-push.js";
import type { NamespacedEmitter } from "../../src/realtime/emitters.js";

export interface DeviceSocketDeliveryOptions {
  redis: RedisClient;
  redisPrefix: string;
  /** The worker's Redis emitter (sharded or classic, as the gateway's adapter). */
  emitter: NamespacedEmitter;
  presence: DevicePresence;
  /** How long a connected device has to acknowledge a push before the send is retried another way. @default 3000 */
  ackTimeoutMs?: number;
  /** @default 50 */
  ackPollMs?: number;
}

export interface DeviceSocketDelivery {
  /** SendPushDeps.preferred: the "socket" provider for a device connected right now, else null (the app's provider). */
  preferred(appId: string, device: Device): Promise<PushProvider | null>;
}

/**
 * The third provider, "socket": a push to an open app over `/device`, with no Google or Apple in between. The
 * worker emits through Redis to the device's room and waits for the app's acknowledgement (stored by the gateway
 * node holding the socket); without one in time the device's socket is muted for a while and the send fails as
 * transient, so BullMQ's retry goes through the app's own provider (SNS or the webhook).
 */
export function createDeviceSocketDelivery(o: DeviceSocketDeliveryOptions): DeviceSocketDelivery {
  const keys = createKeys(o.redisPrefix);
  const devicesNsp = o.emitter.of(DEVICE_NAMESPACE);
  const ackTimeoutMs = o.ackTimeoutMs ?? 3000;
  const pollMs = o.ackPollMs ?? 50;

  const provider = (device: Device): PushProvider => ({
    name: "socket",
    async send(message, signal) {
      const appId = message.data.apikey;
      const ackKey = keys.deviceAck(message.deliveryId);
      // The place the app's ack may fill, made before the push goes out: the gateway records an ack only where one
      // is awaited, so acks of deliveries never sent write nothing. NX keeps an ack already there (a retried send).
      await o.redis.set(ackKey, AWAITING_ACK, "PX", ACK_RECORD_MS, "NX");
      await devicesNsp.to(deviceRoom(appId, device.id)).emit(PUSH_EVENT, devicePushOf(message));
      const deadline = Date.now() + ackTimeoutMs;
      while (Date.now() < deadline && !signal.aborted) {
        if ((await o.redis.get(ackKey)) === ACKNOWLEDGED) return;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      await o.presence.mute(appId, device.id).catch(() => undefined);
      throw new TransientDeliveryError("the device's socket did not acknowledge the push");
    },
  });

  return {
    async preferred(appId, device) {
      return (await o.presence.isOnline(appId, device.id).catch(() => false)) ? provider(device) : null;
    },
  };
}

import { randomUUID } from "node:crypto";
import type { Sealer } from "../crypto/sealed.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";

/** A push device as stored: the public key answers are checked with, and the push token sealed. */
export interface Device {
  id: string;
  name: string;
  type: "android" | "ios";
  publicKey: string;
  /** The FCM/APNs token, sealed under the master key. */
  tokenSealed: string;
  /** SNS platform endpoint, when the app uses AWS SNS. */
  endpointArn?: string;
  active: boolean;
  createdAt: string;
}

export interface NewDevice {
  name: string;
  type: "android" | "ios";
  publicKey: string;
  token: string;
}

export interface DeviceStore {
  add(appId: string, uid: string, device: NewDevice): Promise<Device>;
  list(appId: string, uid: string): Promise<Device[]>;
  get(appId: string, uid: string, deviceId: string): Promise<Device | null>;
  /** The device's push token in clear, for the provider that sends to it. */
  openToken(appId: string, uid: string, device: Device): string;
  update(appId: string, uid: string, device: Device): Promise<void>;
  /** Remove every device of the user; returns what was removed (so SNS endpoints can be deleted). */
  removeAll(appId: string, uid: string): Promise<Device[]>;
}

export function createDeviceStore(redis: RedisClient, keys: Keys, sealer: Sealer, now: () => Date = () => new Date()): DeviceStore {
  const context = (appId: string, uid: string, id: string) => `device:${appId}:${uid}:${id}`;
  const parseAll = (raw: Record<string, string>) =>
    Object.values(raw)
      .map((v) => JSON.parse(v) as Device)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));

  return {
    async add(appId, uid, d) {
      const id = randomUUID();
      const device: Device = {
        id,
        name: d.name,
        type: d.type,
        publicKey: d.publicKey,
        tokenSealed: sealer.seal(d.token, context(appId, uid, id)),
        active: true,
        createdAt: now().toISOString(),
      };
      await redis.hset(keys.devices(appId, uid), id, JSON.stringify(device));
      return device;
    },
    async list(appId, uid) {
      return parseAll(await redis.hgetall(keys.devices(appId, uid)));
    },
    async get(appId, uid, deviceId) {
      const raw = await redis.hget(keys.devices(appId, uid), deviceId);
      return raw ? (JSON.parse(raw) as Device) : null;
    },
    openToken: (appId, uid, device) => sealer.open(device.tokenSealed, context(appId, uid, device.id)),
    async update(appId, uid, device) {
      // HSETXX semantics: never resurrect a device a reset removed meanwhile.
      const key = keys.devices(appId, uid);
      if (await redis.hexists(key, device.id)) await redis.hset(key, device.id, JSON.stringify(device));
    },
    async removeAll(appId, uid) {
      const key = keys.devices(appId, uid);
      const [[, raw]] = (await redis.multi().hgetall(key).del(key).exec()) as [[Error | null, Record<string, string>]];
      return parseAll(raw ?? {});
    },
  };
}

import { randomUUID } from "node:crypto";
import type { Sealer } from "../crypto/sealed.js";
import type { Keys } from "../keys.js";
import { defineScript, type RedisClient } from "../redis.js";

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
  /** The PlatformARN the endpoint was made under: another one in the settings means a new endpoint. */
  endpointPlatformArn?: string;
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
  /** Add a device only while the user has fewer than `max`, atomically (two enrollments racing cannot both pass); null when full. */
  addWithin(appId: string, uid: string, device: NewDevice, max: number): Promise<Device | null>;
  /** How many devices the user has, active or not. */
  count(appId: string, uid: string): Promise<number>;
  list(appId: string, uid: string): Promise<Device[]>;
  get(appId: string, uid: string, deviceId: string): Promise<Device | null>;
  /** The device's push token in clear, for the provider that sends to it. */
  openToken(appId: string, uid: string, device: Device): string;
  update(appId: string, uid: string, device: Device): Promise<void>;
  /**
   * Change some fields of a device atomically (no lost update between two workers), only while it exists.
   * False when a reset removed it meanwhile.
   */
  patch(appId: string, uid: string, deviceId: string, fields: DevicePatch): Promise<boolean>;
  /** Remove every device of the user; returns what was removed (so SNS endpoints can be deleted). */
  removeAll(appId: string, uid: string): Promise<Device[]>;
  /** Give one device of the user a new name, atomically; false when the user has no such device. */
  rename(appId: string, uid: string, deviceId: string, name: string): Promise<boolean>;
  /** Remove one device of the user; returns it (so its SNS endpoint can be deleted), or null when there is none. */
  remove(appId: string, uid: string, deviceId: string): Promise<Device | null>;
}

export type DevicePatch = Partial<Pick<Device, "active" | "endpointArn" | "endpointPlatformArn">>;

/** KEYS: the user's devices hash. ARGV: device id, JSON of the fields to set. Returns 1, or 0 when it is gone. */
const patchScript = defineScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local device = cjson.decode(raw)
for k, v in pairs(cjson.decode(ARGV[2])) do device[k] = v end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(device))
return 1
`);

/** KEYS: the user's devices hash. ARGV: device id, device JSON, the most devices. Returns 1, or 0 when it is full. */
const addWithinScript = defineScript(`
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/** KEYS: the user's devices hash. ARGV: device id. Returns the removed device's JSON, or false when it is gone. */
const removeScript = defineScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then redis.call('HDEL', KEYS[1], ARGV[1]) end
return raw
`);

export function createDeviceStore(redis: RedisClient, keys: Keys, sealer: Sealer, now: () => Date = () => new Date()): DeviceStore {
  const context = (appId: string, uid: string, id: string) => `device:${appId}:${uid}:${id}`;
  const parseAll = (raw: Record<string, string>) =>
    Object.values(raw)
      .map((v) => JSON.parse(v) as Device)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));

  const newDevice = (appId: string, uid: string, d: NewDevice): Device => {
    const id = randomUUID();
    return {
      id,
      name: d.name,
      type: d.type,
      publicKey: d.publicKey,
      tokenSealed: sealer.seal(d.token, context(appId, uid, id)),
      active: true,
      createdAt: now().toISOString(),
    };
  };

  return {
    async add(appId, uid, d) {
      const device = newDevice(appId, uid, d);
      await redis.hset(keys.devices(appId, uid), device.id, JSON.stringify(device));
      return device;
    },
    async addWithin(appId, uid, d, max) {
      const device = newDevice(appId, uid, d);
      const added = await addWithinScript(redis, [keys.devices(appId, uid)], [device.id, JSON.stringify(device), max]);
      return added === 1 ? device : null;
    },
    count: (appId, uid) => redis.hlen(keys.devices(appId, uid)),
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
    async patch(appId, uid, deviceId, fields) {
      return (await patchScript(redis, [keys.devices(appId, uid)], [deviceId, JSON.stringify(fields)])) === 1;
    },
    async removeAll(appId, uid) {
      const key = keys.devices(appId, uid);
      const [[, raw]] = (await redis.multi().hgetall(key).del(key).exec()) as [[Error | null, Record<string, string>]];
      return parseAll(raw ?? {});
    },
    async rename(appId, uid, deviceId, name) {
      return (await patchScript(redis, [keys.devices(appId, uid)], [deviceId, JSON.stringify({ name })])) === 1;
    },
    async remove(appId, uid, deviceId) {
      const raw = await removeScript(redis, [keys.devices(appId, uid)], [deviceId]);
      return typeof raw === "string" ? (JSON.parse(raw) as Device) : null;
    },
  };
}

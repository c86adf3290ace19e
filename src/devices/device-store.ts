import { randomUUID, type JsonWebKey } from "node:crypto";
import type { Sealer } from "../crypto/sealed.js";
import { deviceKeyJwk } from "../crypto/signatures.js";
import type { Keys } from "../keys.js";
import { defineScript, type RedisClient } from "../redis.js";

/** What kind of device enrolled (L6): a phone's platform, or a browser (`web`, the authenticator app of 2.10). */
export type DeviceType = "android" | "ios" | "web";

/** A push device as stored: the public key answers are checked with, and the push token sealed. */
export interface Device {
  id: string;
  name: string;
  type: DeviceType;
  publicKey: string;
  /** The same public key as a JWK (devices enrolled since it was kept): read ten times faster than the hex's DER. */
  publicKeyJwk?: JsonWebKey;
  /** The FCM/APNs token (for `web`, the push subscription's JSON or "none"), sealed under the master key. */
  tokenSealed: string;
  /**
   * A keyed hash of the token (`tokenTagOf`), to find the same token again without opening every device's: a
   * phone scanning again replaces its earlier device (L6). Absent for the token "none", and on devices enrolled
   * before it was kept (never `web` ones: for them, absent means "none", see `pullsOnly` in push-route.ts).
   */
  tokenTag?: string;
  /** SNS platform endpoint, when the app uses AWS SNS. */
  endpointArn?: string;
  /** The PlatformARN the endpoint was made under: another one in the settings means a new endpoint. */
  endpointPlatformArn?: string;
  active: boolean;
  createdAt: string;
  /** When it last answered a push (the console's "last used"). */
  lastUsedAt?: string;
  /** Why it was marked inactive (a provider's permanent refusal), until a new push token revives it. */
  inactiveReason?: string;
}

export interface NewDevice {
  name: string;
  type: DeviceType;
  publicKey: string;
  token: string;
}

/** The push token of a device that has no push service and only pulls (contract L6, 2.8): never deduplicated. */
export const NO_PUSH_TOKEN = "none";

export interface DeviceStore {
  add(appId: string, uid: string, device: NewDevice): Promise<Device>;
  /**
   * L6: add a device within the user's cap of `max` devices, removing in the same atomic step the user's devices
   * registered with the same push token (the same phone scanning again: the LoginRadius SDK makes a new key on
   * every scan but keeps its FCM token; never for the token "none"). The devices it replaces do not count toward
   * the cap, and two enrollments racing cannot both take the last place. Null when the user is full (nothing
   * changed); else the new device and the ones it replaced.
   */
  addReplacing(appId: string, uid: string, device: NewDevice, max: number): Promise<{ device: Device; replaced: Device[] } | null>;
  /** How many devices the user has, active or not. */
  count(appId: string, uid: string): Promise<number>;
  /**
   * Contract 2.8: give a device a new push token, atomically: it becomes active again, and forgets its SNS
   * endpoint (made for the old token). Returns the device as it was before (old token and endpoint), or null when
   * it is gone.
   */
  replaceToken(appId: string, uid: string, deviceId: string, token: string): Promise<Device | null>;
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

export type DevicePatch = Partial<Pick<Device, "active" | "endpointArn" | "endpointPlatformArn" | "lastUsedAt" | "inactiveReason">>;

/** KEYS: the user's devices hash. ARGV: device id, JSON of the fields to set. Returns 1, or 0 when it is gone. */
const patchScript = defineScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local device = cjson.decode(raw)
for k, v in pairs(cjson.decode(ARGV[2])) do device[k] = v end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(device))
return 1
`);

/**
 * KEYS: the user's devices hash. ARGV: new device id, its JSON, its token tag ("" to replace nothing), the most
 * devices. Returns false when the user already has the most devices not being replaced (nothing changes), else the
 * JSON of the devices removed for having that tag.
 */
const addReplacingScript = defineScript(`
local all = redis.call('HGETALL', KEYS[1])
local replaced, ids = {}, {}
if ARGV[3] ~= '' then
  for i = 1, #all, 2 do
    local ok, device = pcall(cjson.decode, all[i + 1])
    if ok and type(device) == 'table' and device.tokenTag == ARGV[3] then
      table.insert(ids, all[i])
      table.insert(replaced, all[i + 1])
    end
  end
end
if (#all / 2) - #ids >= tonumber(ARGV[4]) then return false end
for _, id in ipairs(ids) do redis.call('HDEL', KEYS[1], id) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return replaced
`);

/**
 * KEYS: the user's devices hash. ARGV: device id, sealed token, token tag ("" for none). Sets the token, makes the
 * device active and drops its SNS endpoint fields. Returns the device's JSON as it was, or false when it is gone.
 */
const replaceTokenScript = defineScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local device = cjson.decode(raw)
device.tokenSealed = ARGV[2]
device.tokenTag = ARGV[3] ~= '' and ARGV[3] or nil
device.active = true
device.inactiveReason = nil
device.endpointArn = nil
device.endpointPlatformArn = nil
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(device))
return raw
`);

/** KEYS: the user's devices hash. ARGV: device id. Returns the removed device's JSON, or false when it is gone. */
const removeScript = defineScript(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then redis.call('HDEL', KEYS[1], ARGV[1]) end
return raw
`);

/**
 * The keyed hash a device's push token is found by: under the master key (so a Redis dump cannot test a guessed
 * token), and of this user of this app only (so equal tags do not show that two accounts share a phone). "none"
 * has none.
 */
export function tokenTagOf(sealer: Pick<Sealer, "keyedHash">, appId: string, uid: string, token: string): string | undefined {
  return token === NO_PUSH_TOKEN ? undefined : sealer.keyedHash("device-token", JSON.stringify([appId, uid, token]));
}

const parse = (raw: string) => JSON.parse(raw) as Device;

/** A user's devices from their hash (device id → JSON), oldest first. */
export const parseDevices = (raw: Record<string, string>): Device[] =>
  Object.values(raw)
    .map(parse)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));

export function createDeviceStore(redis: RedisClient, keys: Keys, sealer: Sealer, now: () => Date = () => new Date()): DeviceStore {
  const context = (appId: string, uid: string, id: string) => `device:${appId}:${uid}:${id}`;
  const build = (appId: string, uid: string, d: NewDevice): Device => {
    const id = randomUUID();
    const tokenTag = tokenTagOf(sealer, appId, uid, d.token);
    const publicKeyJwk = deviceKeyJwk(d.publicKey);
    return {
      id,
      name: d.name,
      type: d.type,
      publicKey: d.publicKey,
      ...(publicKeyJwk && { publicKeyJwk }),
      tokenSealed: sealer.seal(d.token, context(appId, uid, id)),
      ...(tokenTag !== undefined && { tokenTag }),
      active: true,
      createdAt: now().toISOString(),
    };
  };

  return {
    async add(appId, uid, d) {
      const device = build(appId, uid, d);
      await redis.hset(keys.devices(appId, uid), device.id, JSON.stringify(device));
      return device;
    },
    async addReplacing(appId, uid, d, max) {
      const device = build(appId, uid, d);
      const replaced = await addReplacingScript(redis, [keys.devices(appId, uid)], [device.id, JSON.stringify(device), device.tokenTag ?? "", max]);
      return Array.isArray(replaced) ? { device, replaced: (replaced as string[]).map(parse) } : null;
    },
    count: (appId, uid) => redis.hlen(keys.devices(appId, uid)),
    async replaceToken(appId, uid, deviceId, token) {
      const sealed = sealer.seal(token, context(appId, uid, deviceId));
      const raw = await replaceTokenScript(redis, [keys.devices(appId, uid)], [deviceId, sealed, tokenTagOf(sealer, appId, uid, token) ?? ""]);
      return typeof raw === "string" ? parse(raw) : null;
    },
    async list(appId, uid) {
      return parseDevices(await redis.hgetall(keys.devices(appId, uid)));
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
      return parseDevices(raw ?? {});
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

import type { Namespace, Server, Socket } from "socket.io";
import { ApiError } from "../errors.js";
import { devicesSigning } from "../devices/signed-request.js";
import { SIGNED_TIMESTAMP_TOLERANCE_MS } from "../devices/signed-timestamp.js";
import type { Services } from "../services.js";
import type { DeviceKeyIndexDeps } from "../devices/device-key-index.js";
import { keyFingerprint } from "../devices/key-fingerprint.js";
import { deviceRoom, deviceUserRoom } from "./device-room.js";
import type { DevicePresence, PresenceEntry } from "./device-presence.js";
import { ACK_EVENT, ACK_RECORD_MS, ACKNOWLEDGED, PUSH_EVENT, pendingPushOf } from "./device-push.js";
import { authOf, guard, handshakeApp } from "./handshake.js";
import { createSocketCaps } from "./socket-caps.js";

/** The namespace an open phone app connects to. */
export const DEVICE_NAMESPACE = "/device";

/**
 * Sockets one gateway node holds per device key. An app keeps one; a few more cover the sockets a phone leaves
 * behind when it changes networks, until the server's ping timeout notices them. Without a cap, one enrolled key
 * could open a socket for every fresh timestamp it signs, for as long as it likes.
 */
export const DEVICE_SOCKETS_PER_KEY = 10;

/** The text a device signs to connect: `device:<apikey>:<timestamp>` (timestamp: Unix milliseconds, as sent). */
export const deviceHandshakeText = (apiKey: string, timestamp: string): string => `device:${apiKey}:${timestamp}`;

export interface DeviceChannelOptions {
  presence: DevicePresence;
  /** Rate-limit key of a socket's handshake (its client IP). */
  clientIp: (socket: Socket) => string;
  /** How far the handshake's timestamp may be from the server's clock. @default 60_000 */
  clockToleranceMs?: number;
}

/**
 * What the device channel touches: its handshake's limit, the app, the key index and the devices behind it, the
 * replay record of signed timestamps, acknowledgements, and the pending login whose push a connecting app is given.
 */
export type DeviceChannelDeps = DeviceKeyIndexDeps &
  Pick<Services, "limits" | "apps" | "devices" | "settings" | "challenges" | "sealer" | "logger" | "now">;

interface DeviceSocketData {
  appId: string;
  devices: Array<{ uid: string; deviceId: string }>;
}

const dataOf = (socket: Socket): DeviceSocketData => socket.data as DeviceSocketData;
const DELIVERY_ID = /^send\.[0-9a-f-]{36}\.([0-9a-f-]{36})\.\d{1,6}$/;

/**
 * Contract ext: the device channel. An open app connects to `/device` with `auth: { apikey, publicKey, timestamp,
 * signature }`, the signature by its enrolled key over `device:<apikey>:<timestamp>` (RSA PKCS#1 v1.5 or ECDSA
 * P-256, DER or WebCrypto's r||s, hex) under contract 2.8's replay rule: within ±60 s, each timestamp once per
 * key. Only an enrolled key's signature is checked: an unknown key costs a lookup, never a verify. It joins the
 * room of every device enrolled with that key, is marked present so the worker sends it pushes directly
 * ("socket" provider), and gets at once the push of a login still waiting for one of its users. Each node holds
 * at most DEVICE_SOCKETS_PER_KEY sockets of one key; past it the handshake is refused 429 with `RetryAfter`.
 */
export function attachDeviceChannel(io: Server, deps: DeviceChannelDeps, options: DeviceChannelOptions): { close(): void } {
  const nsp: Namespace = io.of(DEVICE_NAMESPACE);
  const tolerance = options.clockToleranceMs ?? SIGNED_TIMESTAMP_TOLERANCE_MS;
  const entriesOf = (socket: Socket): PresenceEntry[] => {
    const d = dataOf(socket);
    return d.devices.map((x) => ({ appId: d.appId, deviceId: x.deviceId, socketId: socket.id }));
  };

  // Per key only: many phones share a carrier's address, and every key is an enrollment someone had to make.
  const caps = createSocketCaps({ perCredential: DEVICE_SOCKETS_PER_KEY, perAddress: 0 });

  nsp.use(
    guard(deps.logger, async (socket) => {
      await deps.limits.handshakePerIp(options.clientIp(socket));
      const auth = authOf(socket);
      const app = await handshakeApp(deps, auth.apikey);
      const { devices } = await devicesSigning(deps, app.apiKey, auth, (timestamp) => deviceHandshakeText(String(auth.apikey), timestamp), {
        toleranceMs: tolerance,
        refused,
      });
      // Last, and synchronous: only a handshake that succeeds takes a place.
      caps.hold(socket, keyFingerprint(String(auth.publicKey)), options.clientIp(socket));
      socket.data = { appId: app.apiKey, devices: devices.map((d) => ({ uid: d.uid, deviceId: d.device.id })) } satisfies DeviceSocketData;
    }),
  );

  nsp.on("connection", (socket) => {
    onConnection(socket).catch((err: unknown) => deps.logger.warn({ err: { message: (err as Error)?.message } }, "device socket setup failed"));
  });

  async function onConnection(socket: Socket): Promise<void> {
    const { appId, devices } = dataOf(socket);
    socket.on(ACK_EVENT, (deliveryId: unknown) => {
      const m = typeof deliveryId === "string" ? DELIVERY_ID.exec(deliveryId) : null;
      if (!m || !devices.some((d) => d.deviceId === m[1])) return;
      // XX: only a delivery the worker awaits has a record to fill; a made-up delivery id writes nothing.
      deps.redis.set(deps.keys.deviceAck(deliveryId as string), ACKNOWLEDGED, "PX", ACK_RECORD_MS, "XX").catch(() => undefined);
    });
    socket.on("disconnect", () => {
      options.presence.clear(entriesOf(socket)).catch(() => undefined);
    });
    // Its devices' rooms (pushes) and their users' rooms (`push:ended` of their requests, contract 2.13).
    await socket.join([...devices.map((d) => deviceRoom(appId, d.deviceId)), ...new Set(devices.map((d) => deviceUserRoom(appId, d.uid)))]);
    await Promise.all(devices.map((d) => options.presence.unmute(appId, d.deviceId)));
    await options.presence.mark(entriesOf(socket));
    deps.logger.debug({ app: appId, devices: devices.map((d) => d.deviceId) }, "device connected");

    // Catch up: the push of a login that waits for one of this phone's users.
    const app = await deps.apps.get(appId);
    if (!app) return;
    const settings = await deps.settings.get(app.apiKey, app.name);
    for (const uid of new Set(devices.map((d) => d.uid))) {
      const c = await deps.challenges.pendingOf(appId, uid);
      if (!c || c.status !== "Pending" || deps.now() >= c.expiresAt || c.sends < 1) continue;
      for (const d of devices.filter((x) => x.uid === uid)) {
        if (socket.connected) socket.emit(PUSH_EVENT, pendingPushOf(deps, c, d.deviceId, settings));
      }
    }
  }

  // Presence lapses unless refreshed: one timer per node for all its device sockets.
  const heartbeat = setInterval(() => {
    const entries = [...nsp.sockets.values()].flatMap(entriesOf);
    options.presence.mark(entries).catch(() => undefined);
  }, Math.max(1000, Math.floor(options.presence.ttlMs / 3)));
  heartbeat.unref();

  return {
    close() {
      clearInterval(heartbeat);
    },
  };
}

const refused = (why: string) => new ApiError(1297, { description: `The device handshake was refused: ${why}` });

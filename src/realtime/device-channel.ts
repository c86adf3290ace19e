import type { Namespace, Server, Socket } from "socket.io";
import { ApiError } from "../errors.js";
import { devicesSigning } from "../devices/signed-request.js";
import { SIGNED_TIMESTAMP_TOLERANCE_MS } from "../devices/signed-timestamp.js";
import type { Services } from "../services.js";
import { deviceRoom } from "./device-keys.js";
import type { DevicePresence, PresenceEntry } from "./device-presence.js";
import { ACK_EVENT, PUSH_EVENT, pendingPushOf } from "./device-push.js";
import { authOf, guard, handshakeApp } from "./handshake.js";

/** The namespace an open phone app connects to. */
export const DEVICE_NAMESPACE = "/device";

/** The text a device signs to connect: `device:<apikey>:<timestamp>` (timestamp: Unix milliseconds, as sent). */
export const deviceHandshakeText = (apiKey: string, timestamp: string): string => `device:${apiKey}:${timestamp}`;

export interface DeviceChannelOptions {
  presence: DevicePresence;
  /** Rate-limit key of a socket's handshake (its client IP). */
  clientIp: (socket: Socket) => string;
  /** How far the handshake's timestamp may be from the server's clock. @default 60_000 */
  clockToleranceMs?: number;
}

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
 * ("socket" provider), and gets at once the push of a login still waiting for one of its users.
 */
export function attachDeviceChannel(io: Server, s: Services, o: DeviceChannelOptions): { close(): void } {
  const nsp: Namespace = io.of(DEVICE_NAMESPACE);
  const tolerance = o.clockToleranceMs ?? SIGNED_TIMESTAMP_TOLERANCE_MS;
  const entriesOf = (socket: Socket): PresenceEntry[] => {
    const d = dataOf(socket);
    return d.devices.map((x) => ({ appId: d.appId, deviceId: x.deviceId, socketId: socket.id }));
  };

  nsp.use(
    guard(s.logger, async (socket) => {
      await s.limits.handshakePerIp(o.clientIp(socket));
      const auth = authOf(socket);
      const app = await handshakeApp(s, auth.apikey);
      const { devices } = await devicesSigning(s, app.apiKey, auth, (timestamp) => deviceHandshakeText(String(auth.apikey), timestamp), {
        toleranceMs: tolerance,
        refused,
      });
      socket.data = { appId: app.apiKey, devices: devices.map((d) => ({ uid: d.uid, deviceId: d.device.id })) } satisfies DeviceSocketData;
    }),
  );

  nsp.on("connection", (socket) => {
    onConnection(socket).catch((err: unknown) => s.logger.warn({ err: { message: (err as Error)?.message } }, "device socket setup failed"));
  });

  async function onConnection(socket: Socket): Promise<void> {
    const { appId, devices } = dataOf(socket);
    socket.on(ACK_EVENT, (deliveryId: unknown) => {
      const m = typeof deliveryId === "string" ? DELIVERY_ID.exec(deliveryId) : null;
      if (!m || !devices.some((d) => d.deviceId === m[1])) return;
      s.redis.set(s.keys.deviceAck(deliveryId as string), "1", "PX", 120_000).catch(() => undefined);
    });
    socket.on("disconnect", () => {
      o.presence.clear(entriesOf(socket)).catch(() => undefined);
    });
    await socket.join(devices.map((d) => deviceRoom(appId, d.deviceId)));
    await Promise.all(devices.map((d) => o.presence.unmute(appId, d.deviceId)));
    await o.presence.mark(entriesOf(socket));
    s.logger.debug({ app: appId, devices: devices.map((d) => d.deviceId) }, "device connected");

    // Catch up: the push of a login that waits for one of this phone's users.
    const app = await s.apps.get(appId);
    if (!app) return;
    const settings = await s.settings.get(app.apiKey, app.name);
    for (const uid of new Set(devices.map((d) => d.uid))) {
      const c = await s.challenges.pendingOf(appId, uid);
      if (!c || c.status !== "Pending" || s.now() >= c.expiresAt || c.sends < 1) continue;
      for (const d of devices.filter((x) => x.uid === uid)) {
        if (socket.connected) socket.emit(PUSH_EVENT, pendingPushOf(s, c, d.deviceId, settings.CustomAppName));
      }
    }
  }

  // Presence lapses unless refreshed: one timer per node for all its device sockets.
  const heartbeat = setInterval(() => {
    const entries = [...nsp.sockets.values()].flatMap(entriesOf);
    o.presence.mark(entries).catch(() => undefined);
  }, Math.max(1000, Math.floor(o.presence.ttlMs / 3)));
  heartbeat.unref();

  return {
    close() {
      clearInterval(heartbeat);
    },
  };
}

const refused = (why: string) => new ApiError(1297, { description: `The device handshake was refused: ${why}` });

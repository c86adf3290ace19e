/**
 * Contract 2.13: while the app is open, each account keeps a socket on its gateway's `/device` namespace, signed
 * with its own key on every (re)connection. Requests arrive as `push` (acknowledged at once with `push:ack`), and a
 * request that ended elsewhere as `push:ended`.
 */
import type { Socket } from "socket.io-client";
import type { IoFactory } from "../shared/socket-io.js";
import type { DevicePush, DevicePushEnded, ErrorBody } from "../shared/wire.js";
import type { Account } from "./account-store.js";
import { freshTimestamp, sign } from "./device-key.js";

export interface ChannelEvents {
  onPush(push: DevicePush): void;
  onEnded(handle: string): void;
  /** The socket is (re)connected: a good moment to pull what may have been missed. */
  onConnected(): void;
  /** The gateway refused the handshake with this error (1313: the device is no longer enrolled there). */
  onRefused(error: ErrorBody): void;
}

export function openDeviceChannel(io: IoFactory, account: Account, events: ChannelEvents): Socket {
  const socket = io(`${account.origin}/device`, {
    transports: ["websocket"],
    forceNew: true,
    reconnectionDelayMax: 10_000,
    // Called on every (re)connection: a fresh timestamp, a fresh signature.
    auth: (cb) => {
      const timestamp = freshTimestamp();
      void sign(account.privateKey, `device:${account.apikey}:${timestamp}`).then((signature) =>
        cb({ apikey: account.apikey, publicKey: account.publicKey, timestamp, signature }),
      );
    },
  });
  socket.on("connect", () => events.onConnected());
  socket.on("disconnect", (reason) => {
    // The gateway closed it (a node draining): come back, a little later, as any client of a restarted node.
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 500 + Math.random() * 1000);
  });
  socket.on("connect_error", (err: Error & { data?: ErrorBody }) => {
    if (!err.data) return; // the transport failed: Socket.IO retries by itself
    events.onRefused(err.data);
    if (err.data.ErrorCode !== 1313) setTimeout(() => socket.connect(), 5000 + Math.random() * 5000);
  });
  socket.on("push", (push: DevicePush) => {
    socket.emit("push:ack", push.deliveryId);
    events.onPush(push);
  });
  socket.on("push:ended", (ended: Partial<DevicePushEnded> | undefined) => {
    if (typeof ended?.secondfactorauthenticationtoken === "string") events.onEnded(ended.secondfactorauthenticationtoken);
  });
  return socket;
}

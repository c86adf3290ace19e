import { io, type Socket } from "socket.io-client";
import type { DevicePush, DevicePushEnded } from "../../src/realtime/device-push.js";
import { deviceHandshakeText } from "../../src/realtime/device-channel.js";
import { Arrivals } from "./arrivals.js";
import type { TestPhone } from "./phone.js";
import { freshTimestamp } from "./signed-device.js";

/**
 * An open app on the device channel (contract 2.13), as the authenticator app holds it: pushes received and
 * acknowledged, and the requests announced as ended elsewhere (`push:ended`).
 */
export class TestDeviceSocket {
  readonly pushes: DevicePush[] = [];
  readonly ended: DevicePushEnded[] = [];
  readonly socket: Socket;
  private readonly arrivals = new Arrivals();

  private constructor(url: string, auth: Record<string, unknown>) {
    this.socket = io(`${url}/device`, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
    this.socket.on("push", (p: DevicePush) => {
      this.socket.emit("push:ack", p.deliveryId);
      this.pushes.push(p);
      this.arrivals.arrived();
    });
    this.socket.on("push:ended", (e: DevicePushEnded) => {
      this.ended.push(e);
      this.arrivals.arrived();
    });
  }

  static async connect(node: { url: string; apiKey: string }, phone: TestPhone): Promise<TestDeviceSocket> {
    const timestamp = freshTimestamp();
    const auth = { apikey: node.apiKey, publicKey: phone.publicKeyHex, timestamp, signature: phone.sign(deviceHandshakeText(node.apiKey, timestamp)) };
    const d = new TestDeviceSocket(node.url, auth);
    await new Promise<void>((resolve, reject) => {
      d.socket.once("connect", () => resolve());
      d.socket.once("connect_error", reject);
    });
    return d;
  }

  /** The first push, already received or to come, that satisfies `pred` (bounded). */
  push(pred: (p: DevicePush) => boolean = () => true, timeoutMs = 10_000): Promise<DevicePush> {
    return this.arrivals.first(this.pushes, pred, timeoutMs, () => `no matching push among ${this.pushes.length}`);
  }

  /** The `push:ended` of this handle, already received or to come (bounded). */
  endedOf(handle: string, timeoutMs = 10_000): Promise<DevicePushEnded> {
    return this.arrivals.first(this.ended, (e) => e.secondfactorauthenticationtoken === handle, timeoutMs, () => `no push:ended for it among ${this.ended.length}`);
  }

  close(): void {
    this.socket.disconnect();
  }
}

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import type { DevicePush } from "../src/realtime/device-push.js";
import { deviceHandshakeText } from "../src/realtime/device-channel.js";
import { Arrivals } from "./support/arrivals.js";
import { refusedHandshake, TestPage } from "./support/cluster.js";
import { challengeOfToken } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { carriesHandleOf, pushOfLogin } from "./support/pushes.js";
import { createAccount, login, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * The device channel: an open app connects to `/device` with a handshake signed by its enrolled key and gets its
 * pushes there (the "socket" provider), acknowledging each; the app's own provider is the fallback.
 */

/** A phone app that keeps its key in WebCrypto, as the authenticator app does: P-256, r||s signatures. */
class WebCryptoPhone {
  publicKeyHex = "";
  private key: CryptoKey | undefined;
  readonly deviceToken = `fcm-${Math.random().toString(36).slice(2)}`;
  async init(): Promise<this> {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    this.key = pair.privateKey;
    this.publicKeyHex = Buffer.from(await crypto.subtle.exportKey("spki", pair.publicKey)).toString("hex");
    return this;
  }
  async sign(text: string): Promise<string> {
    return Buffer.from(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.key!, new TextEncoder().encode(text))).toString("hex");
  }
  enroll(url: string) {
    return call(url, "POST", url, { json: { deviceName: "WebCrypto phone", deviceType: "ios", publicKey: this.publicKeyHex, deviceToken: this.deviceToken } });
  }
}

type AnyPhone = TestPhone | WebCryptoPhone;

/** The app's socket: pushes received, acknowledged unless told not to. */
class DeviceSocket {
  readonly pushes: DevicePush[] = [];
  readonly socket: Socket;
  private readonly arrivals = new Arrivals();
  private constructor(url: string, auth: Record<string, unknown>, ack: boolean) {
    this.socket = io(`${url}/device`, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
    this.socket.on("push", (p: DevicePush) => {
      if (ack) this.socket.emit("push:ack", p.deliveryId);
      this.pushes.push(p);
      this.arrivals.arrived();
    });
  }
  static async connect(gw: TestGateway, phone: AnyPhone, o: { ack?: boolean; timestamp?: string } = {}): Promise<DeviceSocket> {
    const timestamp = o.timestamp ?? String(Date.now());
    const auth = { apikey: gw.apiKey, publicKey: phone.publicKeyHex, timestamp, signature: await phone.sign(deviceHandshakeText(gw.apiKey, timestamp)) };
    const d = new DeviceSocket(gw.url, auth, o.ack ?? true);
    await new Promise<void>((resolve, reject) => {
      d.socket.once("connect", () => resolve());
      d.socket.once("connect_error", reject);
    });
    return d;
  }
  /** The first push, already received or to come, that satisfies `pred` (bounded). */
  waitFor(pred: (p: DevicePush) => boolean, timeoutMs = 10_000): Promise<DevicePush> {
    return this.arrivals.first(this.pushes, pred, timeoutMs, () => `no matching push among ${this.pushes.length}`);
  }
  close() {
    this.socket.disconnect();
  }
}

let gw: TestGateway;
let receiver: WebhookReceiver;
const closers: Array<() => void> = [];
let n = 0;
const email = () => `dev${++n}-${Date.now()}@example.com`;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-device-signing-secret-01").start();
  await useWebhook(gw, receiver, { CustomAppName: "Acme Authenticator", NumberMatching: "PickOne" });
});
afterEach(() => {
  for (const c of closers.splice(0)) c();
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** Account, then enroll `phone` through the QR of a first login (whose push goes out by the webhook). */
async function enrolled(phone: AnyPhone) {
  const user = email();
  await createAccount(gw, user);
  const first = await login(gw, user);
  const firstToken = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  expect((await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url)).status).toBe(200);
  await pushOfLogin(gw, receiver, firstToken);
  return { user, firstToken, first: await challengeOfToken(gw, firstToken) };
}
const track = <T extends { close(): void }>(x: T): T => {
  closers.push(() => x.close());
  return x;
};

describe("the device channel", () => {
  it("an open app gets the push over its socket, not the webhook; the page hears Sent; the answer approves", async () => {
    const phone = await new WebCryptoPhone().init();
    const { user, first } = await enrolled(phone);
    const device = track(await DeviceSocket.connect(gw, phone));
    // On connect, the app first gets the enrollment's login, still waiting (see the catch-up test).
    await device.waitFor(carriesHandleOf(first));

    const res = await login(gw, user);
    const sfa = res.body.SecondFactorAuthentication;
    const page = track(TestPage.open(gw, sfa.SecondFactorAuthenticationToken));
    const second = await challengeOfToken(gw, sfa.SecondFactorAuthenticationToken);
    const push = await device.waitFor(carriesHandleOf(second));
    expect(push.data.identifier).toBe(user);
    expect(push.notification.title).toBe("Acme Authenticator");
    expect(Object.keys(push.data).sort()).toEqual(["apikey", "browser", "challenge", "expiresAt", "identifier", "location", "secondfactorauthenticationtoken", "serverSignature", "timestamp"]);
    expect(push.data.challenge!.split(",")).toContain(sfa.PushNumber);
    expect(push.ttlSeconds).toBeGreaterThan(100);
    expect(JSON.stringify(push)).not.toContain(phone.deviceToken);
    await page.waitFor((s) => s.Delivery?.State === "Sent");
    expect(receiver.pushes.filter(carriesHandleOf(second))).toEqual([]);
    expect(gw.logs.some((l) => l.includes('"provider":"socket"') && l.includes("push sent"))).toBe(true);

    const handle = push.data.secondfactorauthenticationtoken;
    const number = sfa.PushNumber!;
    const answer = await call(gw.url, "PUT", "/identity/v2/auth/login/2fa/verification/push", {
      query: { apikey: gw.apiKey, secondfactorauthenticationtoken: handle },
      json: { verify: "Yes", number, signature: await phone.sign(`Yes${handle}${number}`) },
    });
    expect(answer.status).toBe(200);
    expect((await page.waitFor((s) => s.Status === "Approved")).Login).toBeDefined();
  });

  it("an app that connects after the push was sent gets it on connect (RSA key, DER signature)", async () => {
    const phone = new TestPhone("rsa");
    const { user } = await enrolled(phone);
    const res = await login(gw, user);
    const sent = await pushOfLogin(gw, receiver, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const device = track(await DeviceSocket.connect(gw, phone));
    // The first push the app gets on connect is the waiting login's, the same delivery the webhook had.
    const caught = await device.waitFor(() => true, 5000);
    expect(caught.data.secondfactorauthenticationtoken).toBe(sent.data.secondfactorauthenticationtoken);
    expect(caught.deliveryId).toBe(sent.id);
  });

  it("a connected app that does not acknowledge: the send is retried through the app's own provider", async () => {
    const phone = await new WebCryptoPhone().init();
    const { user, first } = await enrolled(phone);
    const device = track(await DeviceSocket.connect(gw, phone, { ack: false }));
    await device.waitFor(carriesHandleOf(first));
    const token = (await login(gw, user)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const page = track(TestPage.open(gw, token));
    const second = await challengeOfToken(gw, token);
    const unacknowledged = await device.waitFor(carriesHandleOf(second));
    const fallback = await pushOfLogin(gw, receiver, token, 15_000);
    expect(fallback.id).toBe(unacknowledged.deliveryId);
    await page.waitFor((s) => s.Delivery?.State === "Sent");
    expect(page.statuses.some((s) => s.Delivery?.State === "Retrying")).toBe(true);
  });

  it("refuses a stale timestamp, a foreign signature, a replayed handshake and an unknown key", async () => {
    const phone = await new WebCryptoPhone().init();
    await enrolled(phone);
    const stranger = await new WebCryptoPhone().init();
    const at = (ms: number) => String(Date.now() + ms);
    const handshake = async (signer: WebCryptoPhone, key: string, timestamp: string) => ({
      apikey: gw.apiKey, publicKey: key, timestamp, signature: await signer.sign(deviceHandshakeText(gw.apiKey, timestamp)),
    });

    const stale = await refusedHandshake(gw.url, await handshake(phone, phone.publicKeyHex, at(-61_000)), "/device");
    expect(stale).toMatchObject({ ErrorCode: 1297 });
    expect(stale.Description).toMatch(/60 seconds/);
    expect(await refusedHandshake(gw.url, await handshake(stranger, phone.publicKeyHex, at(0)), "/device")).toMatchObject({ ErrorCode: 1297 });
    expect(await refusedHandshake(gw.url, await handshake(stranger, stranger.publicKeyHex, at(0)), "/device")).toMatchObject({ ErrorCode: 1313 });
    expect(await refusedHandshake(gw.url, { apikey: gw.apiKey, publicKey: phone.publicKeyHex, timestamp: at(0) }, "/device")).toMatchObject({ ErrorCode: 1297 });

    const once = await handshake(phone, phone.publicKeyHex, at(0));
    const ok = io(`${gw.url}/device`, { auth: once, transports: ["websocket"], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => ok.once("connect", () => resolve()).once("connect_error", reject));
    ok.disconnect();
    expect(await refusedHandshake(gw.url, once, "/device")).toMatchObject({ ErrorCode: 1297, Description: expect.stringMatching(/already used/) });
  });

  it("after a reset (L8) the app can no longer connect", async () => {
    const phone = await new WebCryptoPhone().init();
    const { user } = await enrolled(phone);
    track(await DeviceSocket.connect(gw, phone));
    const uid = (await gw.services.accounts.findUid(gw.apiKey, "email", user))!;
    const reset = await call(gw.url, "DELETE", `/identity/v2/manage/account/2FA/authenticator/push/${uid}`, { headers: secretHeaders(gw) });
    expect(reset.body).toEqual({ IsDeleted: true });
    const ts = String(Date.now());
    expect(
      await refusedHandshake(gw.url, { apikey: gw.apiKey, publicKey: phone.publicKeyHex, timestamp: ts, signature: await phone.sign(deviceHandshakeText(gw.apiKey, ts)) }, "/device"),
    ).toMatchObject({ ErrorCode: 1313 });
  });
});

describe("the device channel with the classic adapter", () => {
  let classic: TestGateway;
  let inbox: WebhookReceiver;
  beforeAll(async () => {
    classic = await startTestGateway({ env: { SOCKET_ADAPTER: "classic" } });
    inbox = await new WebhookReceiver("whsec-classic-signing-secret-1").start();
    await useWebhook(classic, inbox);
  });
  afterAll(async () => {
    await classic.stop();
    await inbox.close();
    await deletePrefix(classic.config.REDIS_PREFIX);
  });

  it("the worker's @socket.io/redis-emitter reaches the app's socket in /device", async () => {
    const phone = await new WebCryptoPhone().init();
    const user = email();
    await createAccount(classic, user);
    const first = await login(classic, user);
    const firstToken = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url);
    await pushOfLogin(classic, inbox, firstToken);
    const device = track(await DeviceSocket.connect(classic, phone));
    await device.waitFor(carriesHandleOf(await challengeOfToken(classic, firstToken)));
    const token = (await login(classic, user)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const second = await challengeOfToken(classic, token);
    const push = await device.waitFor(carriesHandleOf(second));
    expect(push.data.identifier).toBe(user);
    // Delivered on the socket, so not through the webhook.
    expect(inbox.pushes.filter(carriesHandleOf(second))).toEqual([]);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import { MAX_PUSH_DEVICES_PER_ACCOUNT } from "../src/enrollment/register-device.js";
import type { DevicePush } from "../src/realtime/device-push.js";
import { DEVICE_SOCKETS_PER_KEY, deviceHandshakeText } from "../src/realtime/device-channel.js";
import { Arrivals } from "./support/arrivals.js";
import { refusedHandshake, TestPage } from "./support/cluster.js";
import { deletePrefix, dumpEntries, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { challengeOfToken } from "./support/delivery.js";
import { TestPhone } from "./support/phone.js";
import { carriesHandleOf, pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * The attacker's second look (issue 11): each attack as a client would run it, over HTTP and socket.io-client,
 * against a real gateway. Threats: a stolen push (its device handle), a captured request (an answer, an
 * enrollment POST, a device handshake), someone with an account of their own, and a stranger with nothing.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
const closers: Array<() => void> = [];
let n = 0;
const email = () => `attacker-review${++n}-${Date.now()}@example.com`;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-attacker-review-secret-01").start();
  await useWebhook(gw, receiver);
});
afterEach(() => {
  for (const close of closers.splice(0)) close();
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** The same deployment seen with another app's credentials (a second tenant). */
async function secondApp(): Promise<TestGateway> {
  const { app, apiSecret } = await gw.services.apps.create("Another tenant");
  const other = { ...gw, apiKey: app.apiKey, apiSecret };
  await useWebhook(other, receiver);
  return other;
}

/** A new account whose first login's QR enrolled `phone`: that login waits, its push (and handle) delivered. */
async function enrolled(phone: TestPhone, node: TestGateway = gw) {
  const user = email();
  await createAccount(node, user);
  const first = await login(node, user);
  const token = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  expect((await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url)).status).toBe(200);
  return { user, token, handle: (await pushOfLogin(node, receiver, token)).data.secondfactorauthenticationtoken! };
}

/** A signed-in user (the phone approved the first login): their access token, for L9. */
async function signedIn(phone: TestPhone, node: TestGateway = gw) {
  const { user, token, handle } = await enrolled(phone, node);
  expect((await phone.answer(node.url, node.apiKey, handle, "Yes")).status).toBe(200);
  const res = await ping(node, token);
  expect(res.status, res.text).toBe(200);
  return { user, accessToken: (res.body as { access_token: string }).access_token };
}

/** L9: the signed-in user's MFA settings, with a fresh enrollment QR. */
const mfaSettings = (accessToken: string, node: TestGateway = gw, headers: Record<string, string> = {}) =>
  call<{ PushQRCodeDetails: { Url: string } }>(node.url, "GET", "/identity/v2/auth/account/2fa", {
    query: { apikey: node.apiKey },
    headers: { authorization: `Bearer ${accessToken}`, ...headers },
  });

/** L9's fresh enrollment URL for the signed-in user. */
async function enrollmentUrlFor(accessToken: string): Promise<string> {
  const res = await mfaSettings(accessToken);
  expect(res.status, res.text).toBe(200);
  return res.body.PushQRCodeDetails.Url;
}

/** The user's own devices (ext): list, and remove one. */
const ownDevices = (accessToken: string) =>
  call<{ Data: Array<{ Id: string }> }>(gw.url, "GET", "/identity/v2/auth/account/2fa/push/devices", {
    query: { apikey: gw.apiKey },
    headers: { authorization: `Bearer ${accessToken}` },
  });
const removeOwnDevice = (accessToken: string, id: string) =>
  call(gw.url, "DELETE", `/identity/v2/auth/account/2fa/push/devices/${id}`, {
    query: { apikey: gw.apiKey },
    headers: { authorization: `Bearer ${accessToken}` },
  });

/** An open app's `/device` socket: every push it got; acknowledged only when the test says so. */
class DeviceSocket {
  readonly pushes: DevicePush[] = [];
  private readonly arrivals = new Arrivals();
  private constructor(readonly socket: Socket) {
    socket.on("push", (p: DevicePush) => {
      this.pushes.push(p);
      this.arrivals.arrived();
    });
  }
  static async connect(phone: TestPhone, timestamp = String(Date.now())): Promise<DeviceSocket> {
    const auth = { apikey: gw.apiKey, publicKey: phone.publicKeyHex, timestamp, signature: phone.sign(deviceHandshakeText(gw.apiKey, timestamp)) };
    const d = new DeviceSocket(io(`${gw.url}/device`, { auth, transports: ["websocket"], reconnection: false, forceNew: true }));
    closers.push(() => d.socket.disconnect());
    await new Promise<void>((resolve, reject) => d.socket.once("connect", () => resolve()).once("connect_error", reject));
    return d;
  }
  waitFor(pred: (p: DevicePush) => boolean): Promise<DevicePush> {
    return this.arrivals.first(this.pushes, pred, 10_000, () => `no matching push among ${this.pushes.length}`);
  }
}

const openPage = (token: string, auth: Record<string, unknown> = { apikey: gw.apiKey, secondfactorauthenticationtoken: token }) => {
  const page = new TestPage(gw.url, auth);
  closers.push(() => page.close());
  return page;
};

describe("someone holding a stolen push (its device handle)", () => {
  it("the handle is refused where the browser's token is taken: L4, L3 and the page socket answer 1103", async () => {
    const { handle } = await enrolled(new TestPhone());
    expect((await ping(gw, handle)).body).toMatchObject({ ErrorCode: 1103 });
    const resend = await call(gw.url, "POST", "/identity/v2/auth/login/2fa", { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: handle } });
    expect(resend.body).toMatchObject({ ErrorCode: 1103 });
    expect(await openPage(handle).refused()).toMatchObject({ ErrorCode: 1103 });
  });

  it("an answer signed by another account's enrolled phone is refused 1297; the login stays pending and the user's phone approves", async () => {
    const phone = new TestPhone();
    const { token, handle } = await enrolled(phone);
    const attackersPhone = new TestPhone();
    await enrolled(attackersPhone);
    for (const verify of ["Yes", "No"] as const) {
      expect((await attackersPhone.answer(gw.url, gw.apiKey, handle, verify)).body).toMatchObject({ ErrorCode: 1297 });
    }
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1295 });
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    expect((await ping(gw, token)).status).toBe(200);
  });

  it("a phone the user removed (lost, stolen) answering a push it got before is refused 1297; the user's other phone approves", async () => {
    const lost = new TestPhone();
    const { user, accessToken } = await signedIn(lost);
    const kept = new TestPhone();
    expect((await kept.enroll(await enrollmentUrlFor(accessToken))).status).toBe(200);
    const token = (await login(gw, user)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const handle = (await pushOfLogin(gw, receiver, token)).data.secondfactorauthenticationtoken!;
    const [lostDevice] = (await ownDevices(accessToken)).body.Data;
    expect((await removeOwnDevice(accessToken, lostDevice!.Id)).status).toBe(200);

    expect((await lost.answer(gw.url, gw.apiKey, handle, "Yes")).body).toMatchObject({ ErrorCode: 1297 });
    expect((await kept.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    expect((await ping(gw, token)).status).toBe(200);
  });

  it("the handle answered under another tenant's apikey is refused 1296, even signed by the right phone; the login stays pending", async () => {
    const other = await secondApp();
    const phone = new TestPhone();
    const { token, handle } = await enrolled(phone);
    expect((await phone.answer(gw.url, other.apiKey, handle, "No", { reason: "fraud" })).body).toMatchObject({ ErrorCode: 1296 });
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1295 });
  });
});

describe("a tenant's tokens under another tenant's apikey", () => {
  it("a browser token is refused 1103 on L4, L3 and the page socket under another apikey, and keeps working under its own", async () => {
    const other = await secondApp();
    const user = email();
    await createAccount(gw, user);
    const token = (await login(gw, user)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    expect((await ping(other, token)).body).toMatchObject({ ErrorCode: 1103 });
    const resend = await call(gw.url, "POST", "/identity/v2/auth/login/2fa", { query: { apikey: other.apiKey, secondfactorauthenticationtoken: token } });
    expect(resend.body).toMatchObject({ ErrorCode: 1103 });
    expect(await openPage(token, { apikey: other.apiKey, secondfactorauthenticationtoken: token }).refused()).toMatchObject({ ErrorCode: 1103 });
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1295 });
  });
});

describe("someone holding a captured request", () => {
  it("a captured approval replayed is refused 1311; a captured denial replayed with reason fraud is refused and locks nothing", async () => {
    const phone = new TestPhone();
    const { user, handle } = await enrolled(phone);
    const approval = phone.sign(`Yes${handle}`);
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes", { signature: approval })).status).toBe(200);
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes", { signature: approval })).body).toMatchObject({ ErrorCode: 1311 });

    const again = (await login(gw, user)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const next = (await pushOfLogin(gw, receiver, again)).data.secondfactorauthenticationtoken!;
    const denial = phone.sign(`No${next}`);
    expect((await phone.answer(gw.url, gw.apiKey, next, "No", { signature: denial })).status).toBe(200);
    expect((await phone.answer(gw.url, gw.apiKey, next, "No", { signature: denial, reason: "fraud" })).body).toMatchObject({ ErrorCode: 1311 });
    // No "not me" lock came of the replay: the user's next login is pushed.
    expect((await login(gw, user)).status).toBe(200);
  });

  it("a captured enrollment POST replayed, even with the attacker's key, is refused 1103 and adds no device", async () => {
    const user = email();
    const { Uid } = await createAccount(gw, user);
    const url = (await login(gw, user)).body.SecondFactorAuthentication.PushQRCodeDetails!.Url;
    const phone = new TestPhone();
    expect((await phone.enroll(url)).status).toBe(200);
    expect((await phone.enroll(url)).body).toMatchObject({ ErrorCode: 1103 });
    expect((await new TestPhone().enroll(url)).body).toMatchObject({ ErrorCode: 1103 });
    expect(await gw.services.devices.list(gw.apiKey, Uid)).toHaveLength(1);
  });

  it("a device handshake captured on one tenant is refused 1297 on another tenant that enrolled the same key", async () => {
    const other = await secondApp();
    const phone = new TestPhone("p256");
    await enrolled(phone);
    await enrolled(phone, other);
    const ts = String(Date.now());
    const captured = { publicKey: phone.publicKeyHex, timestamp: ts, signature: phone.sign(deviceHandshakeText(gw.apiKey, ts)) };
    expect(await refusedHandshake(gw.url, { ...captured, apikey: other.apiKey }, "/device")).toMatchObject({ ErrorCode: 1297 });
  });
});

describe("someone with an account of their own", () => {
  it("one enrolled key opening device socket after device socket is refused 429 past the per-key cap; a place given back is taken again", async () => {
    const phone = new TestPhone("p256");
    await enrolled(phone);
    const t0 = Date.now();
    const held: DeviceSocket[] = [];
    for (let i = 0; i < DEVICE_SOCKETS_PER_KEY; i++) held.push(await DeviceSocket.connect(phone, String(t0 + i)));
    const handshake = (ts: string) => ({ apikey: gw.apiKey, publicKey: phone.publicKeyHex, timestamp: ts, signature: phone.sign(deviceHandshakeText(gw.apiKey, ts)) });
    const refusal = await refusedHandshake(gw.url, handshake(String(t0 + DEVICE_SOCKETS_PER_KEY)), "/device");
    expect(refusal).toMatchObject({ ErrorCode: 429, RetryAfter: expect.any(Number) });

    const server = gw.io!.of("/device").sockets.get(held[0]!.socket.id!)!;
    const gone = new Promise((resolve) => server.once("disconnect", resolve));
    held[0]!.socket.disconnect();
    await gone;
    await DeviceSocket.connect(phone, String(t0 + DEVICE_SOCKETS_PER_KEY + 1));
  });

  it("one account enrolling device after device through L9's QR codes is refused 965 past the cap; the link stays usable once one is removed", async () => {
    const { accessToken } = await signedIn(new TestPhone("p256"));
    for (let i = 1; i < MAX_PUSH_DEVICES_PER_ACCOUNT; i++) {
      expect((await new TestPhone("p256").enroll(await enrollmentUrlFor(accessToken))).status).toBe(200);
    }
    const url = await enrollmentUrlFor(accessToken);
    const phone = new TestPhone("p256");
    const refused = await phone.enroll(url);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ ErrorCode: 965, Description: expect.stringMatching(/remove one/) });

    const mine = await ownDevices(accessToken);
    expect(mine.body.Data).toHaveLength(MAX_PUSH_DEVICES_PER_ACCOUNT);
    const removed = await removeOwnDevice(accessToken, mine.body.Data[0]!.Id);
    expect(removed.status, removed.text).toBe(200);
    expect((await phone.enroll(url)).body).toEqual(expect.objectContaining({ isRegistered: true }));
  });

  it("an open app acknowledging made-up deliveries of its own device writes nothing to Redis; its real ack still counts", async () => {
    const phone = new TestPhone("p256");
    const { user } = await enrolled(phone);
    // On connect the app is handed the first login's push (still waiting); the worker awaits no ack for it.
    const app = await DeviceSocket.connect(phone);
    const token = (await login(gw, user)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const page = openPage(token);
    const push = await app.waitFor(carriesHandleOf(await challengeOfToken(gw, token)));
    const deviceId = push.deliveryId.split(".")[2]!;
    for (let i = 0; i < 200; i++) app.socket.emit("push:ack", `send.${randomUUID()}.${deviceId}.${i + 1}`);
    app.socket.emit("push:ack", push.deliveryId);
    await page.waitFor((s) => s.Delivery?.State === "Sent");
    const acks = (await dumpEntries(gw.config.REDIS_PREFIX)).filter(([key]) => key.includes(":devack:"));
    expect(acks).toEqual([[`${gw.config.REDIS_PREFIX}:devack:${push.deliveryId}`, "1"]]);
  });
});

describe("a signed-in user drawing enrollment QR codes", () => {
  let tight: TestGateway;
  beforeAll(async () => {
    // The caller's address comes from X-Forwarded-For (one trusted proxy); a small per-address budget.
    tight = await startTestGateway({ env: { TRUST_PROXY: "1" }, rateLimits: { strangerPerIp: 5 } });
    await useWebhook(tight, receiver);
  });
  afterAll(async () => {
    await tight.stop();
    await deletePrefix(tight.config.REDIS_PREFIX);
  });

  it("L9, which draws a QR and stores an enrollment token on every call, is refused 429 with Retry-After past the per-address limit; another address still gets its QR", async () => {
    const { accessToken } = await signedIn(new TestPhone(), tight);
    const from = (ip: string) => mfaSettings(accessToken, tight, { "x-forwarded-for": ip });
    for (let i = 0; i < 5; i++) expect((await from("198.51.100.30")).status).toBe(200);
    const refused = await from("198.51.100.30");
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ ErrorCode: 429 });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await from("198.51.100.31")).status).toBe(200);
  });
});

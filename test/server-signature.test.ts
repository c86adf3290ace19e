import { createHash } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../src/crypto/canonical-json.js";
import type { ServerPublicJwk } from "../src/crypto/server-key.js";
import { deviceHandshakeText } from "../src/realtime/device-channel.js";
import type { DevicePush } from "../src/realtime/device-push.js";
import { Arrivals } from "./support/arrivals.js";
import { challengeOfToken, enrollWithoutLogin, uniqueEmail } from "./support/delivery.js";
import { deletePrefix, dumpEntries, startTestGateway, testPrefix, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { carriesHandleOf, pushOfLogin } from "./support/pushes.js";
import { createAccount, login, useWebhook } from "./support/scenario.js";
import { pull, SERVER_KEY_PATH, serverKey, serverSignatureHolds } from "./support/signed-device.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 2.9: every push data object a device receives carries `serverSignature`, the app's server key's ECDSA
 * P-256 signature (r||s, base64url) over the RFC 8785 canonical JSON of the rest, so an app can check a request
 * came from this gateway before it shows it. Checked here as an app checks it: node:crypto, the JWK the gateway
 * publishes, and a canonical form written from the RFC (test/support/signed-device.ts), not the gateway's code.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-server-signature-secret").start();
  await useWebhook(gw, receiver, { NumberMatching: "PickOne" });
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

describe("RFC 8785 canonical JSON of push data", () => {
  it("sorts names by UTF-16 code units and writes strings as the RFC's examples, refusing lone surrogates", () => {
    // RFC 8785 section 3.2.3: the sorting example (integer-like "1" and an emoji, whose surrogates sort before U+FB33).
    const sorting = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    const order = [...canonicalJson(sorting).matchAll(/"([^"]*)":/g)].map((m) => m[1]);
    expect(order.map((name) => JSON.parse(`"${name}"`) as string)).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
    // RFC 8785 section 3.2.4's string, and its expected serialisation (control characters in lower-case \u form,
    // the short escapes, "/" left alone, non-ASCII as itself).
    expect(canonicalJson({ string: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/" })).toBe('{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    expect(canonicalJson({ b: "2", a: "1", c: "\u2028" })).toBe('{"a":"1","b":"2","c":"\u2028"}');
    expect(() => canonicalJson({ a: "x\ud800y" })).toThrow(/surrogate/);
  });
});

describe("the server key (2.9)", () => {
  it("is a bare P-256 JWK whose kid is its RFC 7638 thumbprint, the one key two nodes making it at once agree on, kept sealed", async () => {
    // Two nodes of a new deployment, both asked for the key before it exists.
    const prefix = testPrefix();
    const a = await startTestGateway({ prefix, worker: false });
    const b = await startTestGateway({ prefix, worker: false, apiKey: a.apiKey, apiSecret: a.apiSecret });
    try {
      const [fromA, fromB] = await Promise.all([serverKey(a), serverKey(b)]);
      expect(Object.keys(fromA).sort()).toEqual(["crv", "kid", "kty", "x", "y"]);
      expect(fromA).toMatchObject({ kty: "EC", crv: "P-256" });
      expect(fromB).toEqual(fromA);
      const thumbprint = createHash("sha256").update(JSON.stringify({ crv: fromA.crv, kty: fromA.kty, x: fromA.x, y: fromA.y })).digest("base64url");
      expect(fromA.kid).toBe(thumbprint);
      expect(await serverKey(a)).toEqual(fromA);

      const stored = (await dumpEntries(prefix)).filter(([k]) => k.endsWith(":server-key"));
      expect(stored).toHaveLength(1);
      const [, sealed] = stored[0]!;
      expect(sealed).toMatch(/^v1\./);
      expect(sealed).not.toContain(fromA.x);
      expect(sealed).not.toContain('"d"');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await deletePrefix(prefix);
    }
  });

  it("answers the contract's errors for a missing, malformed or unknown apikey", async () => {
    expect((await call(gw.url, "GET", SERVER_KEY_PATH)).body).toMatchObject({ ErrorCode: 922 });
    expect((await call(gw.url, "GET", SERVER_KEY_PATH, { query: { apikey: "nope" } })).body).toMatchObject({ ErrorCode: 920 });
    expect((await call(gw.url, "GET", SERVER_KEY_PATH, { query: { apikey: crypto.randomUUID() } })).body).toMatchObject({ ErrorCode: 901 });
  });
});

/** An open app on the device channel, its pushes collected (acknowledged, as an app does). */
async function openApp(phone: TestPhone): Promise<{ pushes: DevicePush[]; waitFor(pred: (p: DevicePush) => boolean): Promise<DevicePush>; socket: Socket }> {
  const arrivals = new Arrivals();
  const pushes: DevicePush[] = [];
  const timestamp = String(Date.now());
  const socket = io(`${gw.url}/device`, {
    auth: { apikey: gw.apiKey, publicKey: phone.publicKeyHex, timestamp, signature: phone.sign(deviceHandshakeText(gw.apiKey, timestamp)) },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  socket.on("push", (p: DevicePush) => {
    socket.emit("push:ack", p.deliveryId);
    pushes.push(p);
    arrivals.arrived();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return { pushes, socket, waitFor: (pred) => arrivals.first(pushes, pred, 10_000, () => `no matching push among ${pushes.length}`) };
}

describe("signed push data (2.9)", () => {
  it("every push carries serverSignature over the rest of its data: the webhook's, the device channel's and the pull's verify with the published JWK; an altered field does not", async () => {
    const jwk: ServerPublicJwk = await serverKey(gw);
    // L6 hands the phone the same key, so it needs no second request.
    const user = uniqueEmail("signed");
    await createAccount(gw, user);
    const first = await login(gw, user);
    const phone = new TestPhone("p256");
    const enrolled = await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url);
    expect(enrolled.body).toMatchObject({ isRegistered: true, serverPublicKey: jwk });

    // Through the app's provider (the webhook): the push the enrollment sent for the waiting login.
    const firstToken = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const viaWebhook = await pushOfLogin(gw, receiver, firstToken);
    expect(viaWebhook.data.challenge).toBeDefined();
    expect(serverSignatureHolds(jwk, viaWebhook.data)).toBe(true);

    // Through the device channel: the catch-up push on connect, then a new login's push.
    const app = await openApp(phone);
    try {
      const firstChallenge = await challengeOfToken(gw, firstToken);
      const caughtUp = await app.waitFor(carriesHandleOf(firstChallenge));
      expect(caughtUp.data).toEqual(viaWebhook.data);
      expect(serverSignatureHolds(jwk, caughtUp.data as unknown as Record<string, string>)).toBe(true);

      const second = await login(gw, user);
      const secondChallenge = await challengeOfToken(gw, second.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
      const viaSocket = await app.waitFor(carriesHandleOf(secondChallenge));
      const socketData = viaSocket.data as unknown as Record<string, string>;
      expect(serverSignatureHolds(jwk, socketData)).toBe(true);

      // Through the pull: the same object, signature included.
      const pulled = await pull(gw, phone);
      expect(pulled.status, pulled.text).toBe(200);
      expect(pulled.body.Data).toEqual([socketData]);

      // The check is not vacuous: any field changed, added or removed, or another app's key, and it fails.
      expect(serverSignatureHolds(jwk, { ...socketData, browser: "Safari on iPhone" })).toBe(false);
      expect(serverSignatureHolds(jwk, { ...socketData, extra: "x" })).toBe(false);
      const { challenge: _options, ...withoutOptions } = socketData;
      expect(serverSignatureHolds(jwk, withoutOptions)).toBe(false);
      const other = await startTestGateway({ worker: false });
      try {
        expect(serverSignatureHolds(await serverKey(other), socketData)).toBe(false);
      } finally {
        await other.stop();
        await deletePrefix(other.config.REDIS_PREFIX);
      }
    } finally {
      app.socket.disconnect();
    }
  });

  it("a login signs its data once: each of the user's devices gets the same data, signature included", async () => {
    const jwk = await serverKey(gw);
    const a = await enrollWithoutLogin(gw);
    const tablet = new TestPhone();
    const app = (await gw.services.apps.get(gw.apiKey))!;
    const qr = await gw.services.enrollment.issue({ appId: gw.apiKey, uid: a.uid }, await gw.services.settings.get(app.apiKey, app.name));
    expect((await tablet.enroll(qr.PushQRCodeDetails.Url)).status).toBe(200);
    const res = await login(gw, a.email);
    const c = await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const [toPhone, toTablet] = await Promise.all(
      [a.phone, tablet].map((p) => receiver.waitForPush((push) => carriesHandleOf(c)(push) && push.device.token === p.deviceToken)),
    );
    expect(toTablet!.data).toEqual(toPhone!.data);
    expect(serverSignatureHolds(jwk, toPhone!.data)).toBe(true);
  });
});

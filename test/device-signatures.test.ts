import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io } from "socket.io-client";
import { defaultRateLimits } from "../src/rate-limits.js";
import { deviceHandshakeText } from "../src/realtime/device-channel.js";
import { refusedHandshake } from "./support/cluster.js";
import { derToRs, p1363ToRs, P256_ORDER, rsToDer, rsToP1363 } from "./support/ecdsa-encodings.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * What a device signs, and who may make it pay: handshakes on `/device` replayed in another encoding of the same
 * ECDSA signature (contract 2.8's replay rule), strangers' junk answers (L5) against the real phone's approval,
 * and public keys that enroll (L6) only in their one canonical form.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
let n = 0;
const email = () => `sig${++n}-${Date.now()}@example.com`;

beforeAll(async () => {
  // The real limit on failed answers; the caller's address comes from X-Forwarded-For (one trusted proxy).
  gw = await startTestGateway({ env: { TRUST_PROXY: "1" }, rateLimits: { answerFailuresPerHandleIp: defaultRateLimits.answerFailuresPerHandleIp } });
  receiver = await new WebhookReceiver("whsec-device-signatures-secret").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** A new account whose first login's QR enrolled `phone`: that login waits, its push (with its handle) sent. */
async function enrolled(phone: TestPhone) {
  const user = email();
  await createAccount(gw, user);
  const first = await login(gw, user);
  expect((await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url)).status).toBe(200);
  const token = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  return { token, handle: (await pushOfLogin(gw, receiver, token)).data.secondfactorauthenticationtoken! };
}

const handshakeAuth = (publicKey: string, timestamp: string, signature: string) => ({ apikey: gw.apiKey, publicKey, timestamp, signature });

/** Connect to `/device` (the handshake must be accepted), then leave. */
async function connects(auth: Record<string, unknown>): Promise<void> {
  const socket = io(`${gw.url}/device`, { auth, transports: ["websocket"], reconnection: false, forceNew: true });
  try {
    await new Promise<void>((resolve, reject) => socket.once("connect", () => resolve()).once("connect_error", reject));
  } finally {
    socket.disconnect();
  }
}

describe("device-channel handshakes: each timestamp once per key, whatever the signature's encoding", () => {
  it("a DER handshake replayed as r||s, with s -> n-s, or in upper-case hex is refused 1297; a fresh timestamp connects", async () => {
    const phone = new TestPhone("p256");
    await enrolled(phone);
    const ts = String(Date.now());
    const der = phone.sign(deviceHandshakeText(gw.apiKey, ts));
    await connects(handshakeAuth(phone.publicKeyHex, ts, der));

    const [r, s] = derToRs(der);
    const replays = {
      "r||s": rsToP1363(r, s),
      "DER with n-s": rsToDer(r, P256_ORDER - s),
      "r||s with n-s": rsToP1363(r, P256_ORDER - s),
      "upper-case DER": der.toUpperCase(),
    };
    for (const [encoding, signature] of Object.entries(replays)) {
      const refused = await refusedHandshake(gw.url, handshakeAuth(phone.publicKeyHex, ts, signature), "/device");
      expect(refused, encoding).toMatchObject({ ErrorCode: 1297, Description: expect.stringMatching(/already used/) });
    }

    const fresh = String(Number(ts) + 1);
    await connects(handshakeAuth(phone.publicKeyHex, fresh, phone.sign(deviceHandshakeText(gw.apiKey, fresh))));
  });

  it("a WebCrypto (r||s) handshake replayed as DER, or with s -> n-s, is refused 1297", async () => {
    const phone = new TestPhone("p256");
    await enrolled(phone);
    const ts = String(Date.now());
    const rs = phone.sign(deviceHandshakeText(gw.apiKey, ts), "ieee-p1363");
    await connects(handshakeAuth(phone.publicKeyHex, ts, rs));
    const [r, s] = p1363ToRs(rs);
    for (const signature of [rsToDer(r, s), rsToP1363(r, P256_ORDER - s)]) {
      expect(await refusedHandshake(gw.url, handshakeAuth(phone.publicKeyHex, ts, signature), "/device")).toMatchObject({ ErrorCode: 1297 });
    }
  });

  it("a handshake that does not verify uses nothing up: the phone's own signature of that timestamp still connects", async () => {
    const phone = new TestPhone("p256");
    await enrolled(phone);
    const stranger = new TestPhone("p256");
    const ts = String(Date.now());
    const forged = await refusedHandshake(gw.url, handshakeAuth(phone.publicKeyHex, ts, stranger.sign(deviceHandshakeText(gw.apiKey, ts))), "/device");
    expect(forged).toMatchObject({ ErrorCode: 1297, Description: expect.stringMatching(/does not verify/) });
    await connects(handshakeAuth(phone.publicKeyHex, ts, phone.sign(deviceHandshakeText(gw.apiKey, ts))));
  });

  it("an unknown key is refused 1313 before its signature is looked at, even a signature that is not one", async () => {
    const stranger = new TestPhone("p256");
    const ts = String(Date.now());
    expect(await refusedHandshake(gw.url, handshakeAuth(stranger.publicKeyHex, ts, "00"), "/device")).toMatchObject({ ErrorCode: 1313 });
  });
});

describe("L5: failed answers are counted per (handle, caller address)", () => {
  const answer = (handle: string, from: string, body: Record<string, unknown>) =>
    call(gw.url, "PUT", "/identity/v2/auth/login/2fa/verification/push", {
      query: { apikey: gw.apiKey, secondfactorauthenticationtoken: handle },
      headers: { "x-forwarded-for": from },
      json: body,
    });

  it("ten junk answers from a stranger spend the stranger's budget only: the phone's signed approval from elsewhere is 200, the stranger's eleventh 429", async () => {
    const phone = new TestPhone();
    const { token, handle } = await enrolled(phone);
    const stranger = "203.0.113.7";
    const limit = defaultRateLimits.answerFailuresPerHandleIp;
    for (let i = 0; i < limit; i++) {
      // Bad signatures and malformed bodies both count.
      const junk = i % 2 ? { verify: "Yes", signature: "ab".repeat(256) } : { verify: "Maybe", signature: "zz" };
      const res = await answer(handle, stranger, junk);
      expect(res.body, `junk answer ${i + 1}`).toMatchObject({ ErrorCode: i % 2 ? 1297 : 965 });
    }
    const eleventh = await answer(handle, stranger, { verify: "Yes", signature: "ab".repeat(256) });
    expect(eleventh.status).toBe(429);
    expect(eleventh.body).toMatchObject({ ErrorCode: 429 });
    expect(Number(eleventh.headers.get("retry-after"))).toBeGreaterThan(0);

    const approval = await answer(handle, "198.51.100.20", { verify: "Yes", signature: phone.sign(`Yes${handle}`) });
    expect(approval.status, approval.text).toBe(200);
    expect(approval.body).toEqual({ IsPosted: true });
    expect((await ping(gw, token)).status).toBe(200);
  });
});

describe("L6: only canonical device keys with e = 65537 enroll", () => {
  const spki = (key: KeyObject) => key.export({ type: "spki", format: "der" });
  /** The outer SEQUENCE's length in long form with a leading zero byte: the same key, not in DER. */
  const longFormLength = (der: Buffer): Buffer => {
    const header = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
    const length = der.subarray(2, header);
    const bytes = length.length ? length : der.subarray(1, 2);
    return Buffer.concat([Buffer.from([0x30, 0x80 | (bytes.length + 1), 0]), bytes, der.subarray(header)]);
  };
  /** A P-256 key's SPKI with its point compressed (0x02/0x03 ‖ x): a second encoding of the same key. */
  const compressedPoint = (key: KeyObject): Buffer => {
    const jwk = key.export({ format: "jwk" });
    const y = Buffer.from(jwk.y!, "base64url");
    const point = Buffer.concat([Buffer.from([2 + (y.at(-1)! & 1)]), Buffer.from(jwk.x!, "base64url")]);
    return Buffer.concat([Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"), point]);
  };

  const enrollmentUrl = async () => {
    const user = email();
    await createAccount(gw, user);
    return (await login(gw, user)).body.SecondFactorAuthentication.PushQRCodeDetails!.Url;
  };
  const enroll = (url: string, publicKey: string) =>
    call(url, "POST", url, { json: { deviceName: "Phone", deviceType: "android", publicKey, deviceToken: `fcm-${Math.random()}` } });

  it("refuses RSA with e = 3 and non-canonical DER (long-form length, trailing bytes, compressed point) with 400 965 naming publicKey", async () => {
    const url = await enrollmentUrl();
    const rsa = spki(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey);
    const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
    const refused = {
      "RSA e=3": spki(generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).publicKey),
      "RSA e=65539": spki(generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65539 }).publicKey),
      "RSA long-form length": longFormLength(rsa),
      "RSA trailing bytes": Buffer.concat([rsa, Buffer.from([0, 0])]),
      "P-256 long-form length": longFormLength(spki(ec)),
      "P-256 trailing byte": Buffer.concat([spki(ec), Buffer.from([0])]),
      "P-256 compressed point": compressedPoint(ec),
    };
    for (const [what, der] of Object.entries(refused)) {
      const res = await enroll(url, der.toString("hex"));
      expect(res.status, what).toBe(400);
      expect(res.body, what).toMatchObject({ ErrorCode: 965, Errors: [{ FieldName: "publicKey" }] });
    }
    // Refusals leave the single-use link unused: the canonical form of the same RSA key enrolls with it.
    expect((await enroll(url, rsa.toString("hex"))).body).toEqual(expect.objectContaining({ isRegistered: true }));
  });

  it("RSA-2048 with e = 65537 and P-256 still enroll", async () => {
    for (const key of [generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey, generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey]) {
      const res = await enroll(await enrollmentUrl(), spki(key).toString("hex"));
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ isRegistered: true });
    }
  });
});

import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigDeliveryError, PermanentDeliveryError, TransientDeliveryError } from "../src/delivery/delivery-errors.js";
import type { PushMessage } from "../src/delivery/push-provider.js";
import { createApnsProvider, type ApnsAuth, type ApnsProvider } from "../workers/providers/apns.js";
import { makeApnsTestPki, type ApnsTestPki } from "./support/apns-pki.js";
import { startFakeApns, type FakeApns } from "./support/fake-apns.js";

const BUNDLE = "com.acme.authenticator";
const TEAM = "TEAM123456";
const KEY_ID = "ABC123DEFG";
const PASSWORD = "p12-SECRET-password";
const CHALLENGE = "0b9c3f1e-8d1a-4c55-9d43-2b1f7a0c6e11";
const MINUTE = 60_000;

let pki: ApnsTestPki;
let fake: FakeApns;
/** The provider's clock; the stand-in's is this plus `appleSkewMs` (Apple's clock, ahead of ours when set). */
let clockMs = Date.now();
let appleSkewMs = 0;
let certificate: Buffer;
let p8: { pem: string; publicKey: import("node:crypto").KeyObject };
/** Providers made by a test, closed after it. */
const made: ApnsProvider[] = [];
/** Every error a provider threw in this file, checked at the end for leaked secrets. */
const thrown: unknown[] = [];
/** Device tokens and JWTs seen in this file: none may appear in an error. */
const secrets = new Set<string>([PASSWORD]);

function message(token: string, overrides: Partial<PushMessage> = {}): PushMessage {
  secrets.add(token);
  return {
    deliveryId: `send.${CHALLENGE}.dev-1.1`,
    device: { token, type: "ios" },
    data: {
      secondfactorauthenticationtoken: "handle-abc",
      identifier: "ada@example.com",
      browser: "Safari on macOS",
      location: "Paris, FR",
      timestamp: "1700000000",
      apikey: "api-key-1",
      expiresAt: "2026-01-01T00:00:00.000Z",
      challenge: "12,47,83",
    },
    notification: { title: "Acme Authenticator", body: "Please approve the sign-in request" },
    ttlSeconds: 97,
    ...overrides,
  };
}

function provider(auth: ApnsAuth, o: { bundleId?: string; pingIntervalMs?: number; requestTimeoutMs?: number } = {}): ApnsProvider {
  const p = createApnsProvider({
    bundleId: o.bundleId ?? BUNDLE,
    environment: "Production",
    endpoint: fake.url,
    auth,
    ca: pki.caPem,
    now: () => clockMs,
    ...(o.pingIntervalMs !== undefined && { pingIntervalMs: o.pingIntervalMs }),
    ...(o.requestTimeoutMs !== undefined && { requestTimeoutMs: o.requestTimeoutMs }),
  });
  made.push(p);
  return p;
}

const withCertificate = (o: { bundleId?: string } = {}) => provider({ kind: "certificate", pfx: certificate, passphrase: PASSWORD }, o);
const withToken = () => provider({ kind: "token", key: p8.pem, keyId: KEY_ID, teamId: TEAM });
const never = (): AbortSignal => new AbortController().signal;

/** Runs `fn`, expects it to reject, records and returns the error. */
async function failure(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    thrown.push(error);
    return error as Error;
  }
  throw new Error("expected a rejection");
}

/** The bearer token of the stand-in's request number `i`. */
function bearerOf(i: number): string {
  const h = fake.requests[i]?.headers.authorization;
  if (!h?.startsWith("bearer ")) throw new Error(`request ${i} carried no bearer token`);
  const jwt = h.slice("bearer ".length);
  secrets.add(jwt);
  return jwt;
}

beforeAll(async () => {
  pki = makeApnsTestPki();
  fake = await startFakeApns({ pki, now: () => clockMs + appleSkewMs });
  certificate = pki.pushCertificate(BUNDLE, { passphrase: PASSWORD });
  p8 = pki.signingKey();
  fake.addSigningKey({ keyId: KEY_ID, teamId: TEAM, publicKey: p8.publicKey, topics: [BUNDLE] });
});

beforeEach(() => {
  fake.reset();
  clockMs = Date.now();
  appleSkewMs = 0;
});

afterEach(() => {
  for (const p of made.splice(0)) p.close();
});

afterAll(async () => {
  await fake?.close();
  pki?.remove();
});

describe("APNs provider: what it sends (contract 2.6)", () => {
  it("certificate authentication: the headers and the body as APNs receives them", async () => {
    const token = fake.registerDevice(BUNDLE);
    const m = message(token);
    await withCertificate().send(m, never());

    expect(fake.requests).toHaveLength(1);
    const r = fake.requests[0]!;
    expect(r).toMatchObject({ auth: "certificate", method: "POST", path: `/3/device/${token}`, status: 200 });
    expect(r.headers).toMatchObject({
      "apns-topic": BUNDLE,
      "apns-push-type": "alert",
      "apns-priority": "10",
      "apns-expiration": String(Math.floor(clockMs / 1000) + 97),
      "apns-collapse-id": CHALLENGE,
    });
    expect(r.headers.authorization).toBeUndefined();
    expect(r.payload).toEqual({
      aps: { alert: { title: "Acme Authenticator", body: "Please approve the sign-in request" }, sound: "default" },
      ...m.data,
    });
  });

  it("token authentication: an ES256 JWT { alg, kid } { iss, iat } the stand-in verifies with the .p8's public key", async () => {
    const token = fake.registerDevice(BUNDLE);
    await withToken().send(message(token), never());

    expect(fake.requests[0]).toMatchObject({ auth: "token", status: 200, path: `/3/device/${token}` });
    const jwt = bearerOf(0);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "ES256", kid: KEY_ID });
    expect(decodeJwt(jwt)).toEqual({ iss: TEAM, iat: Math.floor(clockMs / 1000) });
    expect(fake.requests[0]!.headers["apns-topic"]).toBe(BUNDLE);
  });

  it("opens a PKCS#12 file without a password", async () => {
    const token = fake.registerDevice(BUNDLE);
    await provider({ kind: "certificate", pfx: pki.pushCertificate(BUNDLE) }).send(message(token), never());
    expect(fake.requests[0]).toMatchObject({ auth: "certificate", status: 200 });
  });

  it("a delivery id of another form is its own collapse id; one over 64 bytes is hashed to fit", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = withCertificate();
    await p.send(message(token, { deliveryId: "plain-id" }), never());
    await p.send(message(token, { deliveryId: `send.${"c".repeat(80)}.dev.2` }), never());
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200]);
    expect(fake.requests[0]!.headers["apns-collapse-id"]).toBe("plain-id");
    expect(Buffer.byteLength(fake.requests[1]!.headers["apns-collapse-id"]!)).toBeLessThanOrEqual(64);
  });

  it("over 4096 bytes, the notification text is shortened and the data arrives whole", async () => {
    const token = fake.registerDevice(BUNDLE);
    const m = message(token, { notification: { title: "Acme Authenticator", body: "é".repeat(3000) } });
    await withCertificate().send(m, never());

    const r = fake.requests[0]!;
    expect(r.status).toBe(200);
    expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(4096);
    const payload = r.payload as { aps: { alert: { title: string; body: string } } } & Record<string, unknown>;
    expect(payload.aps.alert.title).toBe("Acme Authenticator");
    expect(payload.aps.alert.body).toMatch(/^é+…$/);
    for (const [k, v] of Object.entries(m.data)) expect(payload[k]).toBe(v);
  });

  it("data that alone exceeds 4096 bytes is a configuration error, and nothing is sent", async () => {
    const token = fake.registerDevice(BUNDLE);
    const m = message(token);
    const error = await failure(() => withCertificate().send({ ...m, data: { ...m.data, location: "x".repeat(5000) } }, never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(error.message).toMatch(/4096-byte/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("APNs provider: one long-lived HTTP/2 connection", () => {
  it("carries every push of a provider, concurrent or one after another", async () => {
    const before = fake.sessions;
    const p = withToken();
    const tokens = Array.from({ length: 20 }, () => fake.registerDevice(BUNDLE));
    await Promise.all(tokens.map((t) => p.send(message(t), never())));
    for (const t of tokens) await p.send(message(t), never());

    expect(fake.requests).toHaveLength(40);
    expect(fake.requests.every((r) => r.status === 200)).toBe(true);
    expect(fake.sessions - before).toBe(1);
    expect(new Set(fake.requests.map((r) => r.session)).size).toBe(1);
    // One token for all 40 pushes: signed once, reused.
    expect(new Set(fake.requests.map((r) => r.headers.authorization)).size).toBe(1);
  });

  it("two apps' providers hold one connection each", async () => {
    const before = fake.sessions;
    const token = fake.registerDevice(BUNDLE);
    const a = withCertificate();
    const b = withToken();
    for (let i = 0; i < 3; i++) await Promise.all([a.send(message(token), never()), b.send(message(token), never())]);
    expect(fake.sessions - before).toBe(2);
  });

  it("reconnects after APNs's GOAWAY, and the push after it is delivered", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = withCertificate();
    await p.send(message(token), never());
    const first = fake.requests[0]!.session;

    await fake.goAway();
    await fake.sessionClosed(first);
    await p.send(message(token), never());
    await p.send(message(token), never());

    const [, second, third] = fake.requests;
    expect(second).toMatchObject({ status: 200, session: first + 1 });
    expect(third).toMatchObject({ status: 200, session: first + 1 });
  });

  it("a push sent while APNs's GOAWAY is on its way goes again on a new connection (no failure for a stream APNs refused)", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = withCertificate();
    await p.send(message(token), never());
    const first = fake.requests[0]!.session;
    // Not waiting for the close: the provider may still pick the old connection, whose stream APNs then refuses.
    const goingAway = fake.goAway();
    await p.send(message(token), never());
    await goingAway;
    expect(fake.requests.at(-1)).toMatchObject({ status: 200, session: first + 1 });
  });

  it("keeps the idle connection checked with HTTP/2 PING frames", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = provider({ kind: "certificate", pfx: certificate, passphrase: PASSWORD }, { pingIntervalMs: 20 });
    await p.send(message(token), never());
    const pinged = fake.nextPing();
    await pinged;
    await p.send(message(token), never());
    expect(new Set(fake.requests.map((r) => r.session)).size).toBe(1);
  });

  it("close() ends the connection; a later push opens a new one", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = withCertificate();
    await p.send(message(token), never());
    const first = fake.requests[0]!.session;
    p.close();
    await fake.sessionClosed(first);
    await p.send(message(token), never());
    expect(fake.requests[1]).toMatchObject({ status: 200, session: first + 1 });
  });

  it("an abort cancels the stream (RST_STREAM CANCEL) and leaves the connection to other pushes", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = withCertificate();
    await p.send(message(token), never());
    const hold = fake.holdNext();
    const controller = new AbortController();
    const sending = failure(() => p.send(message(token), controller.signal));
    await hold.arrived;
    const cancelled = fake.nextCancel();
    controller.abort();
    const error = await sending;
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((await cancelled).status).toBe(200);
    hold.release();
    await p.send(message(token), never());
    expect(new Set(fake.requests.map((r) => r.session)).size).toBe(1);
  });

  it("a request APNs does not answer within the request timeout is cancelled: transient", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = provider({ kind: "certificate", pfx: certificate, passphrase: PASSWORD }, { requestTimeoutMs: 200 });
    const hold = fake.holdNext();
    const cancelled = fake.nextCancel();
    const error = await failure(() => p.send(message(token), never()));
    await cancelled;
    hold.release();
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(error.message).toContain("timed out");
  });

  it("a signal already aborted sends nothing", async () => {
    const token = fake.registerDevice(BUNDLE);
    const error = await failure(() => withCertificate().send(message(token), AbortSignal.abort()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("APNs provider: the provider token's life", () => {
  it("reuses the JWT for 40 minutes, then signs a new one that APNs accepts", async () => {
    const token = fake.registerDevice(BUNDLE);
    const p = withToken();
    await p.send(message(token), never());
    clockMs += 39 * MINUTE;
    await p.send(message(token), never());
    clockMs += 2 * MINUTE;
    await p.send(message(token), never());

    expect(fake.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(bearerOf(1)).toBe(bearerOf(0));
    expect(bearerOf(2)).not.toBe(bearerOf(0));
    expect(decodeJwt(bearerOf(2)).iat).toBe(Math.floor(clockMs / 1000));
  });

  it("after ExpiredProviderToken (Apple's clock ahead of ours), signs a new token once and the push goes through", async () => {
    const tokens = Array.from({ length: 5 }, () => fake.registerDevice(BUNDLE));
    appleSkewMs = 25 * MINUTE;
    const p = withToken();
    await p.send(message(tokens[0]!), never());
    const old = bearerOf(0);
    // 36 minutes on our clock (the token is still fresh to us), 61 on Apple's: too old.
    clockMs += 36 * MINUTE;
    await Promise.all(tokens.map((t) => p.send(message(t), never())));

    const later = fake.requests.slice(1);
    expect(later.filter((r) => r.status === 403).map((r) => r.reason)).toEqual(Array(5).fill("ExpiredProviderToken"));
    const accepted = later.filter((r) => r.status === 200);
    expect(accepted).toHaveLength(5);
    // One new token for all five: the stand-in refuses a second renewal within 20 minutes (TooManyProviderTokenUpdates).
    const renewed = new Set(accepted.map((r) => r.headers.authorization));
    expect(renewed.size).toBe(1);
    expect([...renewed][0]).not.toBe(`bearer ${old}`);
  });

  it("ExpiredProviderToken again after the renewal is a configuration error", async () => {
    const token = fake.registerDevice(BUNDLE);
    fake.fail({ status: 403, reason: "ExpiredProviderToken" }, 2);
    const error = await failure(() => withToken().send(message(token), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(error.message).toContain("403 ExpiredProviderToken");
    expect(fake.requests).toHaveLength(2);
  });
});

describe("APNs provider: every answer classified", () => {
  it("410 Unregistered: the device is gone (permanent)", async () => {
    const token = fake.registerDevice(BUNDLE);
    fake.devices.get(token)!.unregisteredAt = clockMs - MINUTE;
    const error = await failure(() => withCertificate().send(message(token), never()));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(error.message).toContain("410 Unregistered");
  });

  it("400 BadDeviceToken and DeviceTokenNotForTopic: the device is gone (permanent)", async () => {
    const p = withCertificate();
    const unknown = "ab".repeat(32);
    const other = fake.registerDevice("com.other.app");
    const bad = await failure(() => p.send(message(unknown), never()));
    const notForTopic = await failure(() => p.send(message(other), never()));
    expect(fake.requests.map((r) => r.reason)).toEqual(["BadDeviceToken", "DeviceTokenNotForTopic"]);
    expect(bad).toBeInstanceOf(PermanentDeliveryError);
    expect(notForTopic).toBeInstanceOf(PermanentDeliveryError);
  });

  it("a malformed device token cannot change the request's path: APNs answers BadDeviceToken", async () => {
    const error = await failure(() => withCertificate().send(message("../../3/device/x?y"), never()));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(fake.requests[0]).toMatchObject({ path: "/3/device/..%2F..%2F3%2Fdevice%2Fx%3Fy", reason: "BadDeviceToken" });
  });

  it("403 from a certificate APNs does not trust (BadCertificate): the app's credentials (config)", async () => {
    const token = fake.registerDevice(BUNDLE);
    const rogue = pki.pushCertificate(BUNDLE, { signedBy: "untrusted-ca" });
    const error = await failure(() => provider({ kind: "certificate", pfx: rogue }).send(message(token), never()));
    expect(fake.requests[0]).toMatchObject({ status: 403, reason: "BadCertificate" });
    expect(error).toBeInstanceOf(ConfigDeliveryError);
  });

  it("403 InvalidProviderToken from a key Apple does not know: config", async () => {
    const token = fake.registerDevice(BUNDLE);
    const stranger = pki.signingKey();
    const error = await failure(() => provider({ kind: "token", key: stranger.pem, keyId: KEY_ID, teamId: TEAM }).send(message(token), never()));
    expect(fake.requests[0]).toMatchObject({ status: 403, reason: "InvalidProviderToken" });
    expect(error).toBeInstanceOf(ConfigDeliveryError);
  });

  it("a BundleId the credentials may not push to (400 TopicDisallowed): config", async () => {
    const token = fake.registerDevice("com.acme.other");
    const error = await failure(() => withCertificate({ bundleId: "com.acme.other" }).send(message(token), never()));
    expect(fake.requests[0]).toMatchObject({ status: 400, reason: "TopicDisallowed" });
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(error.message).toContain("BundleId");
  });

  it.each([
    { status: 403, reason: "BadCertificateEnvironment" },
    { status: 403, reason: "MissingProviderToken" },
    { status: 403, reason: "Forbidden" },
    { status: 413, reason: "PayloadTooLarge" },
    { status: 400, reason: "BadCollapseId" },
    { status: 404, reason: "BadPath" },
  ])("$status $reason: config", async (fault) => {
    const token = fake.registerDevice(BUNDLE);
    fake.fail(fault);
    const error = await failure(() => withCertificate().send(message(token), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(error.message).toContain(`${fault.status} ${fault.reason}`);
  });

  it.each([
    { status: 429, reason: "TooManyRequests", retryAfter: "7", retryAfterMs: 7000 },
    { status: 429, reason: "TooManyProviderTokenUpdates", retryAfter: undefined, retryAfterMs: undefined },
    { status: 500, reason: "InternalServerError", retryAfter: undefined, retryAfterMs: undefined },
    { status: 503, reason: "ServiceUnavailable", retryAfter: "30", retryAfterMs: 30_000 },
  ])("$status $reason: transient, one send, Retry-After kept", async ({ status, reason, retryAfter, retryAfterMs }) => {
    const token = fake.registerDevice(BUNDLE);
    fake.fail({ status, reason, ...(retryAfter !== undefined && { retryAfter }) });
    const error = await failure(() => withToken().send(message(token), never()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).retryAfterMs).toBe(retryAfterMs);
    expect(fake.requests).toHaveLength(1);
  });

  it("a TLS alert refusing the client certificate (here: none sent, to a server that requires one): config", async () => {
    const strict = await startFakeApns({ pki, requireClientCertificate: true });
    try {
      const p = createApnsProvider({ bundleId: BUNDLE, environment: "Production", endpoint: strict.url, auth: { kind: "token", key: p8.pem, keyId: KEY_ID, teamId: TEAM }, ca: pki.caPem });
      made.push(p);
      const error = await failure(() => p.send(message(fake.registerDevice(BUNDLE)), never()));
      expect(error).toBeInstanceOf(ConfigDeliveryError);
      expect(error.message).toContain("ALERT_CERTIFICATE_REQUIRED");
      expect(strict.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it("an endpoint that refuses connections: transient", async () => {
    const closed = await startFakeApns({ pki });
    const url = closed.url;
    await closed.close();
    const p = createApnsProvider({ bundleId: BUNDLE, environment: "Sandbox", endpoint: url, auth: { kind: "token", key: p8.pem, keyId: KEY_ID, teamId: TEAM }, ca: pki.caPem });
    made.push(p);
    const error = await failure(() => p.send(message(fake.registerDevice(BUNDLE)), never()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
  });
});

describe("APNs provider: credentials that do not open are configuration errors, before anything is sent", () => {
  it("a wrong certificate password", async () => {
    const error = await failure(() => provider({ kind: "certificate", pfx: certificate, passphrase: "wrong" }).send(message(fake.registerDevice(BUNDLE)), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(error.message).toMatch(/password/);
    expect(fake.requests).toHaveLength(0);
  });

  it("a legacy (RC2) PKCS#12 file, which Node 20's OpenSSL 3 does not open: the message says how to re-export it", async () => {
    const legacy = pki.pushCertificate(BUNDLE, { passphrase: PASSWORD, legacy: true });
    const error = await failure(() => provider({ kind: "certificate", pfx: legacy, passphrase: PASSWORD }).send(message(fake.registerDevice(BUNDLE)), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(error.message).toMatch(/legacy.*re-export/);
    expect(fake.requests).toHaveLength(0);
  });

  it("bytes that are not PKCS#12", async () => {
    const error = await failure(() => provider({ kind: "certificate", pfx: Buffer.from("base64-encoded-cert") }).send(message(fake.registerDevice(BUNDLE)), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(fake.requests).toHaveLength(0);
  });

  it("an ApnsKey that is not a P-256 private key", async () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    for (const key of [rsa, "not a key"]) {
      const error = await failure(() => provider({ kind: "token", key, keyId: KEY_ID, teamId: TEAM }).send(message(fake.registerDevice(BUNDLE)), never()));
      expect(error).toBeInstanceOf(ConfigDeliveryError);
      expect(error.message).toContain("ApnsKey");
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe("APNs provider: nothing secret in its errors", () => {
  it("no device token, JWT, password or key in any error thrown in this file", () => {
    expect(thrown.length).toBeGreaterThan(20);
    secrets.add(p8.pem);
    for (const e of thrown) {
      const text = `${(e as Error).message}\n${(e as Error).stack ?? ""}`;
      for (const s of secrets) expect(text).not.toContain(s);
    }
  });
});

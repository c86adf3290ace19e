import { generateKeyPairSync } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigDeliveryError, PermanentDeliveryError, TransientDeliveryError } from "../src/delivery/delivery-errors.js";
import type { PushMessage } from "../src/delivery/push-provider.js";
import { createOutboundGuard, type Resolver } from "../src/outbound/outbound-guard.js";
import { createFcmProvider, type FcmProvider } from "../workers/providers/fcm.js";
import { FCM_SCOPE } from "../workers/providers/fcm-token.js";
import { startFakeFcm, type FakeFcm } from "./support/fake-fcm.js";
import { startFakeOAuthToken, type FakeOAuthToken, type ServiceAccountJson } from "./support/fake-oauth-token.js";

/**
 * The FCM HTTP v1 provider (contract 2.5) against local stand-ins of Google's token endpoint and of FCM, which
 * verify what they receive with the keys the test makes (fake-oauth-token.ts, fake-fcm.ts). The send processor's
 * side (retries, dead devices, 1298) is in fcm-delivery.test.ts.
 */

const PROJECT = "acme-mfa";
const HANDLE = "handle-SECRET-6f1c2a9e";

let oauth: FakeOAuthToken;
let fcm: FakeFcm;
let account: ServiceAccountJson;
/** ALLOW_PRIVATE_WEBHOOKS=true: the stand-ins listen on 127.0.0.1. */
const allowPrivate = createOutboundGuard({ allowPrivate: true });
const opened: FcmProvider[] = [];
/** Every error a provider threw in this file, checked at the end for leaked secrets. */
const thrown: unknown[] = [];
/** Every access token the stand-ins saw or granted (the stand-ins are reset between tests). */
const accessTokens = new Set<string>();

function provider(serviceAccount: ServiceAccountJson = account, o: { guard?: ReturnType<typeof createOutboundGuard>; endpoint?: string } = {}): FcmProvider {
  const p = createFcmProvider({ serviceAccount, endpoint: o.endpoint ?? fcm.url, guard: o.guard ?? allowPrivate });
  opened.push(p);
  return p;
}

function message(token: string, overrides: Partial<PushMessage> = {}): PushMessage {
  return {
    deliveryId: "send.c1.d1.1",
    device: { token, type: "android" },
    data: {
      secondfactorauthenticationtoken: HANDLE,
      identifier: "ada@example.com",
      browser: "Firefox on Linux",
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

const never = (): AbortSignal => new AbortController().signal;

/** Runs `p`, expects it to reject, records and returns the error. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    thrown.push(error);
    return error;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  oauth = await startFakeOAuthToken();
  fcm = await startFakeFcm(oauth);
  account = oauth.newServiceAccount(PROJECT);
});

beforeEach(() => {
  oauth.reset();
  fcm.reset();
});

afterEach(() => {
  for (const p of opened.splice(0)) p.close();
  for (const r of fcm.requests) if (r.accessToken) accessTokens.add(r.accessToken);
  for (const t of oauth.issued.keys()) accessTokens.add(t);
});

afterAll(async () => {
  allowPrivate.destroy();
  await fcm?.close();
  await oauth?.close();
});

describe("FCM provider: the message and the access token", () => {
  it("sends contract 2.5's message, with an access token the token_uri granted for the FCM scope", async () => {
    const token = fcm.registerDevice(PROJECT);
    const msg = message(token);
    await provider().send(msg, never());

    expect(fcm.delivered).toHaveLength(1);
    const [sent] = fcm.delivered;
    expect(sent?.project).toBe(PROJECT);
    expect(sent?.body).toEqual({
      message: { token, data: msg.data, notification: msg.notification, android: { priority: "HIGH", ttl: "97s" } },
    });
    for (const value of Object.values(sent!.body.message.data!)) expect(typeof value).toBe("string");
    expect(oauth.lookup(sent!.accessToken)).toMatchObject({ email: account.client_email, projectId: PROJECT, scopes: [FCM_SCOPE] });

    // The grant the token endpoint verified (signature with the account's public key, RS256): a JWT-bearer
    // assertion for the account's own token_uri, not Google's fixed URL.
    expect(oauth.requests).toHaveLength(1);
    const [grant] = oauth.requests;
    expect(grant?.status).toBe(200);
    expect(grant?.header).toMatchObject({ alg: "RS256" });
    expect(grant?.claims).toMatchObject({ iss: account.client_email, aud: oauth.url, scope: FCM_SCOPE });
    const { iat, exp } = grant!.claims as { iat: number; exp: number };
    expect(exp - iat).toBe(3600);
  });

  it("the TTL is the challenge's remaining life in whole seconds", async () => {
    const token = fcm.registerDevice(PROJECT);
    await provider().send(message(token, { ttlSeconds: 41.9 }), never());
    expect(fcm.delivered[0]?.body.message.android).toEqual({ priority: "HIGH", ttl: "41s" });
  });

  it("one token for many sends: 40 concurrent sends make one token request, and later sends reuse it", async () => {
    const fcmProvider = provider();
    const tokens = Array.from({ length: 40 }, () => fcm.registerDevice(PROJECT));
    await Promise.all(tokens.map((t) => fcmProvider.send(message(t), never())));
    for (const t of tokens.slice(0, 10)) await fcmProvider.send(message(t), never());

    expect(oauth.requests).toHaveLength(1);
    expect(fcm.delivered).toHaveLength(50);
    expect(new Set(fcm.delivered.map((d) => d.accessToken)).size).toBe(1);
  });

  it("refreshes the token once, shortly before it expires, for every send waiting; not before", async () => {
    // Only Date is faked: the library's expiry check, the stand-ins' clocks and the JWT's iat all read it.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const t0 = Date.parse("2026-11-29T12:00:00.000Z");
      vi.setSystemTime(t0);
      const fcmProvider = provider();
      const token = fcm.registerDevice(PROJECT);
      await fcmProvider.send(message(token), never());
      expect(oauth.requests).toHaveLength(1);

      // 3599 s tokens, refreshed 5 minutes before: at 54 min 58 s the token is still used as it is...
      vi.setSystemTime(t0 + (3599 - 301) * 1000);
      await fcmProvider.send(message(token), never());
      expect(oauth.requests).toHaveLength(1);

      // ...and one second into the last 5 minutes, 20 concurrent sends share one refresh.
      vi.setSystemTime(t0 + (3599 - 299) * 1000);
      await Promise.all(Array.from({ length: 20 }, () => fcmProvider.send(message(token), never())));
      expect(oauth.requests).toHaveLength(2);
      expect((oauth.requests[1]?.claims as { iat: number }).iat).toBe(Math.floor(t0 / 1000) + 3599 - 299);
      const used = fcm.delivered.map((d) => d.accessToken);
      expect(used).toHaveLength(22);
      expect(used[1]).toBe(used[0]);
      expect(new Set(used.slice(2))).toEqual(new Set([used[2]]));
      expect(used[2]).not.toBe(used[0]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("FCM provider: what each answer means", () => {
  it("an uninstalled app (404 UNREGISTERED) is permanent: that device is dead", async () => {
    const token = fcm.registerDevice(PROJECT);
    fcm.unregister(token);
    const error = await failure(provider().send(message(token), never()));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain("404 NOT_FOUND (UNREGISTERED)");
    expect(fcm.requests.map((r) => r.status)).toEqual([404]);
  });

  it("a malformed registration token (400 INVALID_ARGUMENT on message.token) is permanent", async () => {
    const error = await failure(provider().send(message("not-an-fcm-token"), never()));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain("400 INVALID_ARGUMENT");
    expect(fcm.requests.map((r) => r.status)).toEqual([400]);
  });

  it("a token of another Firebase project (403 SENDER_ID_MISMATCH) is that device's fault, not the app's settings", async () => {
    // One enrolled user registering a token of another project must not switch push off for the whole app (1298).
    const foreign = fcm.registerDevice("someone-elses-project");
    const error = await failure(provider().send(message(foreign), never()));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain("SENDER_ID_MISMATCH");
  });

  it("a service account that may not send for the project (403 PERMISSION_DENIED) is a configuration error", async () => {
    const token = fcm.registerDevice(PROJECT);
    const error = await failure(provider({ ...account, project_id: "not-our-project" }).send(message(token), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(String(error)).toContain("403 PERMISSION_DENIED");
    expect(fcm.delivered).toHaveLength(0);
  });

  it("an access token FCM refuses (401) is a configuration error, and is not used again", async () => {
    const own = oauth.newServiceAccount(PROJECT);
    const fcmProvider = provider(own);
    const token = fcm.registerDevice(PROJECT);
    await fcmProvider.send(message(token), never());
    // The key is deleted in the Google console: its access tokens stop working, and no new one is granted.
    oauth.revoke(own.client_email);

    const refused = await failure(fcmProvider.send(message(token), never()));
    expect(refused).toBeInstanceOf(ConfigDeliveryError);
    expect(String(refused)).toContain("401 UNAUTHENTICATED");
    const next = await failure(fcmProvider.send(message(token), never()));
    expect(next).toBeInstanceOf(ConfigDeliveryError);
    expect(String(next)).toContain("token_uri answered 400 invalid_grant");
    expect(oauth.requests.map((r) => r.status)).toEqual([200, 400]);
    expect(fcm.requests.map((r) => r.status)).toEqual([200, 401]);
  });

  it("a private key that is not the account's (invalid_grant, signature refused) is a configuration error; FCM is never called", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const error = await failure(provider({ ...account, private_key: other }).send(message(fcm.registerDevice(PROJECT)), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(String(error)).toContain("400 invalid_grant");
    expect(fcm.requests).toHaveLength(0);
  });

  it("a private key that does not parse is a configuration error, with no request made", async () => {
    const broken = { ...account, private_key: "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n" };
    const error = await failure(provider(broken).send(message(fcm.registerDevice(PROJECT)), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(String(error)).toContain("private key cannot sign");
    expect(oauth.requests).toHaveLength(0);
  });

  it.each([
    ["QUOTA_EXCEEDED", 429, "7", 7000],
    ["UNAVAILABLE", 503, "Sun, 29 Nov 2099 12:00:00 GMT", undefined],
    ["INTERNAL", 500, undefined, undefined],
  ] as const)("%s (HTTP %i) is transient, after one request, with FCM's Retry-After", async (fault, status, retryAfter, expectedMs) => {
    const token = fcm.registerDevice(PROJECT);
    fcm.fail(fault, { times: 3, ...(retryAfter !== undefined && { retryAfter }) });
    const error = await failure(provider().send(message(token), never()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(String(error)).toContain(`FCM answered ${status}`);
    const { retryAfterMs } = error as TransientDeliveryError;
    if (retryAfter === undefined) expect(retryAfterMs).toBeUndefined();
    else if (expectedMs !== undefined) expect(retryAfterMs).toBe(expectedMs);
    else expect(retryAfterMs).toBeGreaterThan(365 * 24 * 3600 * 1000);
    // No retry of the provider's own: BullMQ retries, inside the challenge's life.
    expect(fcm.requests.map((r) => r.status)).toEqual([status]);
  });

  it("a token endpoint that is down (503, Retry-After) is transient after one request (no retry of the library's own)", async () => {
    oauth.fail("unavailable", { times: 3, retryAfter: "3" });
    const error = await failure(provider().send(message(fcm.registerDevice(PROJECT)), never()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(String(error)).toContain("token_uri answered 503");
    expect((error as TransientDeliveryError).retryAfterMs).toBe(3000);
    expect(oauth.requests).toHaveLength(1);
    expect(fcm.requests).toHaveLength(0);
  });

  it("an FCM endpoint that does not answer (nothing listening) is transient", async () => {
    const closed = await startFakeFcm(oauth);
    await closed.close();
    const error = await failure(provider(account, { endpoint: closed.url }).send(message(fcm.registerDevice(PROJECT)), never()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(String(error)).toContain("ECONNREFUSED");
  });

  it("a message FCM refuses as too big is neither the device's fault nor the settings' (transient, then a dead letter)", async () => {
    const token = fcm.registerDevice(PROJECT);
    const big = message(token);
    big.data.browser = "B".repeat(5000);
    const error = await failure(provider().send(big, never()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(String(error)).toContain("400 INVALID_ARGUMENT");
    expect(String(error)).toContain("FCM refused the message");
  });

  it("a send stops when its signal aborts, without waiting for FCM's answer", async () => {
    const token = fcm.registerDevice(PROJECT);
    const fcmProvider = provider();
    await fcmProvider.send(message(token), never()); // the token is cached: the hold below meets the send itself
    const hold = fcm.hold();
    const ac = new AbortController();
    const sending = failure(fcmProvider.send(message(token), ac.signal));
    await hold.arrived;
    ac.abort();
    try {
      expect(await sending).toBeInstanceOf(TransientDeliveryError);
    } finally {
      hold.release();
    }
  });
});

describe("FCM provider: aborts", () => {
  it("a send FCM does not answer within the provider's own timeout fails transient, the token kept", async () => {
    const token = fcm.registerDevice(PROJECT);
    const fcmProvider = createFcmProvider({ serviceAccount: account, endpoint: fcm.url, guard: allowPrivate, timeoutMs: 200 });
    opened.push(fcmProvider);
    await fcmProvider.send(message(token), never()); // the token is cached: the hold below meets the send itself
    const hold = fcm.hold();
    try {
      const error = await failure(fcmProvider.send(message(token), never()));
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect(String(error)).toContain("ETIMEDOUT");
    } finally {
      hold.release();
    }
    await fcmProvider.send(message(token), never());
    expect(oauth.requests).toHaveLength(1);
  });


  it("a send whose signal has already aborted (the challenge's deadline) sends nothing", async () => {
    const error = await failure(provider().send(message(fcm.registerDevice(PROJECT)), AbortSignal.abort()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(String(error)).toContain("aborted");
    expect(oauth.requests).toHaveLength(0);
    expect(fcm.requests).toHaveLength(0);
  });
});

describe("FCM provider: the token_uri is the tenant's, under the SSRF guard (contract 2.3)", () => {
  it("a token_uri on a loopback address is refused before any request, unless private addresses are allowed", async () => {
    const token = fcm.registerDevice(PROJECT);
    const guard = createOutboundGuard({ allowPrivate: false });
    try {
      const error = await failure(provider(account, { guard }).send(message(token), never()));
      expect(error).toBeInstanceOf(ConfigDeliveryError);
      expect(String(error)).toContain("token_uri is an internal address");
      expect(oauth.requests).toHaveLength(0);
      expect(fcm.requests).toHaveLength(0);
    } finally {
      guard.destroy();
    }
    // ALLOW_PRIVATE_WEBHOOKS: the same account and token_uri work.
    await provider(account).send(message(token), never());
    expect(oauth.requests).toHaveLength(1);
    expect(fcm.delivered).toHaveLength(1);
  });

  it("a token_uri whose name resolves to an internal address (DNS rebinding) is refused on the address connected to", async () => {
    const rebinding: Resolver = (_host, _options, callback) => callback(null, [{ address: "127.0.0.1", family: 4 }]);
    const guard = createOutboundGuard({ allowPrivate: false, resolve: rebinding });
    try {
      const named = { ...account, token_uri: `http://oauth2.tenant.example:${new URL(oauth.url).port}/token` };
      const error = await failure(provider(named, { guard }).send(message(fcm.registerDevice(PROJECT)), never()));
      expect(error).toBeInstanceOf(ConfigDeliveryError);
      expect(String(error)).toContain("token_uri is an internal address");
      expect(oauth.requests).toHaveLength(0);
    } finally {
      guard.destroy();
    }
  });

  it("a token_uri that answers a redirect is not followed", async () => {
    // The redirect points at another local service (here the FCM stand-in): it must receive nothing.
    oauth.fail("redirect", { location: `${fcm.url}/internal-metadata` });
    const error = await failure(provider().send(message(fcm.registerDevice(PROJECT)), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(String(error)).toContain("redirect");
    expect(oauth.requests.map((r) => r.status)).toEqual([302]);
    expect(fcm.requests).toHaveLength(0);
  });

  it("a token_uri that is not an http(s) URL is a configuration error", async () => {
    const error = await failure(provider({ ...account, token_uri: "file:///etc/passwd" }).send(message(fcm.registerDevice(PROJECT)), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(oauth.requests).toHaveLength(0);
  });
});

describe("FCM provider: secrets", () => {
  it("no error message carries a device token, an access token, the private key, an assertion or the handle", () => {
    expect(thrown.length).toBeGreaterThan(10);
    expect(accessTokens.size).toBeGreaterThan(5);
    const secrets = [...accessTokens, HANDLE];
    for (const error of thrown) {
      const text = `${String(error)} ${JSON.stringify(error)}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/[A-Za-z0-9_-]{8,}:APA91b/); // an FCM registration token
      expect(text).not.toContain("PRIVATE KEY");
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./); // a JWT (the signed assertion)
    }
  });
});

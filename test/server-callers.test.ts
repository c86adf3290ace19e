import { createServer, globalAgent as https, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { makeApnsTestPki, type ApnsTestPki } from "./support/apns-pki.js";
import { challengeOfToken } from "./support/delivery.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 1.6: a customer's backend calls the gateway for its users and names each user's address in X-Origin-IP.
 * Believed with the app's credentials or from a trusted source, it is what the per-IP limits count and what the
 * phone is shown; otherwise it is ignored. Real gateway, real Redis, pushes through the webhook stand-in.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
const USERS = 35;
const users: string[] = [];
const run = Date.now();

/** L2 from "the backend" (127.0.0.1) for a user at `origin`, with or without the app's secret. */
const backendLogin = (user: string, origin: string, withSecret: boolean) =>
  login(gw, user, "correct horse battery", { "X-Origin-IP": origin, ...(withSecret ? secretHeaders(gw) : {}) });

beforeAll(async () => {
  // The product's own limits on logins: 30 per address and 10 per account a minute.
  gw = await startTestGateway({ rateLimits: { loginPerIp: 30, loginPerAccount: 10 } });
  receiver = await new WebhookReceiver("whsec-test-signing-secret-0123").start();
  await useWebhook(gw, receiver);
  // 35 users, each with a phone enrolled through an enrollment QR as L9 issues it (no login needed: every login
  // hashes a password, and this file already makes a hundred).
  const settings = await gw.services.settings.get(gw.apiKey, "app");
  for (let i = 0; i < USERS; i++) {
    const user = `caller${i}-${run}@example.com`;
    const { Uid } = await createAccount(gw, user);
    const qr = await gw.services.enrollment.issue({ appId: gw.apiKey, uid: Uid }, settings);
    expect((await new TestPhone().enroll(qr.PushQRCodeDetails.Url)).status).toBe(200);
    users.push(user);
  }
}, 300_000);
afterAll(async () => {
  await gw?.stop();
  await receiver?.close();
  if (gw) await deletePrefix(gw.config.REDIS_PREFIX);
});

describe("X-Origin-IP from a backend holding the apisecret", () => {
  // Each login hashes a password (scrypt at OWASP's cost): on a loaded 2-core machine 35 of them take a while.
  it("35 logins from one backend for 35 users: none is refused, and each push shows its own user's address", { timeout: 300_000 }, async () => {
    for (const [i, user] of users.entries()) {
      const res = await backendLogin(user, `198.51.100.${i + 1}`, true);
      expect(res.status, res.text).toBe(200);
      const push = await pushOfLogin(gw, receiver, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
      expect(push.data.location).toBe(`IP 198.51.100.${i + 1}`);
      expect(push.data.identifier).toBe(user);
    }
  });


  it("per-account limits apply whatever the address: the 11th login of one account in a minute is refused", { timeout: 120_000 }, async () => {
    const user = `one-account-${run}@example.com`;
    await createAccount(gw, user);
    const answers = await Promise.all(Array.from({ length: 11 }, (_, i) => backendLogin(user, `192.0.2.${i + 1}`, true)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(10);
    expect(answers.filter((r) => r.status === 429).map((r) => r.body.ErrorCode)).toEqual([429]);
  });


  it("an IPv6 address and an IPv4-mapped one are taken in canonical form", async () => {
    const user = `v6-${run}@example.com`;
    await createAccount(gw, user);
    const v6 = await backendLogin(user, "2001:DB8:0:0::7", true);
    expect((await challengeOfToken(gw, v6.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).location).toBe("IP 2001:db8::7");
    const mapped = await backendLogin(user, "::ffff:198.51.100.9", true);
    expect((await challengeOfToken(gw, mapped.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).location).toBe("IP 198.51.100.9");
  });


  it("a management bearer token makes it believed too", async () => {
    const user = `bearer-origin-${run}@example.com`;
    await createAccount(gw, user);
    const token = await fetch(`${gw.url}/v2/manage/token`, { method: "POST", headers: secretHeaders(gw) }).then((r) => r.json() as Promise<{ access_token: string }>);
    const res = await login(gw, user, "correct horse battery", { "X-Origin-IP": "198.51.100.78", "X-LoginRadius-ApiKey": gw.apiKey, Authorization: `Bearer ${token.access_token}` });
    expect(res.status, res.text).toBe(200);
    expect((await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).location).toBe("IP 198.51.100.78");
  });

  it("without the secret it is ignored: the same 35 logins are counted against the backend's address (30, then 429)", { timeout: 300_000 }, async () => {
    // All at once: each is counted when it arrives, before its password is hashed, so the count does not depend on
    // how long the hashing takes.
    const answers = await Promise.all(users.map((user) => backendLogin(user, "198.51.100.200", false)));
    for (const res of answers) {
      if (res.status === 200) {
        expect((await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).location).toBe("IP 127.0.0.1");
      } else {
        expect(res.body.ErrorCode, res.text).toBe(429);
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      }
    }
    expect(answers.filter((r) => r.status === 200)).toHaveLength(30);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(5);
  });

  it("a wrong apisecret does not make it believed: with the backend's own budget spent, it is refused", async () => {
    const user = `wrong-secret-${run}@example.com`;
    await createAccount(gw, user);
    const wrongSecret = await login(gw, user, "correct horse battery", { "X-Origin-IP": "198.51.100.77", "X-LoginRadius-ApiSecret": "not-the-secret" });
    expect(wrongSecret.status, wrongSecret.text).toBe(429);
    const rightSecret = await backendLogin(user, "198.51.100.77", true);
    expect(rightSecret.status, rightSecret.text).toBe(200);
  });
});

describe("TRUSTED_ORIGIN_IP_SOURCES, and the LoginRadius Node SDK as the backend", () => {
  let trusting: TestGateway;
  let pki: ApnsTestPki;
  let tls: Server;
  // Node's https Agent takes a request's port from `defaultPort` when none is given (typed only on http's Agent).
  const globalAgent = https as typeof https & { defaultPort: number };
  const defaultPort = globalAgent.defaultPort;
  const defaultCa = globalAgent.options.ca;

  beforeAll(async () => {
    trusting = await startTestGateway({ env: { TRUSTED_ORIGIN_IP_SOURCES: "10.0.0.0/8, 127.0.0.0/8" } });
    await useWebhook(trusting, receiver);
    // The SDK speaks HTTPS to `apiDomain` on port 443 only: the gateway's own Express app behind TLS, on a port of
    // its own, with the SDK's agent pointed at it (its default port and the test CA).
    pki = makeApnsTestPki();
    tls = createServer({ key: pki.server.keyPem, cert: pki.server.certPem }, trusting.app!);
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    globalAgent.defaultPort = (tls.address() as AddressInfo).port;
    globalAgent.options.ca = pki.caPem;
  });
  afterAll(async () => {
    globalAgent.defaultPort = defaultPort;
    globalAgent.options.ca = defaultCa;
    tls?.closeAllConnections();
    await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
    pki?.remove();
    await trusting?.stop();
    if (trusting) await deletePrefix(trusting.config.REDIS_PREFIX);
  });

  const sdk = (originIp?: string, signing = false) => {
    const require = createRequire(import.meta.url);
    const lr = require("loginradius-sdk") as (config: Record<string, unknown>) => {
      accountApi: { createAccount(model: unknown, fields?: string): Promise<{ Uid: string }> };
      multiFactorAuthenticationApi: { mfaLoginByEmail(email: string, password: string): Promise<{ SecondFactorAuthentication: { SecondFactorAuthenticationToken: string } }> };
    };
    return lr({ apiKey: trusting.apiKey, apiSecret: trusting.apiSecret, apiDomain: "localhost", ...(originIp && { originIp }), ...(signing && { apiRequestSigning: true }) });
  };

  it("the SDK's originIp reaches the push's location from a trusted backend, with no secret on the login", async () => {
    const user = `sdk-${run}@example.com`;
    const created = await sdk().accountApi.createAccount({ Email: [{ Type: "Primary", Value: user }], Password: "correct horse battery" });
    expect(created.Uid).toMatch(/^[0-9a-f]{32}$/);
    const answer = await sdk("198.51.100.42").multiFactorAuthenticationApi.mfaLoginByEmail(user, "correct horse battery");
    const challenge = await challengeOfToken(trusting, answer.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect(challenge.location).toBe("IP 198.51.100.42");
  });

  it("the SDK with apiRequestSigning: true is refused 902: it signs the word undefined instead of its URL and body", async () => {
    // request-signing.test.ts shows why, and that the docs' algorithm (and the SDK's signer given the URL) passes.
    const refused = await sdk(undefined, true).accountApi.createAccount({ Email: [{ Type: "Primary", Value: `sdk-signing-${run}@example.com` }], Password: "correct horse battery" })
      .then(() => null, (err: unknown) => err as { ErrorCode?: number; Description?: string });
    expect(refused?.ErrorCode).toBe(902);
    expect(refused?.Description).toMatch(/does not match/);
  });

  it("a raw login from a trusted source is believed without credentials", async () => {
    const user = `trusted-raw-${run}@example.com`;
    await createAccount(trusting, user);
    const res = await login(trusting, user, "correct horse battery", { "X-Origin-IP": "198.51.100.43" });
    expect((await challengeOfToken(trusting, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).location).toBe("IP 198.51.100.43");
  });

  it("a value that is not one IP address is ignored even from a trusted source: the backend's own address is used", { timeout: 120_000 }, async () => {
    const user = `garbage-${run}@example.com`;
    await createAccount(trusting, user);
    for (const value of ["not-an-ip", "127.1", "0x7f.0.0.1", "198.51.100.1, 198.51.100.2", "198.51.100.1/24", "fe80::1%eth0", "<script>", "1".repeat(300)]) {
      const res = await login(trusting, user, "correct horse battery", { "X-Origin-IP": value });
      expect(res.status, `${value}: ${res.text}`).toBe(200);
      expect((await challengeOfToken(trusting, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken)).location, value).toBe("IP 127.0.0.1");
    }
  });
});

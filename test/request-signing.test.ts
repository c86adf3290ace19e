import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError } from "./support/contract.js";
import { challengeOfToken } from "./support/delivery.js";
import { createAccount, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * LoginRadius's "API request signing" (contract 1.6): a management call may carry, instead of the apisecret,
 * `X-Request-Expires` and `digest: SHA-256=<base64 HMAC-SHA256(apisecret, expires:encodedUrl[:body])>`. The digests
 * here are made the way LoginRadius's documentation says, independently of the gateway's code.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
const run = Date.now();

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-test-signing-secret-0123").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

const pad = (n: number) => String(n).padStart(2, "0");
/** "yyyy-MM-dd HH:mm:ss", UTC. */
const utc24 = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
/** LoginRadius's "yyyy-M-d h:m:s tt", UTC (as in its docs: "2018-4-18 6:15:10 PM"). */
const utc12 = (d: Date) => {
  const h = d.getUTCHours();
  return `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}-${d.getUTCDate()} ${h % 12 === 0 ? 12 : h % 12}:${d.getUTCMinutes()}:${d.getUTCSeconds()} ${h < 12 ? "AM" : "PM"}`;
};
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);

/** The docs' steps: decode the whole URL, encode it again (lowercased), join with the expiry and the JSON body, HMAC. */
function digestOf(secret: string, expires: string, fullUrl: string, body?: string): string {
  const encoded = encodeURIComponent(decodeURIComponent(fullUrl)).toLowerCase();
  const text = body ? `${expires}:${encoded}:${body}` : `${expires}:${encoded}`;
  return `SHA-256=${createHmac("sha256", secret).update(text).digest("base64")}`;
}

/** A signed request: `pathAndQuery` exactly as sent; `signedUrl` what the digest covers (by default our host). */
function signed(method: string, pathAndQuery: string, o: { body?: string; expires?: string; signedUrl?: string; secret?: string; headers?: Record<string, string> } = {}) {
  const expires = o.expires ?? utc24(inMinutes(60));
  const digest = digestOf(o.secret ?? gw.apiSecret, expires, o.signedUrl ?? `${gw.url}${pathAndQuery}`, o.body);
  return fetchRaw(method, pathAndQuery, { "X-Request-Expires": expires, digest, ...o.headers }, o.body);
}

async function fetchRaw(method: string, pathAndQuery: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(`${gw.url}${pathAndQuery}`, {
    method,
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
    ...(body !== undefined && { body }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

const SETTINGS = () => `/v2/manage/2fa/push-notification-settings?apikey=${gw.apiKey}`;
const newAccount = (email: string) => JSON.stringify({ Email: [{ Type: "Primary", Value: email }], Password: "correct horse battery" });

describe("signed management calls, as LoginRadius's docs define them", () => {
  it("a GET signed over our own host's URL, expiry as yyyy-MM-dd HH:mm:ss", async () => {
    const res = await signed("GET", SETTINGS());
    expect(res.status, res.text).toBe(200);
    expect(res.body.IsEnabled).toBe(true);
  });

  it("an expiry in LoginRadius's yyyy-M-d h:m:s tt format, AM and PM", async () => {
    for (const minutes of [5, 60]) {
      const res = await signed("GET", SETTINGS(), { expires: utc12(inMinutes(minutes)) });
      expect(res.status, `${utc12(inMinutes(minutes))}: ${res.text}`).toBe(200);
    }
  });

  it("a URL signed behind PUBLIC_URL's origin is accepted as well as one behind the request's own host", async () => {
    const publicUrl = gw.services.config.PUBLIC_URL;
    expect(new URL(publicUrl).host).not.toBe(new URL(gw.url).host);
    const res = await signed("GET", SETTINGS(), { signedUrl: `${new URL(publicUrl).origin}${SETTINGS()}` });
    expect(res.status, res.text).toBe(200);
  });

  it("a POST signs its raw body: L1 creates the account; the same digest with another body is refused", async () => {
    const path = `/identity/v2/manage/account?apikey=${gw.apiKey}`;
    const body = newAccount(`signed-${run}@example.com`);
    const created = await signed("POST", path, { body });
    expect(created.status, created.text).toBe(200);
    expect(created.body.Uid).toMatch(/^[0-9a-f]{32}$/);

    const expires = utc24(inMinutes(30));
    const digest = digestOf(gw.apiSecret, expires, `${gw.url}${path}`, newAccount(`signed-a-${run}@example.com`));
    const tampered = await fetchRaw("POST", path, { "X-Request-Expires": expires, digest }, newAccount(`signed-b-${run}@example.com`));
    expectContractError(tampered, "another body", 902);
    expect(tampered.status).toBe(401);
  });

  it("a body spaced differently from the signed text is another body", async () => {
    const path = `/identity/v2/manage/account?apikey=${gw.apiKey}`;
    const email = `spaced-${run}@example.com`;
    const expires = utc24(inMinutes(30));
    const digest = digestOf(gw.apiSecret, expires, `${gw.url}${path}`, newAccount(email));
    const res = await fetchRaw("POST", path, { "X-Request-Expires": expires, digest }, JSON.stringify(JSON.parse(newAccount(email)), null, 2));
    expectContractError(res, "re-spaced body", 902);
  });

  it("query values are signed decoded and re-encoded, so %20 and an encoded @ are the same as the docs make them", async () => {
    const res = await signed("GET", `/v2/manage/push/audit?apikey=${gw.apiKey}&count=5&before=${encodeURIComponent("9999999999999-0")}`);
    expect(res.status, res.text).toBe(200);
  });

  it("expired, more than 65 minutes ahead, or a tampered query: 401 error 902", async () => {
    const expired = await signed("GET", SETTINGS(), { expires: utc24(inMinutes(-1)) });
    expectContractError(expired, "expired", 902);
    expect(expired.body.Description).toMatch(/expired/);
    const ahead = await signed("GET", SETTINGS(), { expires: utc24(inMinutes(66)) });
    expectContractError(ahead, "66 minutes ahead", 902);
    expect(ahead.body.Description).toMatch(/65 minutes/);
    expect((await signed("GET", SETTINGS(), { expires: utc24(inMinutes(64)) })).status).toBe(200);
    // Signed for one query, sent with another.
    const expires = utc24(inMinutes(30));
    const digest = digestOf(gw.apiSecret, expires, `${gw.url}/v2/manage/push/audit?apikey=${gw.apiKey}&count=5`);
    const res = await fetchRaw("GET", `/v2/manage/push/audit?apikey=${gw.apiKey}&count=500`, { "X-Request-Expires": expires, digest });
    expectContractError(res, "tampered query", 902);
    expect(res.status).toBe(401);
    expect(res.body.Description).toMatch(/does not match/);
    // Signed for one path, sent to another of the same app.
    const moved = await fetchRaw("GET", `/v2/manage/push/dead-letters?apikey=${gw.apiKey}`, { "X-Request-Expires": expires, digest });
    expectContractError(moved, "another path", 902);
    // Signed with another secret.
    expectContractError(await signed("GET", SETTINGS(), { secret: "not-the-apps-secret-at-all" }), "wrong secret", 902);
  });

  it("a malformed expiry or digest, or only one of the two headers, is 902; the apikey must be in the query", async () => {
    for (const expires of ["tomorrow", "2026-13-01 00:00:00", "2026-02-30 10:00:00", "2026-1-1 13:00:00 PM", "2026-1-1 0:0:0 AM", ""]) {
      const res = await fetchRaw("GET", SETTINGS(), { "X-Request-Expires": expires, digest: "SHA-256=AAAA" });
      expectContractError(res, `expires ${expires}`, 902);
    }
    expectContractError(await fetchRaw("GET", SETTINGS(), { "X-Request-Expires": utc24(inMinutes(5)) }), "no digest", 902);
    expectContractError(await fetchRaw("GET", SETTINGS(), { digest: "SHA-256=AAAA" }), "no expiry", 902);
    expectContractError(await signed("GET", "/v2/manage/2fa/push-notification-settings", { headers: { "X-LoginRadius-ApiKey": gw.apiKey } }), "apikey in a header", 922);
    const garbage = await fetchRaw("GET", SETTINGS(), { "X-Request-Expires": utc24(inMinutes(5)), digest: "x".repeat(5000) });
    expectContractError(garbage, "huge digest", 902);
  });

  it("a signed call with the end user's X-Origin-IP: the login's push shows that address", async () => {
    const user = `signed-origin-${run}@example.com`;
    await createAccount(gw, user);
    const path = `/identity/v2/auth/login/2fa?apikey=${gw.apiKey}`;
    const body = JSON.stringify({ email: user, password: "correct horse battery" });
    const res = await signed("POST", path, { body, headers: { "X-Origin-IP": "198.51.100.61" } });
    expect(res.status, res.text).toBe(200);
    const token = (res.body.SecondFactorAuthentication as { SecondFactorAuthenticationToken: string }).SecondFactorAuthenticationToken;
    expect((await challengeOfToken(gw, token)).location).toBe("IP 198.51.100.61");
  });
});

describe("the LoginRadius Node SDK's signing (apiRequestSigning: true)", () => {
  const require = createRequire(import.meta.url);
  const lr = require("loginradius-sdk") as (config: Record<string, unknown>) => {
    helper: { generateSigningHeader(options: { uri?: string; body?: string }, secret: string): { "X-Request-Expires": string; digest: string } };
  };
  const sdk = () => lr({ apiKey: gw.apiKey, apiSecret: gw.apiSecret, apiDomain: "localhost", apiRequestSigning: true });

  it("its request() never passes the URL or the body to its signer, so every digest it sends covers the text \"undefined\"", () => {
    // lr.js calls generateSigningHeader(options, secret) with the https options object, which has `path` but no
    // `uri` and no `body`: the signer then signs expires + ":" + encodeURIComponent(decodeURIComponent(undefined)).
    const header = sdk().helper.generateSigningHeader({}, gw.apiSecret);
    const expected = `SHA-256=${createHmac("sha256", gw.apiSecret).update(`${header["X-Request-Expires"]}:undefined`).digest("base64")}`;
    expect(header.digest).toBe(expected);
  });

  it("such a digest is refused (it would fit any URL and body for an hour), with 902", async () => {
    const header = sdk().helper.generateSigningHeader({}, gw.apiSecret);
    const res = await fetchRaw("POST", `/identity/v2/manage/account?apiKey=${gw.apiKey}`, header, newAccount(`sdk-undefined-${run}@example.com`));
    expectContractError(res, "the SDK's digest", 902);
  });

  it("its signer given the URL and body it was meant to get makes digests the gateway accepts", async () => {
    // The SDK writes X-Request-Expires from the process's local time; this runs in UTC, as LoginRadius requires.
    expect(new Date().getTimezoneOffset()).toBe(0);
    const path = `/identity/v2/manage/account?apiKey=${gw.apiKey}`;
    const body = newAccount(`sdk-signed-${run}@example.com`);
    const header = sdk().helper.generateSigningHeader({ uri: `${gw.url}${path}`, body }, gw.apiSecret);
    const res = await fetchRaw("POST", path, header, body);
    expect(res.status, res.text).toBe(200);
    const get = sdk().helper.generateSigningHeader({ uri: `${gw.url}${SETTINGS()}` }, gw.apiSecret);
    expect((await fetchRaw("GET", SETTINGS(), get)).status).toBe(200);
  });
});

describe("signing needs the secret itself, kept sealed", () => {
  it("the app's Redis record holds the secret only sealed, never in clear", async () => {
    const record = await gw.services.redis.hgetall(gw.services.keys.app(gw.apiKey));
    expect(record.secretSealed).toMatch(/^v1\./);
    expect(JSON.stringify(record)).not.toContain(gw.apiSecret);
  });

  it("an app whose secret was stored before sealed copies were kept answers 902 saying so, until the secret is set again", async () => {
    const { app, apiSecret } = await gw.services.apps.create("Older app");
    await gw.services.redis.hdel(gw.services.keys.app(app.apiKey), "secretSealed");
    const path = `/v2/manage/2fa/push-notification-settings?apikey=${app.apiKey}`;
    const res = await signed("GET", path, { secret: apiSecret });
    expectContractError(res, "no sealed secret", 902);
    expect(res.body.Description).toMatch(/rotated/);
    // Plain secrets still work for it.
    expect((await call(gw.url, "GET", path, { headers: { "X-LoginRadius-ApiSecret": apiSecret } })).status).toBe(200);
    const rotated = (await gw.services.apps.rotateSecret(app.apiKey))!;
    expect((await signed("GET", path, { secret: rotated })).status).toBe(200);
  });
});

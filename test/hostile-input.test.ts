import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError, expectSuccessOrContractError, hostileBody, hostileString, redisState } from "./support/contract.js";
import { createAccount, login, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Every endpoint, fed malformed, missing, oversized and hostile input: it answers the contract's error body with a
 * 4xx status, never a 500, never a hang, and writes nothing to Redis when it refuses.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
let token: string;
let enrollUrl: string;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-hostile-signing-secret-1").start();
  await useWebhook(gw, receiver);
  await createAccount(gw, "victim@example.com");
  const res = await login(gw, "victim@example.com");
  token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  enrollUrl = res.body.SecondFactorAuthentication.PushQRCode!.Url;
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

interface Endpoint {
  name: string;
  method: string;
  path: () => string;
  /** Query a valid caller would send (apikey, secrets, tokens). */
  query: () => Record<string, string>;
  headers?: () => Record<string, string>;
}

const endpoints: Endpoint[] = [
  { name: "L1 create account", method: "POST", path: () => "/identity/v2/manage/account", query: () => ({}), headers: () => secretHeaders(gw) },
  { name: "L2 login", method: "POST", path: () => "/identity/v2/auth/login/2fa", query: () => ({ apikey: gw.apiKey }) },
  { name: "L3 resend", method: "POST", path: () => "/identity/v2/auth/login/2FA", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: token }) },
  { name: "L4 ping", method: "GET", path: () => "/login/2fa/push/ping", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: token }) },
  { name: "L4 ping (alias)", method: "GET", path: () => "/identity/v2/auth/login/2fa/push/ping", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: token }) },
  { name: "L5 answer", method: "PUT", path: () => "/identity/v2/auth/login/2fa/verification/push", query: () => ({ apikey: gw.apiKey, secondfactorauthenticationtoken: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" }) },
  { name: "L6 enroll", method: "POST", path: () => new URL(enrollUrl).pathname, query: () => ({ apikey: gw.apiKey }) },
  { name: "L7 reset own", method: "DELETE", path: () => "/identity/v2/auth/account/2fa/authenticator/push", query: () => ({ apikey: gw.apiKey, access_token: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" }) },
  { name: "L8 reset by admin", method: "DELETE", path: () => "/identity/v2/manage/account/2FA/authenticator/push/nouser", query: () => ({}), headers: () => secretHeaders(gw) },
  { name: "L9 MFA settings", method: "GET", path: () => "/identity/v2/auth/account/2fa", query: () => ({ apikey: gw.apiKey }), headers: () => ({ Authorization: "Bearer not-a-token" }) },
  { name: "L10 get settings", method: "GET", path: () => "/v2/manage/2fa/push-notification-settings", query: () => ({}), headers: () => secretHeaders(gw) },
  { name: "L10 put settings", method: "PUT", path: () => "/v2/manage/2fa/push-notification-settings", query: () => ({}), headers: () => secretHeaders(gw) },
];

const state = () => redisState(gw);
const body = hostileBody(["email", "password", "verify", "signature", "number", "reason", "deviceName", "deviceType", "publicKey", "deviceToken", "Email", "Password", "IsEnabled", "NotificationService", "NativeSettings", "AWSsettings"]);

describe.each(endpoints)("$name", (ep) => {
  const send = (o: { query?: Record<string, string>; json?: unknown; raw?: string; headers?: Record<string, string> }) =>
    call(gw.url, ep.method, ep.path(), { query: o.query ?? ep.query(), headers: { ...ep.headers?.(), ...o.headers }, ...(o.json !== undefined && { json: o.json }), ...(o.raw !== undefined && { raw: o.raw }) });

  const hasBody = ep.method !== "GET";

  it("refuses hostile bodies and parameters with the contract's error and writes nothing", async () => {
    const before = await state();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(body, fc.dictionary(fc.constantFrom(...Object.keys(ep.query()), "apikey", "access_token"), hostileString, { maxKeys: 2 }), async (body, params) => {
        const query = { ...ep.query(), ...params };
        const res = await send(hasBody ? { json: body, query } : { query });
        if (expectSuccessOrContractError(res, `${ep.name} ${String(JSON.stringify(body)).slice(0, 100)} ${JSON.stringify(params).slice(0, 100)}`)) accepted++;
      }),
      { numRuns: 25, endOnFailure: true },
    );
    if (accepted === 0) expect(await state()).toBe(before);
  });

  // Skipped for GET endpoints: a GET carries no request body (HTTP gives it no meaning and fetch refuses to send
  // one), so there is nothing to refuse; their hostile query parameters are covered by the test above.
  it.skipIf(!hasBody)("refuses bad JSON, oversized bodies and wrong content types", async () => {
    const before = await state();
    for (const raw of ["{", "{\"a\":", "[1,2", "\"just a string", "nul", "{\"a\":1}}"]) expectContractError(await send({ raw }), `${ep.name} raw ${raw}`);
    expectContractError(await send({ raw: JSON.stringify({ pad: "x".repeat(100_000) }) }), `${ep.name} oversized`);
    expectContractError(await send({ raw: "email=a&password=b", headers: { "content-type": "application/x-www-form-urlencoded" } }), `${ep.name} form`);
    expect(await state()).toBe(before);
  });

  it("refuses missing, malformed, repeated and unknown credentials and tokens", async () => {
    const before = await state();
    const q = ep.query();
    const variants: Array<Record<string, string>> = [{}];
    for (const k of Object.keys(q)) {
      variants.push({ ...q, [k]: "" }, { ...q, [k]: "not-a-guid" }, { ...q, [k]: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" }, { ...q, [k]: "x".repeat(5000) });
      const { [k]: _dropped, ...rest } = q;
      variants.push(rest);
    }
    for (const query of variants) {
      const res = await send({ query, headers: { "X-LoginRadius-ApiSecret": "", "X-LoginRadius-ApiKey": "" }, ...(hasBody && { json: {} }) });
      expectContractError(res, `${ep.name} ${JSON.stringify(query).slice(0, 120)}`);
    }
    expect(await state()).toBe(before);
    if (Object.keys(q).length === 0) return;
    // A parameter given twice is malformed, not a crash.
    const url = new URL(ep.path(), gw.url);
    for (const [k, v] of Object.entries(q)) url.searchParams.append(k, v);
    url.searchParams.append("apikey", gw.apiKey);
    url.searchParams.append("secondfactorauthenticationtoken", token);
    const res = await fetch(url, { method: ep.method, headers: { "content-type": "application/json", ...ep.headers?.() }, ...(ep.method !== "GET" && { body: "{}" }) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await state()).toBe(before);
  });
});

describe("routes and credentials", () => {
  it("an unknown route answers JSON 404 with the error body", async () => {
    const res = await call(gw.url, "GET", "/nope/nothing-here");
    expect(res.status).toBe(404);
    expectContractError(res, "404");
  });

  it("paths, query names and header names match case-insensitively, as LoginRadius clients send them", async () => {
    const res = await call(gw.url, "GET", "/LOGIN/2FA/PUSH/PING", { query: { ApiKey: gw.apiKey, SecondFactorAuthenticationToken: token } });
    expect(res.body, res.text).toMatchObject({ ErrorCode: 1295 });
    const s = await call(gw.url, "GET", "/v2/manage/2fa/push-notification-settings", { query: { apiKey: gw.apiKey }, headers: { "X-LoginRadius-apiSecret": gw.apiSecret } });
    expect(s.status).toBe(200);
  });

  it("answers 922, 920, 901, 923 and 902 for each credential problem", async () => {
    const path = "/v2/manage/2fa/push-notification-settings";
    expect((await call(gw.url, "GET", path)).body).toMatchObject({ ErrorCode: 922 });
    expect((await call(gw.url, "GET", path, { query: { apikey: "nope" } })).body).toMatchObject({ ErrorCode: 920 });
    expect((await call(gw.url, "GET", path, { query: { apikey: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" } })).body).toMatchObject({ ErrorCode: 901 });
    expect((await call(gw.url, "GET", path, { query: { apikey: gw.apiKey } })).body).toMatchObject({ ErrorCode: 923 });
    const wrong = await call(gw.url, "GET", path, { query: { apikey: gw.apiKey, apisecret: "wrong" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ ErrorCode: 902 });
  });

  it("access tokens: 1060 missing, 905 unknown", async () => {
    const path = "/identity/v2/auth/account/2fa";
    expect((await call(gw.url, "GET", path, { query: { apikey: gw.apiKey } })).body).toMatchObject({ ErrorCode: 1060 });
    expect((await call(gw.url, "GET", path, { query: { apikey: gw.apiKey }, headers: { Authorization: "Bearer b1fbbba5-2a5e-41a2-96da-c216df36e6f4" } })).body).toMatchObject({ ErrorCode: 905 });
  });
});

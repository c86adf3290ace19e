import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError } from "./support/contract.js";
import { secretHeaders } from "./support/scenario.js";

/**
 * (ext) Contract 1.6: `POST /v2/manage/token` trades the apisecret for a bearer token that works on every
 * management call of that app for an hour; unknown or expired → 403 error 905; a rotated secret revokes it.
 */

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

const issue = (headers: Record<string, string> = secretHeaders(gw)) => call<{ access_token: string; expires_in: string }>(gw.url, "POST", "/v2/manage/token", { headers });
const bearer = (token: string, apiKey = gw.apiKey) => ({ "X-LoginRadius-ApiKey": apiKey, Authorization: `Bearer ${token}` });
const SETTINGS = "/v2/manage/2fa/push-notification-settings";

describe("management bearer tokens", () => {
  it("issues an opaque token valid for an hour, stored only hashed, with a TTL", async () => {
    const before = Date.now();
    const res = await issue();
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["access_token", "expires_in"]);
    const expires = Date.parse(res.body.expires_in);
    expect(expires - before).toBeGreaterThanOrEqual(3600_000 - 5_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(res.body.expires_in).toBe(new Date(expires).toISOString());
    expect(await dumpPrefix(gw.config.REDIS_PREFIX)).not.toContain(res.body.access_token);
    const keys = await gw.services.redis.keys(`${gw.config.REDIS_PREFIX}:mgt:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const ttl = await gw.services.redis.ttl(key);
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);
    }
  });

  it("works instead of the apisecret on every management call of its app: L10, L1, the audit, L8", async () => {
    const { body } = await issue();
    const h = bearer(body.access_token);
    expect((await call(gw.url, "GET", SETTINGS, { headers: h })).status).toBe(200);
    const created = await call<{ Uid: string }>(gw.url, "POST", "/identity/v2/manage/account", {
      headers: h,
      json: { Email: [{ Type: "Primary", Value: `bearer-${Date.now()}@example.com` }], Password: "correct horse battery" },
    });
    expect(created.status, created.text).toBe(200);
    expect((await call(gw.url, "GET", "/v2/manage/push/audit", { headers: h })).status).toBe(200);
    expect((await call(gw.url, "DELETE", `/identity/v2/manage/account/2fa/authenticator/push/${created.body.Uid}`, { headers: h })).status).toBe(200);
  });

  it("may be issued for a signed request too, but never for a bearer: a token cannot renew itself", async () => {
    const { body } = await issue();
    expectContractError(await issue(bearer(body.access_token)), "bearer for a bearer", 923);
  });

  it("is refused for another app, and an unknown, malformed or user token is 905", async () => {
    const { body } = await issue();
    const other = await gw.services.apps.create("Other app");
    const res = await call(gw.url, "GET", SETTINGS, { headers: bearer(body.access_token, other.app.apiKey) });
    expectContractError(res, "another app", 905);
    expect(res.status).toBe(403);
    for (const token of ["mgt_" + "A".repeat(43), "garbage", "x".repeat(4000), body.access_token.slice(0, -1) + "B"]) {
      expectContractError(await call(gw.url, "GET", SETTINGS, { headers: bearer(token) }), token.slice(0, 20), 905);
    }
    // A GUID-shaped bearer is a user's access token, not a management credential: the secret is missing.
    expectContractError(await call(gw.url, "GET", SETTINGS, { headers: bearer("b1fbbba5-2a5e-41a2-96da-c216df36e6f4") }), "user token", 923);
  });

  it("expires with its Redis key (an expired token is unknown: 905)", async () => {
    const { body } = await issue();
    for (const key of await gw.services.redis.keys(`${gw.config.REDIS_PREFIX}:mgt:*`)) await gw.services.redis.del(key);
    expectContractError(await call(gw.url, "GET", SETTINGS, { headers: bearer(body.access_token) }), "expired", 905);
  });

  it("is revoked when the app's secret rotates", async () => {
    const { app, apiSecret } = await gw.services.apps.create("Rotating app");
    const res = await issue({ "X-LoginRadius-ApiKey": app.apiKey, "X-LoginRadius-ApiSecret": apiSecret });
    expect((await call(gw.url, "GET", SETTINGS, { headers: bearer(res.body.access_token, app.apiKey) })).status).toBe(200);
    await gw.services.apps.rotateSecret(app.apiKey);
    expectContractError(await call(gw.url, "GET", SETTINGS, { headers: bearer(res.body.access_token, app.apiKey) }), "after rotation", 905);
  });

  it("needs the secret: none → 923, wrong → 902, no apikey → 922", async () => {
    expectContractError(await issue({ "X-LoginRadius-ApiKey": gw.apiKey }), "no secret", 923);
    expectContractError(await issue({ "X-LoginRadius-ApiKey": gw.apiKey, "X-LoginRadius-ApiSecret": "wrong" }), "wrong secret", 902);
    expectContractError(await issue({}), "nothing", 922);
  });
});

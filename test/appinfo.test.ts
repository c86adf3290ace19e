import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError } from "./support/contract.js";
import { secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/** L17 (contract 1.6): `GET /ciam/appinfo?apikey=`, the app's name and which second factors it offers. */

let gw: TestGateway;
let receiver: WebhookReceiver;
beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-test-signing-secret-0123").start();
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

const appInfo = (query: Record<string, string>) => call<Record<string, unknown>>(gw.url, "GET", "/ciam/appinfo", { query });

describe("L17 appinfo", () => {
  it("says push is off until the settings enable it, then on; every other factor false", async () => {
    const off = await appInfo({ apikey: gw.apiKey });
    expect(off.status, off.text).toBe(200);
    const name = (await gw.services.apps.get(gw.apiKey))!.name;
    const factors = (push: boolean) => ({
      IsEnabled: push, IsRequired: push, IsPushAuthenticator: push,
      IsGoogleAuthenticator: false, IsAuthenticator: false, IsOTPAuthenticator: false, IsEmailOtpAuthenticator: false, IsSecurityQuestionAuthenticator: false,
    });
    expect(off.body).toEqual({ AppName: name, TwoFactorAuthentication: factors(false) });
    await useWebhook(gw, receiver);
    const on = await appInfo({ apikey: gw.apiKey });
    expect(on.body).toEqual({ AppName: name, TwoFactorAuthentication: factors(true) });
    await call(gw.url, "PUT", "/v2/manage/2fa/push-notification-settings", { headers: secretHeaders(gw), json: { IsEnabled: false } });
    expect(((await appInfo({ apikey: gw.apiKey })).body.TwoFactorAuthentication as Record<string, boolean>).IsPushAuthenticator).toBe(false);
  });

  it("needs a known apikey and nothing secret; the path is case-insensitive", async () => {
    expectContractError(await appInfo({}), "missing", 922);
    expectContractError(await appInfo({ apikey: "nope" }), "malformed", 920);
    expectContractError(await appInfo({ apikey: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" }), "unknown", 901);
    expect((await call(gw.url, "GET", "/CIAM/AppInfo", { query: { apikey: gw.apiKey } })).status).toBe(200);
  });
});

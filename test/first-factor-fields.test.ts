import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { createAccount, login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 1.6: the first-factor answer (L2) carries every field LoginRadius's typed SDKs declare, neutral where the
 * factor does not exist here, and (ext) IsBackupCodeEnabled; L9's MFA settings carry the same.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;
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

const NEUTRAL = {
  IsGoogleAuthenticatorVerified: false,
  IsAuthenticatorVerified: false,
  IsOTPAuthenticatorVerified: false,
  IsEmailOtpAuthenticatorVerified: false,
  IsSecurityQuestionAuthenticatorVerified: false,
  QRCode: null,
  ManualEntryCode: null,
  OTPPhoneNo: null,
  OTPStatus: null,
  Email: [],
  EmailOTPStatus: null,
  SecurityQuestions: [],
  IsBackupCodeEnabled: false,
};

describe("the other factors' fields", () => {
  it("L2's SecondFactorAuthentication carries every field of LoginRadius's typed SDKs, neutral, beside the push's", async () => {
    const user = `fields-${Date.now()}@example.com`;
    await createAccount(gw, user);
    const res = await login(gw, user);
    expect(res.status, res.text).toBe(200);
    const sfa = res.body.SecondFactorAuthentication as unknown as Record<string, unknown>;
    expect(sfa).toMatchObject(NEUTRAL);
    expect(Object.keys(sfa).sort()).toEqual(
      [...Object.keys(NEUTRAL), "SecondFactorAuthenticationToken", "ExpireIn", "IsPushDeviceRegistered", "PushQRCode", "PushQRCodeDetails"].sort(),
    );
    expect(res.body).toMatchObject({ Profile: null, access_token: "00000000-0000-0000-0000-000000000000", expires_in: "0001-01-01T00:00:00" });
  });

  it("L9's MFA settings carry the same fields", async () => {
    const user = `fields-l9-${Date.now()}@example.com`;
    const { Uid } = await createAccount(gw, user);
    const { access_token } = await gw.services.sessions.mint({ appId: gw.apiKey, uid: Uid });
    const res = await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${access_token}` } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ ...NEUTRAL, IsPushDeviceRegistered: false });
  });
});

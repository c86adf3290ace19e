import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { challengeOfToken } from "./support/delivery.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gw = await startTestGateway({ env: { LOG_LEVEL: "debug" } });
  receiver = await new WebhookReceiver("whsec-logs-signing-secret-0123").start();
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

describe("logs", () => {
  it("a full login flow at LOG_LEVEL=debug logs no token, handle, password, device token or secret", async () => {
    await useWebhook(gw, receiver);
    const password = "a very secret password 42";
    await createAccount(gw, "logged@example.com", password);
    const first = await login(gw, "logged@example.com", password);
    const enrollUrl = first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url;
    const enrollToken = new URL(enrollUrl).pathname.split("/").at(-1)!;
    const phone = new TestPhone();
    await phone.enroll(enrollUrl);
    const token = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const handle = (await pushOfLogin(gw, receiver, token)).data.secondfactorauthenticationtoken!;
    // A wrong answer and a bad call too: error paths log as well.
    await phone.answer(gw.url, gw.apiKey, handle, "Yes", { signature: "00".repeat(256) });
    await phone.answer(gw.url, gw.apiKey, handle, "Yes");
    const approved = (await ping(gw, token)).body as { access_token: string; refresh_token: string };
    await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey, access_token: approved.access_token } });
    await call(gw.url, "GET", "/v2/manage/2fa/push-notification-settings", { headers: secretHeaders(gw) });
    await login(gw, "logged@example.com", "wrong password");
    // The worker logs the send after the receiver answered it, and a request is logged once its answer is written:
    // wait for both lines (the last request's and this push's) rather than for a while.
    const { id: challengeId } = await challengeOfToken(gw, token);
    await gw.waitForLog((l) => l.includes('"msg":"push sent"') && l.includes(`"challenge":"${challengeId}"`));
    await gw.waitForLog((l) => l.includes('"msg":"request"') && l.includes('"route":"/identity/v2/auth/login/2fa"') && l.includes('"status":401'));

    const logs = gw.logs.join("");
    for (const secret of [password, token, handle, enrollToken, approved.access_token, approved.refresh_token, phone.deviceToken, gw.apiSecret, receiver.secret, gw.config.MASTER_KEY!]) {
      expect(logs).not.toContain(secret);
    }
  });
});

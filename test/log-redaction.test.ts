import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
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
    const enrollUrl = first.body.SecondFactorAuthentication.PushQRCode!.Url;
    const enrollToken = new URL(enrollUrl).pathname.split("/").at(-1)!;
    const phone = new TestPhone();
    await phone.enroll(enrollUrl);
    const [push] = await receiver.waitFor(1);
    const handle = push!.data.secondfactorauthenticationtoken!;
    const token = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    // A wrong answer and a bad call too: error paths log as well.
    await phone.answer(gw.url, gw.apiKey, handle, "Yes", { signature: "00".repeat(256) });
    await phone.answer(gw.url, gw.apiKey, handle, "Yes");
    const approved = (await ping(gw, token)).body as { access_token: string; refresh_token: string };
    await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey, access_token: approved.access_token } });
    await call(gw.url, "GET", "/v2/manage/2fa/push-notification-settings", { headers: secretHeaders(gw) });
    await login(gw, "logged@example.com", "wrong password");
    await new Promise((r) => setTimeout(r, 200));

    const logs = gw.logs.join("");
    expect(logs).toMatch(/"msg":"request"/);
    expect(logs).toMatch(/"msg":"push sent"/);
    for (const secret of [password, token, handle, enrollToken, approved.access_token, approved.refresh_token, phone.deviceToken, gw.apiSecret, receiver.secret, gw.config.MASTER_KEY!]) {
      expect(logs).not.toContain(secret);
    }
  });
});

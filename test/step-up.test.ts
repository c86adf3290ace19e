import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestPage } from "./support/cluster.js";
import { enrollWithoutLogin, uniqueEmail, type Enrolled } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { pushOfLogin } from "./support/pushes.js";
import { TestPhone } from "./support/phone.js";
import { login, ping, secretHeaders, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * L12 (step-up): a signed-in user is pushed again; the page waits on the socket or L4 as for a login, and the
 * approval is a validation token (`Validation` on the socket), never a new session.
 */

const STEP_UP = "/identity/v2/auth/account/reauth/2fa";

let gw: TestGateway;
let receiver: WebhookReceiver;
const pages: TestPage[] = [];

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-step-up-signing-secret").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  for (const p of pages) p.close();
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** A user signed in through a push login: their access token. */
async function signedIn(user: Enrolled): Promise<string> {
  const res = await login(gw, user.email);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const push = await pushOfLogin(gw, receiver, token);
  await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes");
  return ((await ping(gw, token)).body as { access_token: string }).access_token;
}

const stepUp = (accessToken: string | undefined, headers: Record<string, string> = {}) =>
  call<Record<string, unknown>>(gw.url, "GET", STEP_UP, {
    query: { apikey: gw.apiKey },
    headers: { ...(accessToken && { Authorization: `Bearer ${accessToken}` }), "user-agent": "Mozilla/5.0 (Macintosh; Mac OS X 14_0) Firefox/130.0", ...headers },
  });

describe("L12 step-up", () => {
  it("pushes as a login does; approved on the socket, the page gets Validation (no Login) and L4 the same; the token validates once", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("stepup") });
    const access = await signedIn(user);

    const res = await stepUp(access);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      SecondFactorAuthenticationToken: expect.any(String),
      ExpireIn: expect.any(String),
      IsPushDeviceRegistered: true,
      PushQRCode: null,
      IsAuthenticatorVerified: false,
      IsOTPAuthenticatorVerified: false,
      IsEmailOtpAuthenticatorVerified: false,
      IsSecurityQuestionAuthenticatorVerified: false,
    });
    const token = res.body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    expect(push.data.browser).toBe("Firefox on macOS");

    const page = TestPage.open(gw, token);
    pages.push(page);
    await page.waitFor((s) => s.Status === "Pending");
    expect((await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
    const approved = await page.waitFor((s) => s.Status === "Approved");
    expect(approved.Login).toBeUndefined();
    // The signed-in page knows who it is: no Uid in a step-up's validation.
    expect(approved.Validation).toEqual({ SecondFactorValidationToken: expect.any(String), ExpireIn: expect.any(String) });
    expect((await ping(gw, token)).body).toEqual(approved.Validation);
    // The page's socket is closed after the final state, as for a login.
    expect(await page.disconnected()).toBe("io server disconnect");

    // The customer's backend checks it once, at the validate endpoint of contract 2.12.
    const vt = approved.Validation!.SecondFactorValidationToken;
    const check = () => call(gw.url, "POST", "/v2/manage/push/challenge/validate", { headers: secretHeaders(gw), json: { SecondFactorValidationToken: vt } });
    expect((await check()).body).toEqual({ IsValid: true, Uid: user.uid });
    expect((await check()).body).toEqual({ IsValid: false });
    // The step-up minted no session: the user's access token is the one it was.
    const mfa = await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${access}` } });
    expect(mfa.status).toBe(200);
  });

  it("waits on a long poll as well: a held L4 answers the validation when the phone approves", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("stepup") });
    const access = await signedIn(user);
    const token = (await stepUp(access)).body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    const url = new URL("/login/2fa/push/ping", gw.url);
    url.search = new URLSearchParams({ apikey: gw.apiKey, secondfactorauthenticationtoken: token, wait: "30" }).toString();
    const held = fetch(url).then((r) => r.json() as Promise<Record<string, unknown>>);
    await gw.waitForLog((l) => l.includes('"msg":"long poll held"'));
    await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes");
    expect(await held).toEqual({ SecondFactorValidationToken: expect.any(String), ExpireIn: expect.any(String) });
  }, 40_000);

  it("denied: 1312 on L4, as a denied login", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("stepup") });
    const access = await signedIn(user);
    const token = (await stepUp(access)).body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No");
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1312 });
  });

  it("a user whose devices were removed gets the enrollment QR, as L9 and L2 give it; the push follows the enrollment", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("stepup") });
    const access = await signedIn(user);
    const removed = await call(gw.url, "DELETE", "/identity/v2/auth/account/2fa/authenticator/push", { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${access}` } });
    expect(removed.body).toEqual({ IsDeleted: true });
    const res = await stepUp(access);
    expect(res.status).toBe(200);
    expect(res.body.IsPushDeviceRegistered).toBe(false);
    expect(res.body.PushQRCode).not.toBeNull();
    // Whatever shape the QR takes (an object with Url, or a string URL of the image beside PushQRCodeDetails).
    const qr = res.body.PushQRCode as string | { Url: string };
    const enrollmentUrl = typeof qr === "string" ? (res.body.PushQRCodeDetails as { Url: string }).Url : qr.Url;
    const phone = new TestPhone();
    expect((await phone.enroll(enrollmentUrl)).status).toBe(200);
    const push = await pushOfLogin(gw, receiver, res.body.SecondFactorAuthenticationToken as string);
    await phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes");
    expect((await ping(gw, res.body.SecondFactorAuthenticationToken as string)).body).toHaveProperty("SecondFactorValidationToken");
  });

  it("refuses without a valid access token (1060, 905), and a user who said 'Not me' (1198)", async () => {
    expect((await stepUp(undefined)).body).toMatchObject({ ErrorCode: 1060 });
    expect((await stepUp("0e4f8ad4-1d7b-4d8e-9c38-41e5d23c3f11")).body).toMatchObject({ ErrorCode: 905 });

    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("stepup") });
    const access = await signedIn(user);
    const token = (await stepUp(access)).body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No", { reason: "fraud" });
    expect((await stepUp(access)).body).toMatchObject({ ErrorCode: 1198 });
  });

  it("a step-up's validation token is no access token, and the page's 2FA token is not either", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("stepup") });
    const access = await signedIn(user);
    const token = (await stepUp(access)).body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes");
    const vt = ((await ping(gw, token)).body as { SecondFactorValidationToken: string }).SecondFactorValidationToken;
    for (const t of [vt, token]) {
      const mfa = await call(gw.url, "GET", "/identity/v2/auth/account/2fa", { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${t}` } });
      expect(mfa.body).toMatchObject({ ErrorCode: 905 });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/crypto/tokens.js";
import { TestPage } from "./support/cluster.js";
import { enrollWithoutLogin, uniqueEmail } from "./support/delivery.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, ping, secretHeaders, useWebhook } from "./support/scenario.js";
import { serverKey, serverSignatureHolds } from "./support/signed-device.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 2.12: a backend that checks passwords itself asks for a push (`POST /v2/manage/push/challenge`), the page
 * waits on the socket or L4 as for a login, and the approval is a validation token the backend checks once.
 */

const CHALLENGE = "/v2/manage/push/challenge";
const VALIDATE = "/v2/manage/push/challenge/validate";

let gw: TestGateway;
let receiver: WebhookReceiver;
const pages: TestPage[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ rateLimits: { loginPerAccount: 6 } });
  receiver = await new WebhookReceiver("whsec-own-challenges-signing-secret").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  for (const p of pages) p.close();
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

type Creds = { url: string; apiKey: string; apiSecret: string };
const challenge = (who: Creds, body: unknown) =>
  call<Record<string, unknown>>(who.url, "POST", CHALLENGE, { headers: { "X-LoginRadius-ApiKey": who.apiKey, "X-LoginRadius-ApiSecret": who.apiSecret }, json: body });
const validate = (who: Creds, token: unknown) =>
  call<Record<string, unknown>>(who.url, "POST", VALIDATE, { headers: { "X-LoginRadius-ApiKey": who.apiKey, "X-LoginRadius-ApiSecret": who.apiSecret }, json: { SecondFactorValidationToken: token } });

describe("a backend's own challenge", () => {
  it("is pushed with its message and context inside the signed data, approved on the socket with Validation (no Login), and validates once", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("own") });
    const context = { Action: "Wire transfer", Amount: "€ 1,250.00", To: "ACME GmbH" };
    const res = await challenge(gw, { Uid: user.uid, Message: "Approve the wire transfer?", Context: context });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["ExpireIn", "IsPushDeviceRegistered", "SecondFactorAuthenticationToken"]);
    expect(res.body.IsPushDeviceRegistered).toBe(true);
    const token = res.body.SecondFactorAuthenticationToken as string;

    const push = await pushOfLogin(gw, receiver, token);
    expect(push.data.message).toBe("Approve the wire transfer?");
    expect(JSON.parse(push.data.context!)).toEqual(context);
    expect(push.notification.body).toBe("Approve the wire transfer?");
    // Inside what the server signs: a relay that changed what the phone shows would break the signature.
    const jwk = await serverKey(gw);
    expect(serverSignatureHolds(jwk, push.data)).toBe(true);
    expect(serverSignatureHolds(jwk, { ...push.data, message: "Approve the login?" })).toBe(false);
    expect(serverSignatureHolds(jwk, { ...push.data, context: JSON.stringify({ ...context, Amount: "€ 1.00" }) })).toBe(false);

    const page = TestPage.open(gw, token);
    pages.push(page);
    await page.waitFor((s) => s.Status === "Pending");
    const handle = push.data.secondfactorauthenticationtoken!;
    // Whoever reads the push on its way (the handle) cannot wait for the approval with it: the handle is no 2FA token.
    expect((await ping(gw, handle)).body).toMatchObject({ ErrorCode: 1103 });
    expect((await user.phone.answer(gw.url, gw.apiKey, handle, "Yes")).status).toBe(200);
    const approved = await page.waitFor((s) => s.Status === "Approved");
    expect(approved.Login).toBeUndefined();
    expect(approved.Validation).toEqual({ SecondFactorValidationToken: expect.any(String), ExpireIn: expect.any(String), Uid: user.uid });
    const vt = approved.Validation!.SecondFactorValidationToken;
    expect(Date.parse(approved.Validation!.ExpireIn)).toBeGreaterThan(Date.now());
    // L4 answers the same (no session: no access_token anywhere).
    const polled = await ping(gw, token);
    expect(polled.status).toBe(200);
    expect(polled.body).toEqual(approved.Validation);

    // Redis keeps only the token's hash.
    const dump = await dumpPrefix(gw.config.REDIS_PREFIX);
    expect(dump).not.toContain(vt);
    expect(dump).toContain(hashToken(vt));

    // Another app's backend gets false, and its check does not spend the token.
    const { app: otherApp, apiSecret: otherSecret } = await gw.services.apps.create("Another tenant");
    expect((await validate({ url: gw.url, apiKey: otherApp.apiKey, apiSecret: otherSecret }, vt)).body).toEqual({ IsValid: false });

    expect((await validate(gw, vt)).body).toEqual({ IsValid: true, Uid: user.uid });
    expect((await validate(gw, vt)).body).toEqual({ IsValid: false });
  });

  it("by Email; two concurrent validations of one token: exactly one is valid", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("own") });
    const res = await challenge(gw, { Email: user.email.toUpperCase() });
    expect(res.status).toBe(200);
    const token = res.body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    expect(push.data.message).toBeUndefined();
    expect(push.data.context).toBeUndefined();
    await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes");
    const polled = await ping(gw, token);
    const vt = (polled.body as { SecondFactorValidationToken: string }).SecondFactorValidationToken;
    const answers = await Promise.all(Array.from({ length: 8 }, () => validate(gw, vt)));
    expect(answers.filter((a) => a.body.IsValid === true)).toHaveLength(1);
    expect(answers.filter((a) => a.body.IsValid === false)).toHaveLength(7);
  });

  it("a denied one answers 1312 on L4 and gives nothing to validate; an unknown or malformed token is simply not valid", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("own") });
    const token = (await challenge(gw, { Uid: user.uid })).body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No");
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1312 });
    expect((await validate(gw, "0e4f8ad4-1d7b-4d8e-9c38-41e5d23c3f11")).body).toEqual({ IsValid: false });
    expect((await validate(gw, "not-a-token")).body).toEqual({ IsValid: false });
    // The browser's 2FA token is no validation token.
    expect((await validate(gw, token)).body).toEqual({ IsValid: false });
  });

  it("a user without a device is 1313 (never an enrollment QR); an unknown user 938", async () => {
    const email = uniqueEmail("own-nodevice");
    const { Uid } = await createAccount(gw, email);
    expect((await challenge(gw, { Uid })).body).toMatchObject({ ErrorCode: 1313 });
    expect((await challenge(gw, { Email: email })).body).toMatchObject({ ErrorCode: 1313 });
    expect((await challenge(gw, { Uid: "0".repeat(32) })).body).toMatchObject({ ErrorCode: 938 });
    expect((await challenge(gw, { Email: "nobody-here@example.com" })).body).toMatchObject({ ErrorCode: 938 });
  });

  it("a user who said 'Not me' gets 1198; pushes to one user are bounded per account (429)", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("own") });
    const token = (await challenge(gw, { Uid: user.uid })).body.SecondFactorAuthenticationToken as string;
    const push = await pushOfLogin(gw, receiver, token);
    await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "No", { reason: "fraud" });
    expect((await challenge(gw, { Uid: user.uid })).body).toMatchObject({ ErrorCode: 1198 });

    // Push bombing through this endpoint: the account's login budget (6 here) is spent, then 429 with Retry-After.
    const target = await enrollWithoutLogin(gw, { email: uniqueEmail("own-bomb") });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await challenge(gw, { Uid: target.uid }));
    expect(answers.slice(0, 6).every((a) => a.status === 200)).toBe(true);
    expect(answers[7]!.status).toBe(429);
    expect(answers[7]!.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("the largest message and context it accepts still fit a push in 4 KB (FCM data, APNs payload, Web Push record)", async () => {
    const user = await enrollWithoutLogin(gw, { email: `${"x".repeat(200)}@example.com` });
    // Three bytes per character in UTF-8 where the limits allow it.
    const context: Record<string, string> = {};
    for (let i = 0; i < 10; i++) context[`k${i}`] = "€".repeat(30);
    const res = await challenge(gw, { Uid: user.uid, Message: "€".repeat(120), Context: context });
    expect(res.status, res.text).toBe(200);
    const push = await pushOfLogin(gw, receiver, res.body.SecondFactorAuthenticationToken as string);
    const payload = Buffer.byteLength(JSON.stringify({ data: push.data, notification: push.notification }), "utf8");
    // FCM's and APNs' 4096 bytes, and Web Push's tighter one: a 4096-byte aes128gcm record less its 86-byte header,
    // 16-byte tag and padding delimiter (RFC 8188, 8291) leaves 3993 bytes of payload.
    expect(payload).toBeLessThanOrEqual(3993);
  });

  it("refuses what does not fit: 965 naming the field; management credentials as on every management call", async () => {
    const user = await enrollWithoutLogin(gw, { email: uniqueEmail("own") });
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"]));
    const cases: Array<[unknown, string]> = [
      [{}, "Uid"],
      [{ Uid: user.uid, Email: user.email }, "Uid"],
      [{ Uid: "not-a-uid" }, "Uid"],
      [{ Uid: user.uid, Message: "x".repeat(121) }, "Message"],
      [{ Uid: user.uid, Message: "line\nbreak" }, "Message"],
      [{ Uid: user.uid, Context: eleven }, "Context"],
      [{ Uid: user.uid, Context: { k: "x".repeat(61) } }, "Context.k"],
      [{ Uid: user.uid, Context: { k: 5 } }, "Context.k"],
      [{ Uid: user.uid, Context: ["a"] }, "Context"],
      [{ Uid: user.uid, Context: { ["x".repeat(41)]: "v" } }, "Context"],
    ];
    for (const [body, field] of cases) {
      const res = await challenge(gw, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.ErrorCode).toBe(965);
      expect((res.body.Errors as Array<{ FieldName: string }>).map((e) => e.FieldName).join(","), JSON.stringify(body)).toContain(field);
    }
    expect((await call(gw.url, "POST", CHALLENGE, { headers: { "X-LoginRadius-ApiKey": gw.apiKey }, json: { Uid: user.uid } })).body).toMatchObject({ ErrorCode: 923 });
    expect((await challenge({ ...gw, apiSecret: "wrong" }, { Uid: user.uid })).body).toMatchObject({ ErrorCode: 902 });
    expect((await validate({ ...gw, apiSecret: "wrong" }, "0e4f8ad4-1d7b-4d8e-9c38-41e5d23c3f11")).body).toMatchObject({ ErrorCode: 902 });
    expect((await call(gw.url, "POST", VALIDATE, { headers: secretHeaders(gw), json: {} })).body).toMatchObject({ ErrorCode: 965 });
  });
});

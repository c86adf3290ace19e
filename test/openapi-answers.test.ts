import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeOfToken, enrollWithoutLogin, sendId, settle, uniqueEmail } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call, type ApiResponse } from "./support/http.js";
import { newAjv } from "./support/openapi.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { createAccount, login, secretHeaders, useWebhook } from "./support/scenario.js";
import { pull, removeSelf, updateToken } from "./support/signed-device.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";
import { approveOnPhone, approvedAccessToken, CONSOLE_API, cookieOf, makeAdmin, postSignIn, sameOrigin } from "./support/console-admins.js";

/**
 * The document says what each route answers; here each route is called on its happy path, as a client would, and
 * its real answer is checked against the schema the document gives for it (Ajv, JSON Schema 2020-12). The last test
 * checks that no documented JSON operation was left uncalled, so a new route joins this walk or the test says so.
 */

const ADMIN_TOKEN = "operator-token-for-the-answers-test-0123";
type Op = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>; tags: string[] };

let gw: TestGateway;
let receiver: WebhookReceiver;
let doc: { paths: Record<string, Record<string, Op>> };
const ajv = newAjv();
const called = new Set<string>();

beforeAll(async () => {
  // Development (the demo routes too), resends without a cooldown, one attempt per push (a refused one is a dead letter).
  gw = await startTestGateway({ mode: "development", env: { ADMIN_TOKEN, RESEND_MIN_INTERVAL_SECONDS: "0", PUSH_ATTEMPTS: "1" } });
  receiver = await new WebhookReceiver("whsec-openapi-answers-secret-0123").start();
  doc = (await call(gw.url, "GET", "/openapi.json")).body as typeof doc;
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** The answer is a 200 and fits the document's schema for `METHOD path` (the path as documented). */
function fits(method: string, path: string, res: ApiResponse<unknown>): void {
  expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBe(200);
  const op = doc.paths[path]?.[method.toLowerCase()];
  expect(op, `${method} ${path} is documented`).toBeDefined();
  const json = op!.responses["200"]?.content?.["application/json"];
  expect(json, `${method} ${path} documents a JSON answer`).toBeDefined();
  const ok = ajv.validate(json!.schema, res.body);
  expect(ok, `${method} ${path}: ${ajv.errorsText()}\n${res.text.slice(0, 500)}`).toBe(true);
  called.add(`${method.toUpperCase()} ${path}`);
}

const q = (extra: Record<string, string> = {}) => ({ apikey: gw.apiKey, ...extra });

describe("every route's real answer fits its schema in /openapi.json", () => {
  it("operations, settings and accounts", async () => {
    fits("GET", "/healthz", await call(gw.url, "GET", "/healthz"));
    fits("GET", "/readyz", await call(gw.url, "GET", "/readyz"));
    fits("GET", "/openapi.json", await call(gw.url, "GET", "/openapi.json"));
    fits("GET", "/identity/v2/auth/push/vapid-public-key", await call(gw.url, "GET", "/identity/v2/auth/push/vapid-public-key", { query: q() }));
    fits("GET", "/ciam/appinfo", await call(gw.url, "GET", "/ciam/appinfo", { query: q() }));
    fits("POST", "/v2/manage/token", await call(gw.url, "POST", "/v2/manage/token", { headers: secretHeaders(gw) }));
    const metrics = await fetch(`${gw.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
    await metrics.text();

    const settingsPath = "/v2/manage/2fa/push-notification-settings";
    await useWebhook(gw, receiver);
    fits("PUT", settingsPath, await call(gw.url, "PUT", settingsPath, { headers: secretHeaders(gw), json: { QRCodeWidth: 220 } }));
    fits("GET", settingsPath, await call(gw.url, "GET", settingsPath, { headers: secretHeaders(gw) }));
    fits("POST", "/identity/v2/manage/account", await call(gw.url, "POST", "/identity/v2/manage/account", {
      headers: secretHeaders(gw),
      json: { Email: [{ Type: "Primary", Value: uniqueEmail("oas") }], Password: "correct horse battery", FirstName: "Ada" },
    }));
  });

  it("a login from the first factor to the session, and what the user and the phone do after", async () => {
    const email = uniqueEmail("oas-login");
    const { Uid: uid } = await createAccount(gw, email);
    const first = await login(gw, email);
    fits("POST", "/identity/v2/auth/login/2fa", first);
    const token = first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;

    const phone = new TestPhone();
    fits("POST", "/identity/v2/auth/account/2fa/push/enroll/{token}", await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url));
    const handle = (await pushOfLogin(gw, receiver, token)).data.secondfactorauthenticationtoken!;
    // L3, the resend: the same path with the token and no body.
    fits("POST", "/identity/v2/auth/login/2fa", await call(gw.url, "POST", "/identity/v2/auth/login/2fa", { query: q({ secondfactorauthenticationtoken: token }) }));
    fits("GET", "/identity/v2/auth/account/2fa/push/pending", await pull(gw, phone));
    fits("PUT", "/identity/v2/auth/login/2fa/verification/push", await phone.answer(gw.url, gw.apiKey, handle, "Yes"));
    fits("GET", "/login/2fa/push/ping", await call(gw.url, "GET", "/login/2fa/push/ping", { query: q({ secondfactorauthenticationtoken: token }) }));
    const approved = await call<{ access_token: string }>(gw.url, "GET", "/identity/v2/auth/login/2fa/push/ping", { query: q({ secondfactorauthenticationtoken: token }) });
    fits("GET", "/identity/v2/auth/login/2fa/push/ping", approved);
    const user = { query: q(), headers: { authorization: `Bearer ${approved.body.access_token}` } };

    fits("GET", "/identity/v2/auth/account/2fa", await call(gw.url, "GET", "/identity/v2/auth/account/2fa", user));
    const mine = await call<{ Data: Array<{ Id: string }> }>(gw.url, "GET", "/identity/v2/auth/account/2fa/push/devices", user);
    fits("GET", "/identity/v2/auth/account/2fa/push/devices", mine);
    const deviceId = mine.body.Data[0]!.Id;
    fits("PUT", "/identity/v2/auth/account/2fa/push/devices/{deviceId}", await call(gw.url, "PUT", `/identity/v2/auth/account/2fa/push/devices/${deviceId}`, { ...user, json: { Name: "Work phone" } }));
    fits("GET", "/identity/v2/auth/push/server-key", await call(gw.url, "GET", "/identity/v2/auth/push/server-key", { query: q() }));
    fits("PUT", "/identity/v2/auth/account/2fa/push/device-token", await updateToken(gw, phone, "a-new-fcm-token"));

    // The admin's side of the same user.
    fits("GET", "/v2/manage/account/{uid}/push/devices", await call(gw.url, "GET", `/v2/manage/account/${uid}/push/devices`, { headers: secretHeaders(gw) }));
    fits("POST", "/v2/manage/push/test", await call(gw.url, "POST", "/v2/manage/push/test", { headers: secretHeaders(gw), json: { Uid: uid } }));
    fits("GET", "/v2/manage/push/audit", await call(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw), query: { count: "5" } }));
    fits("DELETE", "/v2/manage/account/{uid}/push/lock", await call(gw.url, "DELETE", `/v2/manage/account/${uid}/push/lock`, { headers: secretHeaders(gw) }));

    // Backup codes: mine, reset, an admin's for the user, and a waiting login finished with one.
    fits("GET", "/identity/v2/auth/account/2fa/backupcode", await call(gw.url, "GET", "/identity/v2/auth/account/2fa/backupcode", user));
    fits("GET", "/identity/v2/auth/account/2fa/backupcode/reset", await call(gw.url, "GET", "/identity/v2/auth/account/2fa/backupcode/reset", user));
    fits("GET", "/identity/v2/manage/account/2fa/backupcode", await call(gw.url, "GET", "/identity/v2/manage/account/2fa/backupcode", { headers: secretHeaders(gw), query: { uid } }));
    const codes = await call<{ BackUpCodes: string[] }>(gw.url, "GET", "/identity/v2/manage/account/2fa/backupcode/reset", { headers: secretHeaders(gw), query: { uid } });
    fits("GET", "/identity/v2/manage/account/2fa/backupcode/reset", codes);
    const waiting = await login(gw, email);
    fits("PUT", "/identity/v2/auth/login/2fa/verification/backupcode", await call(gw.url, "PUT", "/identity/v2/auth/login/2fa/verification/backupcode", {
      query: q({ secondfactorauthenticationtoken: waiting.body.SecondFactorAuthentication.SecondFactorAuthenticationToken }),
      json: { backupcode: codes.body.BackUpCodes[0]! },
    }));

    // The console's reads of the same user.
    const admin = { headers: secretHeaders(gw) };
    fits("GET", "/v2/manage/push/users", await call(gw.url, "GET", "/v2/manage/push/users", { ...admin, query: { q: email } }));
    fits("GET", "/v2/manage/account/{uid}/push/overview", await call(gw.url, "GET", `/v2/manage/account/${uid}/push/overview`, admin));
    fits("GET", "/v2/manage/push/audit/lines", await call(gw.url, "GET", "/v2/manage/push/audit/lines", admin));
    fits("GET", "/v2/manage/push/stats", await call(gw.url, "GET", "/v2/manage/push/stats", admin));
    fits("GET", "/v2/manage/push/console-session", await call(gw.url, "GET", "/v2/manage/push/console-session", admin));
    const csv = await fetch(`${gw.url}/v2/manage/push/audit/export`, admin);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    await csv.text();

    // Step-up (L12) for the signed-in user, and a backend's own challenge (2.12) with a token nobody approved.
    fits("GET", "/identity/v2/auth/account/reauth/2fa", await call(gw.url, "GET", "/identity/v2/auth/account/reauth/2fa", user));
    fits("POST", "/v2/manage/push/challenge", await call(gw.url, "POST", "/v2/manage/push/challenge", { headers: secretHeaders(gw), json: { Uid: uid, Message: "Confirm the transfer" } }));
    fits("POST", "/v2/manage/push/challenge/validate", await call(gw.url, "POST", "/v2/manage/push/challenge/validate", { headers: secretHeaders(gw), json: { SecondFactorValidationToken: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" } }));

    // And the removals: one device, all of mine, all of a user's.
    fits("DELETE", "/identity/v2/auth/account/2fa/push/devices/{deviceId}", await call(gw.url, "DELETE", `/identity/v2/auth/account/2fa/push/devices/${deviceId}`, user));
    // A second phone, removed by an admin.
    const second = new TestPhone();
    const qr = (await call<{ PushQRCodeDetails: { Url: string } }>(gw.url, "GET", "/identity/v2/auth/account/2fa", user)).body.PushQRCodeDetails.Url;
    expect((await second.enroll(qr)).status).toBe(200);
    const theirs = await call<{ Data: Array<{ Id: string }> }>(gw.url, "GET", `/v2/manage/account/${uid}/push/devices`, { headers: secretHeaders(gw) });
    fits("DELETE", "/v2/manage/account/{uid}/push/devices/{deviceId}", await call(gw.url, "DELETE", `/v2/manage/account/${uid}/push/devices/${theirs.body.Data[0]!.Id}`, { headers: secretHeaders(gw) }));
    fits("DELETE", "/identity/v2/auth/account/2fa/authenticator/push", await call(gw.url, "DELETE", "/identity/v2/auth/account/2fa/authenticator/push", user));
    fits("DELETE", "/identity/v2/manage/account/2fa/authenticator/push/{uid}", await call(gw.url, "DELETE", `/identity/v2/manage/account/2fa/authenticator/push/${uid}`, { headers: secretHeaders(gw) }));
    // A third phone removes itself with its key.
    const third = new TestPhone("p256");
    const qr3 = (await call<{ PushQRCodeDetails: { Url: string } }>(gw.url, "GET", "/identity/v2/auth/account/2fa", user)).body.PushQRCodeDetails.Url;
    expect((await third.enroll(qr3)).status).toBe(200);
    fits("DELETE", "/identity/v2/auth/account/2fa/push/device", await removeSelf(gw, third));
  });

  it("dead letters: a push the webhook refused is listed, then retried once the settings are saved again", async () => {
    const e = await enrollWithoutLogin(gw);
    receiver.script.push(401);
    const res = await login(gw, e.email);
    const c = await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    const id = sendId(c, e.device.id);
    expect((await settle(gw, id)).state).toBe("failed");
    fits("GET", "/v2/manage/push/dead-letters", await call(gw.url, "GET", "/v2/manage/push/dead-letters", { headers: secretHeaders(gw) }));
    await useWebhook(gw, receiver);
    fits("POST", "/v2/manage/push/dead-letters/{jobId}/retry", await call(gw.url, "POST", `/v2/manage/push/dead-letters/${id}/retry`, { headers: secretHeaders(gw) }));
  });

  it("a named admin's console sign-in (2.14)", async () => {
    const email = uniqueEmail("oas-admin");
    await makeAdmin(gw, email, "viewer");
    const started = await postSignIn(gw, email);
    fits("POST", CONSOLE_API.signIn, started);
    await approveOnPhone(gw, new TestPhone(), started.body);
    const session = await call(gw.url, "POST", CONSOLE_API.session, { headers: sameOrigin(gw), json: { AccessToken: await approvedAccessToken(gw, started.body) } });
    fits("POST", CONSOLE_API.session, session);
    const cookie = { Cookie: cookieOf(session) };
    fits("GET", CONSOLE_API.me, await call(gw.url, "GET", CONSOLE_API.me, { headers: cookie }));
    fits("POST", CONSOLE_API.signOut, await call(gw.url, "POST", CONSOLE_API.signOut, { headers: { ...cookie, ...sameOrigin(gw) } }));
  });

  it("the demo's routes", async () => {
    fits("POST", "/demo/signup", await call(gw.url, "POST", "/demo/signup", { json: { email: uniqueEmail("oas-demo"), password: "correct horse battery" } }));
    fits("POST", "/demo/inbox", await call(gw.url, "POST", "/demo/inbox", { raw: "{}" }));
  });

  it("no documented JSON operation was left out of this walk", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        // bull-board's own API has no schema of ours; /metrics answers text (checked above).
        .filter(([, op]) => !op.tags.includes("Operator") && op.responses["200"]?.content?.["application/json"])
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.filter((name) => !called.has(name))).toEqual([]);
  });
});

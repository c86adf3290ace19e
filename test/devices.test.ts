import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyFingerprint } from "../src/devices/key-fingerprint.js";
import { enrollWithoutLogin, type Enrolled } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError, hostileBody, hostileString, redisState } from "./support/contract.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { login, ping, secretHeaders, useWebhook, waitForOutcome } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * A user's own push devices (ext): list, rename and remove them with the access token of an approved login.
 * Errors: the credentials' codes (922/920/901, 1060, 905/906), 908 for a device id that is malformed or names no
 * device of this user, 965 for a bad rename body.
 */

const PATH = "/identity/v2/auth/account/2fa/push/devices";
const UNKNOWN = "b1fbbba5-2a5e-41a2-96da-c216df36e6f4";

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-devices-signing-secret-01").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

interface SignedIn extends Enrolled {
  accessToken: string;
  /** A second device, enrolled after the first. */
  second: { phone: TestPhone; id: string };
}

/** A user with two devices who signed in: the push approved on the first, the access token from L4. */
async function signedInUser(): Promise<SignedIn> {
  const e = await enrollWithoutLogin(gw);
  const app = (await gw.services.apps.get(gw.apiKey))!;
  const qr = await gw.services.enrollment.issue({ appId: gw.apiKey, uid: e.uid }, await gw.services.settings.get(app.apiKey, app.name));
  const phone2 = new TestPhone();
  expect((await phone2.enroll(qr.PushQRCodeDetails.Url, "Work tablet", "ios")).status).toBe(200);
  const second = (await gw.services.devices.list(gw.apiKey, e.uid)).find((d) => d.id !== e.device.id)!;

  const res = await login(gw, e.email);
  expect(res.status).toBe(200);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const push = await pushOfLogin(gw, receiver, token);
  expect((await e.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
  const approved = await waitForOutcome(gw, token);
  expect(approved.status, approved.text).toBe(200);
  return { ...e, accessToken: (approved.body as { access_token: string }).access_token, second: { phone: phone2, id: second.id } };
}


const asUser = (u: { accessToken: string }) => ({ query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${u.accessToken}` } });
const listOwn = (u: SignedIn) => call<{ Data: Array<Record<string, unknown>> }>(gw.url, "GET", PATH, asUser(u));
const rename = (u: SignedIn, id: string, json: unknown) => call(gw.url, "PUT", `${PATH}/${id}`, { ...asUser(u), json });
const remove = (u: SignedIn, id: string) => call(gw.url, "DELETE", `${PATH}/${id}`, asUser(u));
const mfaSettings = (u: SignedIn) => call<{ IsPushDeviceRegistered: boolean }>(gw.url, "GET", "/identity/v2/auth/account/2fa", asUser(u));

const state = () => redisState(gw);

describe("my push devices", () => {
  it("lists my devices with their name, type and state, and nothing of their keys or push tokens", async () => {
    const u = await signedInUser();
    const res = await listOwn(u);
    expect(res.status, res.text).toBe(200);
    expect(res.body.Data.map((d) => [d.Id, d.Name, d.Type, d.IsActive])).toEqual([
      [u.device.id, "Test phone", "android", true],
      [u.second.id, "Work tablet", "ios", true],
    ]);
    for (const d of res.body.Data) expect(Object.keys(d).sort()).toEqual(["CreatedDate", "Id", "IsActive", "Name", "Type"]);
    expect(res.text).not.toContain(u.phone.publicKeyHex.slice(0, 40));
    expect(res.text).not.toContain(u.phone.deviceToken);
    expect(res.text).not.toContain("tokenSealed");
  });

  it("renames one of my devices (trimmed); the admin's list shows the new name", async () => {
    const u = await signedInUser();
    const res = await rename(u, u.second.id, { Name: "  iPad (work)  " });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ IsPosted: true });
    expect((await listOwn(u)).body.Data.find((d) => d.Id === u.second.id)!.Name).toBe("iPad (work)");
    const admin = await call<{ Data: Array<{ Id: string; Name: string }> }>(gw.url, "GET", `/v2/manage/account/${u.uid}/push/devices`, { headers: secretHeaders(gw) });
    expect(admin.body.Data.find((d) => d.Id === u.second.id)!.Name).toBe("iPad (work)");
    // The device still answers pushes: the rename changed nothing else.
    const stored = (await gw.services.devices.get(gw.apiKey, u.uid, u.second.id))!;
    expect(stored).toMatchObject({ name: "iPad (work)", type: "ios", publicKey: u.second.phone.publicKeyHex, active: true });
    // Ids match case-insensitively, as paths do; any printable name survives the round trip.
    expect((await rename(u, u.second.id.toUpperCase(), { Name: "Zoë's 📱 \"work\" / <b>" })).status).toBe(200);
    expect((await listOwn(u)).body.Data.find((d) => d.Id === u.second.id)!.Name).toBe("Zoë's 📱 \"work\" / <b>");
  });

  it("refuses a bad rename body with 965 naming the field, and changes nothing", async () => {
    const u = await signedInUser();
    const before = await state();
    for (const json of [{}, { Name: "" }, { Name: "   " }, { Name: "x".repeat(101) }, { Name: "tab\there" }, { Name: "nul\u0000" }, { Name: 5 }, { Name: null }, { name: "lower case" }, [], "text", null]) {
      const res = await rename(u, u.second.id, json);
      expectContractError(res, `rename ${JSON.stringify(json)}`, 965);
    }
    const res = await rename(u, u.second.id, { Name: "" });
    expect((res.body as { Errors: Array<{ FieldName: string }> }).Errors[0]!.FieldName).toBe("Name");
    expect(await state()).toBe(before);
  });

  it("another user's device, an unknown id or a malformed one: 908, and nothing is written", async () => {
    const alice = await signedInUser();
    const bob = await signedInUser();
    const before = await state();
    for (const id of [bob.device.id, bob.second.id.toUpperCase(), UNKNOWN]) {
      const renamed = await rename(alice, id, { Name: "mine now" });
      expectContractError(renamed, `rename ${id}`, 908);
      expect(renamed.status).toBe(403);
      expect((renamed.body as { Description: string }).Description).toContain("No push device of this account has this id");
      expectContractError(await remove(alice, id), `remove ${id}`, 908);
    }
    for (const id of ["not-a-guid", "%00", "..%2F..%2Fadmin", "x".repeat(3000), `${UNKNOWN}0`, "%E2%80%AE"]) {
      const res = await remove(alice, id);
      expectContractError(res, `remove ${id.slice(0, 40)}`, 908);
      expectContractError(await rename(alice, id, { Name: "x" }), `rename ${id.slice(0, 40)}`, 908);
      expect((res.body as { Errors?: Array<{ FieldName: string }> }).Errors?.[0]?.FieldName).toBe("deviceId");
    }
    expect(await state()).toBe(before);
    expect((await gw.services.devices.list(gw.apiKey, bob.uid)).map((d) => d.name)).toEqual(["Test phone", "Work tablet"]);
  });

  it("removing a device drops it and its key-index entry, queues its SNS endpoint's deletion and records device.removed", async () => {
    const u = await signedInUser();
    const arn = `arn:aws:sns:us-east-1:123456789012:endpoint/APNS/acme/${u.second.id}`;
    expect(await gw.services.devices.patch(gw.apiKey, u.uid, u.second.id, { endpointArn: arn })).toBe(true);
    const index = gw.services.keys.devicesByKey(gw.apiKey, keyFingerprint(u.second.phone.publicKeyHex));
    expect(await gw.services.redis.smembers(index)).toEqual([`${u.uid}|${u.second.id}`]);

    const res = await remove(u, u.second.id);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ IsDeleted: true });
    expect((await listOwn(u)).body.Data.map((d) => d.Id)).toEqual([u.device.id]);
    expect(await gw.services.redis.smembers(index)).toEqual([]);
    const jobs = await gw.services.queues.push.getJobs(["waiting", "active", "delayed", "completed", "failed"]);
    expect(jobs.some((j) => j.name === "delete-endpoint" && (j.data as { endpointArn?: string }).endpointArn === arn)).toBe(true);
    const audit = await call<{ Data: Array<Record<string, string>> }>(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw) });
    expect(audit.body.Data.find((e) => e.type === "device.removed" && e.device === u.second.id)).toMatchObject({ uid: u.uid, detail: "by its owner" });
    // Gone: a second removal names no device.
    expectContractError(await remove(u, u.second.id), "removed twice", 908);
    // The other device still gets pushes.
    expect((await mfaSettings(u)).body.IsPushDeviceRegistered).toBe(true);
  });

  it("removing the last device: L9 reports IsPushDeviceRegistered false, and a login waiting on that device is cancelled", async () => {
    const u = await signedInUser();
    expect((await remove(u, u.second.id)).status).toBe(200);
    const pending = await login(gw, u.email);
    const token = pending.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1295 });

    expect((await remove(u, u.device.id)).status).toBe(200);
    const mfa = await mfaSettings(u);
    expect(mfa.status, mfa.text).toBe(200);
    expect(mfa.body.IsPushDeviceRegistered).toBe(false);
    expect((await listOwn(u)).body.Data).toEqual([]);
    expect((await ping(gw, token)).body).toMatchObject({ ErrorCode: 1104 });
    // The next login offers the enrollment QR again.
    const next = await login(gw, u.email);
    expect(next.body.SecondFactorAuthentication.IsPushDeviceRegistered).toBe(false);
    expect(next.body.SecondFactorAuthentication.PushQRCode).not.toBeNull();
  });

  it("without a valid access token nothing is listed, renamed or removed: 1060, 905", async () => {
    const u = await signedInUser();
    const before = await state();
    for (const [method, path] of [["GET", PATH], ["PUT", `${PATH}/${u.device.id}`], ["DELETE", `${PATH}/${u.device.id}`]] as const) {
      const json = method === "PUT" ? { Name: "stolen" } : undefined;
      expectContractError(await call(gw.url, method, path, { query: { apikey: gw.apiKey }, ...(json && { json }) }), `${method} no token`, 1060);
      expectContractError(await call(gw.url, method, path, { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${UNKNOWN}` }, ...(json && { json }) }), `${method} unknown token`, 905);
      expectContractError(await call(gw.url, method, path, { query: { apikey: gw.apiKey }, headers: { Authorization: "Bearer not-a-token" }, ...(json && { json }) }), `${method} malformed token`, 905);
      expectContractError(await call(gw.url, method, path, { headers: { Authorization: `Bearer ${u.accessToken}` }, ...(json && { json }) }), `${method} no apikey`, 922);
    }
    expect(await state()).toBe(before);
  });
});

/** The hostile-input checks of test/hostile-input.test.ts, for these endpoints. */
describe("hostile input on the device endpoints", () => {
  let u: SignedIn;
  beforeAll(async () => {
    u = await signedInUser();
  });

  interface Endpoint {
    name: string;
    method: string;
    path: () => string;
  }
  const endpoints: Endpoint[] = [
    { name: "list my devices", method: "GET", path: () => PATH },
    // An id of no device of the user: nothing valid can be written through these.
    { name: "rename a device", method: "PUT", path: () => `${PATH}/${UNKNOWN}` },
    { name: "remove a device", method: "DELETE", path: () => `${PATH}/${UNKNOWN}` },
  ];
  const validQuery = () => ({ apikey: gw.apiKey, access_token: u.accessToken });

  const body = hostileBody(["Name", "name", "Id", "IsActive", "publicKey"]);

  describe.each(endpoints)("$name", (ep) => {
    const hasBody = ep.method !== "GET";
    const send = (o: { query?: Record<string, string>; json?: unknown; raw?: string; headers?: Record<string, string> }) =>
      call(gw.url, ep.method, ep.path(), { query: o.query ?? validQuery(), headers: { ...o.headers }, ...(o.json !== undefined && { json: o.json }), ...(o.raw !== undefined && { raw: o.raw }) });

    it("refuses hostile bodies and parameters with the contract's error and writes nothing", async () => {
      const before = await state();
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(body, fc.dictionary(fc.constantFrom("apikey", "access_token"), hostileString, { maxKeys: 2 }), async (body, params) => {
          const query = { ...validQuery(), ...params };
          const res = await send(hasBody ? { json: body, query } : { query });
          if (res.status >= 200 && res.status < 300) accepted++;
          else expectContractError(res, `${ep.name} ${String(JSON.stringify(body)).slice(0, 100)} ${JSON.stringify(params).slice(0, 100)}`);
        }),
        { numRuns: 25, endOnFailure: true },
      );
      if (hasBody) expect(accepted).toBe(0);
      expect(await state()).toBe(before);
    });

    // Skipped for GET endpoints: a GET carries no request body (HTTP gives it no meaning and fetch refuses to send
    // one), so there is nothing to refuse; their hostile query parameters are covered by the test above.
    it.skipIf(!hasBody)("refuses bad JSON, oversized bodies and wrong content types", async () => {
      const before = await state();
      for (const raw of ["{", "{\"a\":", "[1,2", "\"just a string", "nul", "{\"a\":1}}"]) expectContractError(await send({ raw }), `${ep.name} raw ${raw}`);
      expectContractError(await send({ raw: JSON.stringify({ Name: "x".repeat(100_000) }) }), `${ep.name} oversized`);
      expectContractError(await send({ raw: "Name=a", headers: { "content-type": "application/x-www-form-urlencoded" } }), `${ep.name} form`);
      expect(await state()).toBe(before);
    });

    it("refuses missing, malformed, repeated and unknown credentials and tokens", async () => {
      const before = await state();
      const q = validQuery();
      const variants: Array<Record<string, string>> = [{}];
      for (const k of Object.keys(q) as Array<keyof typeof q>) {
        variants.push({ ...q, [k]: "" }, { ...q, [k]: "not-a-guid" }, { ...q, [k]: UNKNOWN }, { ...q, [k]: "x".repeat(5000) });
        const { [k]: _dropped, ...rest } = q;
        variants.push(rest);
      }
      for (const query of variants) {
        const res = await send({ query, headers: { "X-LoginRadius-ApiKey": "" }, ...(hasBody && { json: { Name: "renamed" } }) });
        expectContractError(res, `${ep.name} ${JSON.stringify(query).slice(0, 120)}`);
      }
      // A parameter given twice is malformed, not a crash.
      for (const name of ["apikey", "access_token"]) {
        const url = new URL(ep.path(), gw.url);
        for (const [k, v] of Object.entries(q)) url.searchParams.append(k, v);
        url.searchParams.append(name, name === "apikey" ? gw.apiKey : u.accessToken);
        const res = await fetch(url, { method: ep.method, headers: { "content-type": "application/json" }, ...(hasBody && { body: '{"Name":"renamed"}' }) });
        expect(res.status, name).toBe(403);
        expect(await res.json(), name).toMatchObject({ ErrorCode: 908, Errors: [{ FieldName: name }] });
      }
      expect(await state()).toBe(before);
    });
  });

  it("a rename that names a real device but sends a hostile body changes nothing", async () => {
    const before = await state();
    await fc.assert(
      fc.asyncProperty(body, async (body) => {
        const valid = typeof body === "object" && body !== null && !Array.isArray(body) && typeof (body as { Name?: unknown }).Name === "string";
        fc.pre(!valid);
        expectContractError(await rename(u, u.device.id, body), `rename ${String(JSON.stringify(body)).slice(0, 100)}`, 965);
      }),
      { numRuns: 25, endOnFailure: true },
    );
    expect(await state()).toBe(before);
  });
});

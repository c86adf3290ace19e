import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyFingerprint } from "../src/devices/key-fingerprint.js";
import { TestPage } from "./support/cluster.js";
import { expectContractError, redisState } from "./support/contract.js";
import { challengeOfToken, enrollWithoutLogin, sendId, settle, type Enrolled } from "./support/delivery.js";
import { derToRs, rsToP1363 } from "./support/ecdsa-encodings.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { pushOfLogin } from "./support/pushes.js";
import { login, ping, secretHeaders, useWebhook } from "./support/scenario.js";
import { freshTimestamp, pull, pullText, removalText, removeSelf, tokenText } from "./support/signed-device.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * (ext) A device removes itself from the gateway with its key: `DELETE /identity/v2/auth/account/2fa/push/device`,
 * signed over `remove:<apikey>:<timestamp>` under contract 2.8's replay rule (a timestamp within ±60 s, once per
 * key whatever the signature's encoding). It goes the way a user's or an admin's removal goes. Called as a phone
 * calls it, from the words of the API alone.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-self-removal-secret-0123").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

const devicesOf = (e: Enrolled) => gw.services.devices.list(gw.apiKey, e.uid);
const auditOf = async () =>
  (await call<{ Data: Array<Record<string, string>> }>(gw.url, "GET", "/v2/manage/push/audit", { headers: secretHeaders(gw), query: { count: "200" } })).body.Data;

/** L2 with the login page's socket open on it, once the push to `e`'s device has gone out: its device handle too. */
async function waitingLogin(e: Enrolled): Promise<{ token: string; handle: string; page: TestPage }> {
  const res = await login(gw, e.email);
  expect(res.status, res.text).toBe(200);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  const handle = (await pushOfLogin(gw, receiver, token)).data.secondfactorauthenticationtoken!;
  expect((await settle(gw, sendId(await challengeOfToken(gw, token), e.device.id))).state).toBe("completed");
  const page = TestPage.open(gw, token);
  await page.waitFor((s) => s.Status === "Pending");
  return { token, handle, page };
}

describe("a device removes itself with its key", () => {
  it("removes the device: gone from the user's devices and the key index, its endpoint queued for deletion, audited by the device itself; the next login gets the QR", async () => {
    const e = await enrollWithoutLogin(gw);
    const arn = `arn:aws:sns:us-east-1:123456789012:endpoint/GCM/acme/${e.device.id}`;
    expect(await gw.services.devices.patch(gw.apiKey, e.uid, e.device.id, { endpointArn: arn })).toBe(true);
    const index = gw.services.keys.devicesByKey(gw.apiKey, keyFingerprint(e.phone.publicKeyHex));
    expect(await gw.services.redis.smembers(index)).toEqual([`${e.uid}|${e.device.id}`]);

    const res = await removeSelf(gw, e.phone);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ IsDeleted: true });
    expect(await devicesOf(e)).toEqual([]);
    expect(await gw.services.redis.smembers(index)).toEqual([]);
    const jobs = await gw.services.queues.push.getJobs(["waiting", "active", "delayed", "completed", "failed"]);
    expect(jobs.some((j) => j.name === "delete-endpoint" && (j.data as { endpointArn?: string }).endpointArn === arn)).toBe(true);
    expect((await auditOf()).find((a) => a.type === "device.removed" && a.device === e.device.id)).toMatchObject({ uid: e.uid, by: "the device itself" });

    // The key is enrolled nowhere now: it can neither pull nor remove again (as the pull answers an unknown key).
    expectContractError(await pull(gw, e.phone), "a pull after the removal", 1313);
    expectContractError(await removeSelf(gw, e.phone), "a second removal", 1313);
    // As after L7: the user has no device, so the next login offers the enrollment QR.
    const next = await login(gw, e.email);
    expect(next.status, next.text).toBe(200);
    expect(next.body.SecondFactorAuthentication.IsPushDeviceRegistered).toBe(false);
    expect(next.body.SecondFactorAuthentication.PushQRCode).not.toBeNull();
  });

  it("removes every device of the app enrolled with the key (two users on one phone), an inactive one too, and nobody else's", async () => {
    const phone = new TestPhone("p256");
    const alice = await enrollWithoutLogin(gw, { phone });
    const bob = await enrollWithoutLogin(gw, { phone });
    const stranger = await enrollWithoutLogin(gw);
    // Bob's push token died: a removal is no reason to revive it first.
    expect(await gw.services.devices.patch(gw.apiKey, bob.uid, bob.device.id, { active: false })).toBe(true);

    expect((await removeSelf(gw, phone)).body).toEqual({ IsDeleted: true });
    expect(await devicesOf(alice)).toEqual([]);
    expect(await devicesOf(bob)).toEqual([]);
    expect((await devicesOf(stranger)).map((d) => d.id)).toEqual([stranger.device.id]);
    const removed = (await auditOf()).filter((a) => a.type === "device.removed" && a.by === "the device itself").map((a) => a.uid);
    expect(removed).toEqual(expect.arrayContaining([alice.uid, bob.uid]));
    expect(removed).not.toContain(stranger.uid);
  });

  it("cancels the login waiting on the device: its page hears what a reset (L7/L8) gives, and the ping and the phone's answer get 1104", async () => {
    const [leaving, reset] = [await enrollWithoutLogin(gw), await enrollWithoutLogin(gw)];
    const [mine, theirs] = [await waitingLogin(leaving), await waitingLogin(reset)];

    expect((await removeSelf(gw, leaving.phone)).body).toEqual({ IsDeleted: true });
    const L8 = await call(gw.url, "DELETE", `/identity/v2/manage/account/2FA/authenticator/push/${reset.uid}`, { headers: secretHeaders(gw) });
    expect(L8.body).toEqual({ IsDeleted: true });

    const heard = await mine.page.waitFor((s) => s.Status !== "Pending");
    const afterReset = await theirs.page.waitFor((s) => s.Status !== "Pending");
    expect(heard.Status).toBe("Cancelled");
    expect(heard.Status).toBe(afterReset.Status);
    expect(Object.keys(heard).sort()).toEqual(Object.keys(afterReset).sort());
    expectContractError(await ping(gw, mine.token), "the ping after the removal", 1104);
    expectContractError(await leaving.phone.answer(gw.url, gw.apiKey, mine.handle, "Yes"), "an answer by the removed phone", 1104);
    mine.page.socket.disconnect();
    theirs.page.socket.disconnect();
  });

  it("refuses a replayed removal in any encoding, a stale timestamp, a signature by another key or over another text with 1297 saying why; the device stays", async () => {
    const e = await enrollWithoutLogin(gw, { phone: new TestPhone("p256") });
    const before = await redisState(gw);

    const stale = String(Date.now() - 120_000);
    expect((await removeSelf(gw, e.phone, { timestamp: stale })).body).toMatchObject({ ErrorCode: 1297, Description: expect.stringMatching(/seconds off/) });
    expect((await removeSelf(gw, e.phone, { timestamp: "yesterday" })).body).toMatchObject({ ErrorCode: 1297, Description: expect.stringMatching(/milliseconds/) });
    const fresh = freshTimestamp();
    const otherSignatures = {
      "another key": new TestPhone("p256").sign(removalText(gw.apiKey, fresh)),
      "another apikey": e.phone.sign(removalText(crypto.randomUUID(), fresh)),
      "a pull": e.phone.sign(pullText(gw.apiKey, fresh)),
      "a token update": e.phone.sign(tokenText(gw.apiKey, fresh, "none")),
      "the device handshake": e.phone.sign(`device:${gw.apiKey}:${fresh}`),
    };
    for (const [what, signature] of Object.entries(otherSignatures)) {
      const refused = await removeSelf(gw, e.phone, { timestamp: fresh, signature });
      expectContractError(refused, what, 1297);
      expect(refused.status).toBe(403);
      expect(refused.body.Description, what).toMatch(/does not verify/);
    }
    // Nothing was removed and no timestamp used up.
    expect(await redisState(gw)).toBe(before);
    expect((await devicesOf(e)).map((d) => d.id)).toEqual([e.device.id]);

    // Each timestamp once per key, whatever the call: one a pull used cannot remove (a pull's signature cannot either).
    const timestamp = freshTimestamp();
    const der = e.phone.sign(removalText(gw.apiKey, timestamp));
    expectContractError(await removeSelf(gw, e.phone, { timestamp, signature: e.phone.sign(pullText(gw.apiKey, timestamp)) }), "a pull's signature", 1297);
    expect((await pull(gw, e.phone, { timestamp })).status).toBe(200);
    const usedByPull = await removeSelf(gw, e.phone, { timestamp, signature: der });
    expectContractError(usedByPull, "a timestamp a pull used", 1297);
    expect(usedByPull.body.Description).toMatch(/already used/);
    expect(await devicesOf(e)).toHaveLength(1);

    const once = freshTimestamp();
    const signed = e.phone.sign(removalText(gw.apiKey, once));
    expect((await removeSelf(gw, e.phone, { timestamp: once, signature: signed })).body).toEqual({ IsDeleted: true });
    // Enrolled again (a new scan), the captured request must not remove it a second time, in any encoding.
    const again = await enrollWithoutLogin(gw, { phone: e.phone });
    const [r, s] = derToRs(signed);
    for (const [encoding, signature] of Object.entries({ "the same": signed, "as r||s": rsToP1363(r, s), "upper-case hex": signed.toUpperCase() })) {
      const replay = await removeSelf(gw, e.phone, { timestamp: once, signature });
      expectContractError(replay, `a replay, ${encoding}`, 1297);
      expect(replay.body.Description).toMatch(/already used/);
    }
    expect((await devicesOf(again)).map((d) => d.id)).toEqual([again.device.id]);
  });

  it("an unknown key answers as the pull does (1313); another app's apikey finds no device of that app (1313), and the device stays", async () => {
    const stranger = new TestPhone();
    const pulled = await pull(gw, stranger);
    const removed = await removeSelf(gw, stranger);
    expectContractError(removed, "an unknown key", 1313);
    expect([removed.status, removed.body.ErrorCode]).toEqual([pulled.status, pulled.body.ErrorCode]);

    const e = await enrollWithoutLogin(gw);
    const { app } = await gw.services.apps.create("Another tenant");
    const other = { url: gw.url, apiKey: app.apiKey };
    expectContractError(await removeSelf(other, e.phone), "another app's apikey", 1313);
    // Signed over this app's apikey but sent to the other app: the same.
    const timestamp = freshTimestamp();
    expectContractError(await removeSelf(other, e.phone, { timestamp, signature: e.phone.sign(removalText(gw.apiKey, timestamp)) }), "another app, this app's signature", 1313);
    expect((await devicesOf(e)).map((d) => d.id)).toEqual([e.device.id]);
    // The body as the contract refuses it: 965, naming the field.
    const res = await call(gw.url, "DELETE", "/identity/v2/auth/account/2fa/push/device", { query: { apikey: gw.apiKey }, json: { publicKey: e.phone.publicKeyHex, timestamp: freshTimestamp() } });
    expectContractError(res, "no signature", 965);
  });
});

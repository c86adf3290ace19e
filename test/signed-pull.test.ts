process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/crypto/tokens.js";
import { expectContractError } from "./support/contract.js";
import {
  awsSettings,
  challengeOfToken,
  deviceOf,
  enrollWithoutLogin,
  gcmData,
  publishedTo,
  putSettings,
  sendId,
  settle,
  uniqueEmail,
  waitUntil,
  type Enrolled,
} from "./support/delivery.js";
import { derToRs, rsToP1363 } from "./support/ecdsa-encodings.js";
import { startFakeSns, type FakeSns } from "./support/fake-sns.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { TestPhone } from "./support/phone.js";
import { carriesHandleOf, pushOfLogin } from "./support/pushes.js";
import { login, useWebhook } from "./support/scenario.js";
import { freshTimestamp, pull, pullText, serverKey, serverSignatureHolds, tokenText, updateToken } from "./support/signed-device.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 2.8: a phone whose push did not arrive pulls the logins waiting for it, and a phone whose push token
 * changed (or died) gives the new one; both signed by its enrolled key under the replay rule the device channel
 * uses (a timestamp within ±60 s, once per key, whatever the signature's encoding). Called as a phone calls them.
 */

let gw: TestGateway;
let receiver: WebhookReceiver;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-signed-pull-secret-0123").start();
  await useWebhook(gw, receiver);
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

/** A second account on the same phone (same key, same push token), enrolled as L9 would enroll it. */
async function enrollAlso(phone: TestPhone): Promise<Enrolled> {
  return enrollWithoutLogin(gw, { phone });
}

/** L2, and the push the webhook received for that login. */
async function loginAndPush(e: Enrolled) {
  const res = await login(gw, e.email);
  expect(res.status, res.text).toBe(200);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  return { token, push: await pushOfLogin(gw, receiver, token) };
}

describe("the signed pull (2.8)", () => {
  it("answers each waiting login's push data exactly as its push carried it, for every account the key is enrolled for, and no one else's", async () => {
    const phone = new TestPhone("p256");
    const alice = await enrollWithoutLogin(gw, { phone });
    const bob = await enrollAlso(phone);
    const stranger = await enrollWithoutLogin(gw);

    expect((await pull(gw, phone)).body).toEqual({ Data: [] });

    const [a, b, other] = [await loginAndPush(alice), await loginAndPush(bob), await loginAndPush(stranger)];
    const pulled = await pull(gw, phone);
    expect(pulled.status, pulled.text).toBe(200);
    const byHandle = (h: string) => pulled.body.Data.find((d) => d.secondfactorauthenticationtoken === h);
    expect(pulled.body.Data).toHaveLength(2);
    expect(byHandle(a.push.data.secondfactorauthenticationtoken!)).toEqual(a.push.data);
    expect(byHandle(b.push.data.secondfactorauthenticationtoken!)).toEqual(b.push.data);
    expect(pulled.text).not.toContain(other.push.data.secondfactorauthenticationtoken!);
    const jwk = await serverKey(gw);
    for (const data of pulled.body.Data) expect(serverSignatureHolds(jwk, data)).toBe(true);

    // The pulled handle answers (L5) as the pushed one would; the answered login is no longer pulled.
    const handle = byHandle(a.push.data.secondfactorauthenticationtoken!)!.secondfactorauthenticationtoken!;
    expect((await phone.answer(gw.url, gw.apiKey, handle, "Yes")).body).toEqual({ IsPosted: true });
    const after = await pull(gw, phone);
    expect(after.body.Data.map((d) => d.secondfactorauthenticationtoken)).toEqual([b.push.data.secondfactorauthenticationtoken]);
  });

  it("refuses a replayed pull in any encoding, a stale timestamp, a foreign signature and one made for another text with 1297 saying why; an unknown key is 1313", async () => {
    const phone = new TestPhone("p256");
    await enrollWithoutLogin(gw, { phone });
    const timestamp = freshTimestamp();
    const der = phone.sign(pullText(gw.apiKey, timestamp));
    expect((await pull(gw, phone, { timestamp, signature: der })).status).toBe(200);

    const [r, s] = derToRs(der);
    for (const [encoding, signature] of Object.entries({ "the same": der, "as r||s": rsToP1363(r, s), "upper-case hex": der.toUpperCase() })) {
      const replay = await pull(gw, phone, { timestamp, signature });
      expectContractError(replay, `a replay, ${encoding}`, 1297);
      expect(replay.body.Description).toMatch(/already used/);
    }

    const stale = String(Date.now() - 120_000);
    expect((await pull(gw, phone, { timestamp: stale })).body).toMatchObject({ ErrorCode: 1297, Description: expect.stringMatching(/seconds off/) });
    expect((await pull(gw, phone, { timestamp: "yesterday" })).body).toMatchObject({ ErrorCode: 1297, Description: expect.stringMatching(/milliseconds/) });

    // Someone else's key, or the phone's own signature over another text (another app's pull, a token update):
    // refused, and nothing is used up, so the phone's own signature of that timestamp still pulls.
    const fresh = freshTimestamp();
    const otherTexts = {
      "another key": new TestPhone("p256").sign(pullText(gw.apiKey, fresh)),
      "another apikey": phone.sign(pullText(crypto.randomUUID(), fresh)),
      "a token update": phone.sign(tokenText(gw.apiKey, fresh, "fcm-new-token")),
      "the device handshake": phone.sign(`device:${gw.apiKey}:${fresh}`),
    };
    for (const [what, signature] of Object.entries(otherTexts)) {
      const refused = await pull(gw, phone, { timestamp: fresh, signature });
      expectContractError(refused, what, 1297);
      expect(refused.body.Description).toMatch(/does not verify/);
    }
    expect((await pull(gw, phone, { timestamp: fresh })).status).toBe(200);

    const unknown = await pull(gw, new TestPhone("p256"));
    expectContractError(unknown, "an unknown key", 1313);
  });
});

describe("the push-token update (2.8)", () => {
  /** An enrolled phone whose token the provider reported dead (the webhook answered 410 to a login's push). */
  async function deadDevice(): Promise<Enrolled> {
    const e = await enrollWithoutLogin(gw, { email: uniqueEmail("dead") });
    receiver.script.push(410);
    const res = await login(gw, e.email);
    const c = await challengeOfToken(gw, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect((await settle(gw, sendId(c, e.device.id))).state).toBe("failed");
    expect((await deviceOf(gw, e)).active).toBe(false);
    return e;
  }

  it("revives a dead device: before it L2 answers 1313 and the key cannot pull; after it the next login pushes to the new token", async () => {
    const e = await deadDevice();
    expectContractError(await login(gw, e.email), "L2 with a dead device", 1313);
    expectContractError(await pull(gw, e.phone), "a pull by a dead device", 1313);

    const newToken = `fcm-renewed-${crypto.randomUUID()}`;
    const timestamp = freshTimestamp();
    const updated = await updateToken(gw, e.phone, newToken, { timestamp });
    expect(updated.body, updated.text).toEqual({ IsPosted: true });
    expect((await deviceOf(gw, e)).active).toBe(true);

    const { push } = await loginAndPush(e);
    expect(push.device.token).toBe(newToken);
    expect(serverSignatureHolds(await serverKey(gw), push.data)).toBe(true);
    // Sealed at rest, like the token it replaced.
    expect(await dumpPrefix(gw.config.REDIS_PREFIX)).not.toContain(newToken);

    const replay = await updateToken(gw, e.phone, newToken, { timestamp });
    expectContractError(replay, "a replayed update", 1297);
    expect(replay.body.Description).toMatch(/already used/);
  });

  it("refuses an update signed over another token, by another key, or by a key enrolled nowhere: the device keeps its token", async () => {
    const e = await enrollWithoutLogin(gw);
    const timestamp = freshTimestamp();
    // A captured update with its token swapped for the attacker's own.
    const swapped = await updateToken(gw, e.phone, "fcm-attacker-token", { timestamp, signature: e.phone.sign(tokenText(gw.apiKey, timestamp, "fcm-the-phones-token")) });
    expectContractError(swapped, "an update whose token was swapped", 1297);
    const foreign = await updateToken(gw, e.phone, "fcm-attacker-token", { signature: new TestPhone().sign(tokenText(gw.apiKey, freshTimestamp(), "fcm-attacker-token")) });
    expectContractError(foreign, "an update signed by another key", 1297);
    expectContractError(await updateToken(gw, new TestPhone(), "fcm-attacker-token"), "an update by an unknown key", 1313);
    expect(gw.services.devices.openToken(gw.apiKey, e.uid, await deviceOf(gw, e))).toBe(e.phone.deviceToken);
    const malformed = await updateToken(gw, e.phone, "");
    expectContractError(malformed, "an empty token", 965);
  });
});

describe("the push-token update on AWS SNS", () => {
  let fake: FakeSns;
  let aws: TestGateway;
  beforeAll(async () => {
    fake = await startFakeSns();
    aws = await startTestGateway({ env: { SNS_ENDPOINT: fake.url, PUSH_BACKOFF_MS: "5000" } });
    await putSettings(aws, awsSettings());
  });
  afterAll(async () => {
    await aws?.stop();
    await fake?.close();
    if (aws) await deletePrefix(aws.config.REDIS_PREFIX);
  });

  /** Enrolled, with the endpoint the enrollment's job made, then marked dead by a publish SNS refused. */
  async function deadOnAws() {
    const e = await enrollWithoutLogin(aws);
    expect((await settle(aws, `endpoint.${e.device.id}`)).state).toBe("completed");
    const endpointArn = (await deviceOf(aws, e)).endpointArn!;
    fake.disableEndpoint(endpointArn);
    const res = await login(aws, e.email);
    const c = await challengeOfToken(aws, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect((await settle(aws, sendId(c, e.device.id))).state).toBe("failed");
    expect((await deviceOf(aws, e)).active).toBe(false);
    return { e, endpointArn };
  }

  it("a new token gets its own enabled endpoint, the old endpoint is deleted, and the next login publishes there, signed", async () => {
    const { e, endpointArn: old } = await deadOnAws();
    const newToken = `fcm-renewed-${crypto.randomUUID()}`;
    const timestamp = freshTimestamp();
    expect((await updateToken(aws, e.phone, newToken, { timestamp })).body).toEqual({ IsPosted: true });
    expect((await settle(aws, `endpoint.${e.device.id}.${timestamp}`)).state).toBe("completed");
    const device = await deviceOf(aws, e);
    expect(device.endpointArn).toBeDefined();
    expect(device.endpointArn).not.toBe(old);
    expect(fake.endpoints.get(device.endpointArn!)).toMatchObject({ token: newToken, enabled: true });
    await waitUntil(() => !fake.endpoints.has(old), "the old endpoint deleted");

    const res = await login(aws, e.email);
    const c = await challengeOfToken(aws, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect((await settle(aws, sendId(c, e.device.id))).state).toBe("completed");
    const [published] = publishedTo(fake, device.endpointArn!);
    const data = gcmData(published!.message);
    expect(hashToken(data.secondfactorauthenticationtoken!)).toBe(c.handleHash);
    expect(serverSignatureHolds(await serverKey(aws), data)).toBe(true);
  });

  it("the same token again keeps its endpoint and enables it: the endpoint the device uses is never deleted", async () => {
    const { e, endpointArn } = await deadOnAws();
    const timestamp = freshTimestamp();
    expect((await updateToken(aws, e.phone, e.phone.deviceToken, { timestamp })).body).toEqual({ IsPosted: true });
    // Nothing was queued to delete it: the deletions are queued before the answer.
    const deletions = await aws.services.queues.push.getJobs(["waiting", "delayed", "active", "completed", "failed"]);
    expect(deletions.filter((j) => j.name === "delete-endpoint" && j.data.endpointArn === endpointArn)).toEqual([]);
    expect((await settle(aws, `endpoint.${e.device.id}.${timestamp}`)).state).toBe("completed");
    expect((await deviceOf(aws, e)).endpointArn).toBe(endpointArn);
    expect(fake.endpoints.get(endpointArn)).toMatchObject({ token: e.phone.deviceToken, enabled: true });

    const res = await login(aws, e.email);
    const c = await challengeOfToken(aws, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    expect((await settle(aws, sendId(c, e.device.id))).state).toBe("completed");
    expect(publishedTo(fake, endpointArn).some((p) => carriesHandleOf(c)({ data: gcmData(p.message) }))).toBe(true);
  });
});

describe("rate limits before work", () => {
  it("the pull and the update count toward strangerPerIp: past it, 429 with Retry-After, even when signed right", async () => {
    const limited = await startTestGateway({ rateLimits: { strangerPerIp: 2 } });
    try {
      await useWebhook(limited, receiver);
      const e = await enrollWithoutLogin(limited);
      // The enrollment's L6 spent one point of the address's budget; the pull spends the second.
      expect((await pull(limited, e.phone)).status).toBe(200);
      for (const res of [await pull(limited, e.phone), await updateToken(limited, e.phone, "fcm-next")]) {
        expectContractError(res, "over strangerPerIp", 429);
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      }
    } finally {
      await limited.stop();
      await deletePrefix(limited.config.REDIS_PREFIX);
    }
  });
});

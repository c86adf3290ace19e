import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findByHandle, readAnswer } from "../src/answer/answer-reads.js";
import type { Challenge } from "../src/challenge/challenge.js";
import { hashToken, newToken } from "../src/crypto/tokens.js";
import { deletePrefix, REDIS_CLUSTER, startTestGateway, type TestGateway } from "./support/gateway.js";
import { TestPhone } from "./support/phone.js";

/**
 * An answer's first round trip: on a single Redis, the handle's lookup and what the answer checks (the challenge,
 * the user's devices and account) come back from one script, and read exactly what the stores read; on a cluster
 * only the lookup does, and the stores read the rest.
 */
describe("findByHandle", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
    await deletePrefix(gw.config.REDIS_PREFIX);
  });

  async function pendingChallenge(uid: string, handle: string): Promise<Challenge> {
    const now = gw.services.now();
    const c: Challenge = {
      id: newToken(), appId: gw.apiKey, uid, kind: "login", message: "", context: "", status: "Pending", createdAt: now, expiresAt: now + 60_000,
      tokenHash: hashToken(newToken()), handleHash: hashToken(handle), handleSealed: "", identifier: "reads@example.com",
      browser: "Firefox on Linux", location: "127.0.0.1", number: "42", numberOptions: "17,42,88", numberMode: "PickOne", sends: 1,
      lastSendAt: now, delivery: "Sent", deviceCount: 2, loginSealed: "", finalizeUntil: 0, endedAt: 0, reason: "", serverSignature: "",
    };
    await gw.services.challenges.create(c, 120_000);
    return c;
  }

  it("reads the challenge, the devices and the account a handle names, as the stores read them", async () => {
    const s = gw.services;
    const profile = await s.accounts.create(gw.apiKey, { email: `reads-${newToken()}@example.com`, password: "correct horse battery" });
    for (const name of ["first phone", "second phone"]) {
      await s.devices.add(gw.apiKey, profile.Uid, { name, type: "android", publicKey: new TestPhone().publicKeyHex, token: `fcm-${newToken()}` });
    }
    const handle = newToken();
    const c = await pendingChallenge(profile.Uid, handle);

    const target = await findByHandle(s, hashToken(handle));
    expect(target?.ref).toEqual({ appId: gw.apiKey, uid: profile.Uid, challengeId: c.id });
    const byStores = await readAnswer(s, target!.ref);
    expect(byStores.challenge).toMatchObject({ id: c.id, status: "Pending", number: "42" });
    expect(byStores.devices.map((d) => d.name)).toEqual(["first phone", "second phone"]);
    expect(byStores.account?.profile.Uid).toBe(profile.Uid);
    if (REDIS_CLUSTER) expect(target!.read).toBeUndefined();
    else expect(target!.read).toEqual(byStores);
  });

  it("finds nothing for an unknown handle, and reads a challenge gone since its lookup as gone", async () => {
    const s = gw.services;
    expect(await findByHandle(s, hashToken(newToken()))).toBeNull();
    const handle = newToken();
    const c = await pendingChallenge("0123456789abcdef0123456789abcdef", handle);
    await s.redis.del(s.keys.challenge(c.appId, c.uid, c.id));
    const target = await findByHandle(s, hashToken(handle));
    expect(target?.ref.challengeId).toBe(c.id);
    const read = target!.read ?? (await readAnswer(s, target!.ref));
    expect(read).toEqual({ challenge: null, devices: [], account: null });
  });

  it("finds nothing when the lookup holds something that is not a challenge's place", async () => {
    const s = gw.services;
    const handleHash = hashToken(newToken());
    await s.redis.set(s.keys.handleRef(handleHash), "not-a-place", "PX", 60_000);
    expect(await findByHandle(s, handleHash)).toBeNull();
  });
});

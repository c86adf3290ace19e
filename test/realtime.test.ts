import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/crypto/tokens.js";
import { roomOf } from "../src/challenge/challenge.js";
import { createShardedEmitter, socketChannelPrefix } from "../src/realtime/emitters.js";
import { refusedHandshake, startCluster, TestPage, type TestCluster } from "./support/cluster.js";
import { deletePrefix, startTestGateway, testRedis, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { enrolledUser, pushedLogin, pushOfLogin } from "./support/pushes.js";
import { createAccount, login, ping, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 2.1 across nodes: three gateway nodes and a worker on one Redis prefix; pages (socket.io-client) on one
 * node, the phone on another, expiries and delivery states from the worker's emitter.
 */

let n = 0;
const email = () => `rt${++n}-${Date.now()}@example.com`;

describe.each(["sharded", "classic"] as const)("across nodes, %s adapter", (adapter) => {
  let c: TestCluster;
  let A: TestGateway, B: TestGateway, C: TestGateway;
  let receiver: WebhookReceiver;
  const pages: TestPage[] = [];
  const open = (node: TestGateway, token: string) => {
    const p = TestPage.open(node, token);
    pages.push(p);
    return p;
  };

  beforeAll(async () => {
    c = await startCluster({ gateways: 3, adapter });
    [A, B, C] = c.nodes as [TestGateway, TestGateway, TestGateway];
    receiver = await new WebhookReceiver(`whsec-${adapter}-signing-secret-0123`).start();
    await useWebhook(A, receiver);
  });
  afterAll(async () => {
    for (const p of pages) p.close();
    await c.stop();
    await receiver.close();
  });

  it("a phone answering on node A reaches the page waiting on node C: Approved with Login, and the session works", async () => {
    const { user, phone } = await enrolledUser(c.nodes[0]!, receiver, email());
    const { token, handle } = await pushedLogin(A, receiver, user);
    const page = open(C, token);
    expect((await page.waitFor(() => true)).Status).toBe("Pending");

    expect((await phone.answer(A.url, A.apiKey, handle, "Yes")).status).toBe(200);
    const approved = await page.waitFor((s) => s.Status === "Approved");
    expect(approved.Login).toBeDefined();
    expect(Date.parse(approved.AnsweredAt!)).toBeLessThanOrEqual(Date.now());
    // The same login response the legacy poll gives, on yet another node.
    expect((await ping(B, token)).body).toEqual(approved.Login);
    const mfa = await call(B.url, "GET", "/identity/v2/auth/account/2fa", {
      query: { apikey: B.apiKey },
      headers: { Authorization: `Bearer ${approved.Login!.access_token}` },
    });
    expect(mfa.status).toBe(200);
    expect(mfa.body).toMatchObject({ IsPushDeviceRegistered: true });
  });

  it("an expiry fired by the worker reaches the page on node B", async () => {
    const { user } = await enrolledUser(c.nodes[0]!, receiver, email());
    const { token } = await pushedLogin(A, receiver, user);
    const page = open(B, token);
    await page.waitFor((s) => s.Status === "Pending");
    const ch = (await A.services.challenges.findByToken(hashToken(token)))!;
    const job = await A.services.queues.expiry.getJob(`expire.${ch.id}`);
    expect(await job!.getState()).toBe("delayed");
    await A.services.challenges.update({ appId: ch.appId, uid: ch.uid, challengeId: ch.id }, { expiresAt: Date.now() });
    await job!.promote();
    const expired = await page.waitFor((s) => s.Status === "Expired");
    expect(expired.Error).toMatchObject({ ErrorCode: 1104, Message: "Two factor authentication token has expired" });
  });

  // What follows does not depend on the adapter: run it once.
  if (adapter === "classic") return;

  it("a page connecting after the answer gets Approved with the same Login on join", async () => {
    const { user, phone } = await enrolledUser(c.nodes[0]!, receiver, email());
    const { token, handle } = await pushedLogin(A, receiver, user);
    expect((await phone.answer(B.url, B.apiKey, handle, "Yes")).status).toBe(200);
    const late = open(C, token);
    const first = await late.waitFor(() => true);
    expect(first.Status).toBe("Approved");
    expect(first.Login).toEqual((await ping(A, token)).body);
  });

  it("a denial arrives with the error body 1312", async () => {
    const { user, phone } = await enrolledUser(c.nodes[0]!, receiver, email());
    const { token, handle } = await pushedLogin(B, receiver, user);
    const page = open(A, token);
    await page.waitFor((s) => s.Status === "Pending");
    await phone.answer(C.url, C.apiKey, handle, "No");
    const denied = await page.waitFor((s) => s.Status === "Denied");
    expect(denied.Error).toMatchObject({ ErrorCode: 1312 });
    expect(denied.Login).toBeUndefined();
  });

  it("a newer login cancels the older one: its page hears Cancelled", async () => {
    const { user } = await enrolledUser(c.nodes[0]!, receiver, email());
    const { token } = await pushedLogin(A, receiver, user);
    const page = open(C, token);
    await page.waitFor((s) => s.Status === "Pending");
    await pushedLogin(B, receiver, user);
    const cancelled = await page.waitFor((s) => s.Status === "Cancelled");
    expect(cancelled.Error).toMatchObject({ ErrorCode: 1104 });
  });

  it("delivery states arrive from the worker: Queued, then Sent", async () => {
    const { user } = await enrolledUser(c.nodes[0]!, receiver, email());
    // The receiver holds its answer until the page has seen Queued: the send cannot be Sent before then, however
    // fast the worker is.
    const release = receiver.hold();
    try {
      const res = await login(A, user);
      const page = open(C, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
      const queued = await page.waitFor(() => true);
      expect(queued).toMatchObject({ Status: "Pending", Delivery: { State: "Queued", Devices: 1 } });
      release();
      const sent = await page.waitFor((s) => s.Delivery?.State === "Sent");
      expect(sent).toMatchObject({ Status: "Pending", Delivery: { State: "Sent", Devices: 1 } });
      expect(Date.parse(sent.ExpireIn)).toBeGreaterThan(Date.now());
    } finally {
      release();
    }
  });

  it("bad apikey or token: connect_error carries the contract's error body", async () => {
    const token = "b1fbbba5-2a5e-41a2-96da-c216df36e6f4";
    expect(await refusedHandshake(B.url, { secondfactorauthenticationtoken: token })).toMatchObject({ ErrorCode: 922, Message: "API key is missing" });
    expect(await refusedHandshake(B.url, { apikey: "nope", secondfactorauthenticationtoken: token })).toMatchObject({ ErrorCode: 920 });
    expect(await refusedHandshake(B.url, { apikey: token, secondfactorauthenticationtoken: token })).toMatchObject({ ErrorCode: 901 });
    const body = await refusedHandshake(B.url, { apikey: B.apiKey, secondfactorauthenticationtoken: token });
    expect(body).toEqual({
      ErrorCode: 1103,
      Message: "Two factor authentication token is invalid",
      Description: expect.any(String),
      IsProviderError: false,
      ProviderErrorResponse: null,
    });
    expect(await refusedHandshake(B.url, { apikey: B.apiKey, secondfactorauthenticationtoken: "not-a-guid" })).toMatchObject({ ErrorCode: 1103 });
  });

  it("the handshake's HTTP request is not kept once the socket is connected", async () => {
    const { user } = await enrolledUser(c.nodes[0]!, receiver, email());
    const { token } = await pushedLogin(A, receiver, user);
    const page = open(B, token);
    await page.waitFor(() => true);
    const nsp = B.io!.of("/");
    const ids = [...(nsp.adapter.rooms.get(roomOf(hashToken(token))) ?? [])];
    expect(ids).toHaveLength(1);
    expect(nsp.sockets.get(ids[0]!)!.request).toBeNull();
  });

  it("the worker's sharded emitter reaches a room only under its own deployment's prefix", async () => {
    const { user } = await enrolledUser(c.nodes[0]!, receiver, email());
    const { token } = await pushedLogin(A, receiver, user);
    const page = open(C, token);
    await page.waitFor(() => true);
    const redis = testRedis();
    try {
      const room = roomOf(hashToken(token));
      await createShardedEmitter(redis, { channelPrefix: socketChannelPrefix(`${c.prefix}-other`) }).to(room).emit("push:status", { Status: "Foreign" });
      await createShardedEmitter(redis, { channelPrefix: socketChannelPrefix(c.prefix) }).to(room).emit("push:status", { Status: "Ours" });
      await page.waitFor((s) => (s.Status as string) === "Ours");
      expect(page.statuses.map((s) => s.Status as string)).not.toContain("Foreign");
      expect(() => createShardedEmitter(redis, { channelPrefix: "x" }).to("a".repeat(20))).toThrow(/20 characters/);
    } finally {
      await redis.quit();
    }
  });
});

describe("handshake rate limit", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ rateLimits: { handshakePerIp: 3 } });
  });
  afterAll(async () => {
    await gw.stop();
    await deletePrefix(gw.config.REDIS_PREFIX);
  });

  it("answers 429 with the error body once an IP used up its handshakes", async () => {
    const token = "b1fbbba5-2a5e-41a2-96da-c216df36e6f4";
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await refusedHandshake(gw.url, { apikey: gw.apiKey, secondfactorauthenticationtoken: token })).ErrorCode);
    expect(codes).toEqual([1103, 1103, 1103, 429]);
    expect(await refusedHandshake(gw.url, { apikey: gw.apiKey }, "/device")).toMatchObject({
      ErrorCode: 429,
      Message: "Too many requests in a particular time frame",
    });
  });
});

import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/crypto/tokens.js";
import { addressKey } from "../src/http/client-address.js";
import { waitForPushApproval, type Transport } from "../web/client/push-mfa.js";
import { startCluster, TestPage, type TestCluster } from "./support/cluster.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { TestPhone } from "./support/phone.js";
import { enrolledUser, pushedLogin, pushOfLogin } from "./support/pushes.js";
import { createAccount, login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Contract 2.1's limits on page sockets: the server closes a page's socket once its final state was sent (whichever
 * node or worker ended the challenge), a page joining an ended challenge gets its final state and the same close,
 * and sockets are capped per challenge token and per client address, an IPv6 client counted by its /64 (as the
 * REST per-IP limits count it).
 */

let n = 0;
const email = () => `rl${++n}-${Date.now()}@example.com`;
const xff = (ip: string) => ({ "X-Forwarded-For": ip });

/** Expect `page` to have been closed by the server right after `status`, the last thing it received. */
async function expectClosedAfter(page: TestPage, status: string): Promise<void> {
  expect(await page.disconnected()).toBe("io server disconnect");
  expect(page.statuses.at(-1)?.Status).toBe(status);
  expect(page.socket.active).toBe(false);
}

describe("addressKey: what a per-address limit counts", () => {
  it("an IPv4 address as itself, an IPv4-mapped IPv6 one as its IPv4 address", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("::FFFF:cb00:7107")).toBe("203.0.113.7");
    expect(addressKey("0:0:0:0:0:ffff:203.0.113.7")).toBe("203.0.113.7");
  });

  it("an IPv6 address as its /64, however it is written", () => {
    const key = "2001:db8:1:2::/64";
    for (const ip of ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0DB8:0001:0002:0:0:0:9", "2001:db8:1:2::1.2.3.4", "2001:db8:1:2::9%eth0"]) {
      expect(addressKey(ip), ip).toBe(key);
    }
    expect(addressKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(addressKey("2001:db8::")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  });

  it("anything else as it is", () => {
    expect(addressKey("")).toBe("");
    expect(addressKey("not-an-ip")).toBe("not-an-ip");
    expect(addressKey("2001:db8:::1")).toBe("2001:db8:::1");
  });
});

describe.each(["sharded", "classic"] as const)("the final state, then the close (%s adapter)", (adapter) => {
  let c: TestCluster;
  let A: TestGateway, B: TestGateway;
  let receiver: WebhookReceiver;
  const pages: TestPage[] = [];
  const open = (node: TestGateway, token: string) => {
    const p = TestPage.open(node, token);
    pages.push(p);
    return p;
  };

  beforeAll(async () => {
    c = await startCluster({ gateways: 2, adapter });
    [A, B] = c.nodes as [TestGateway, TestGateway];
    receiver = await new WebhookReceiver(`whsec-limits-${adapter}-secret-0123`).start();
    await useWebhook(A, receiver);
  });
  afterAll(async () => {
    for (const p of pages) p.close();
    await c.stop();
    await receiver.close();
  });

  it("Approved with Login (the phone answers on another node), then io server disconnect", async () => {
    const { user, phone } = await enrolledUser(A, receiver, email());
    const { token, handle } = await pushedLogin(A, receiver, user);
    const page = open(B, token);
    await page.waitFor((s) => s.Status === "Pending");
    expect(page.socket.connected).toBe(true);
    expect((await phone.answer(A.url, A.apiKey, handle, "Yes")).status).toBe(200);
    await expectClosedAfter(page, "Approved");
    expect(page.statuses.at(-1)!.Login?.access_token).toEqual(expect.any(String));
  });

  it("Expired, fired by the worker's emitter, then io server disconnect", async () => {
    const { user } = await enrolledUser(A, receiver, email());
    const { token } = await pushedLogin(A, receiver, user);
    const page = open(B, token);
    await page.waitFor((s) => s.Status === "Pending");
    const ch = (await A.services.challenges.findByToken(hashToken(token)))!;
    const job = await A.services.queues.expiry.getJob(`expire.${ch.id}`);
    await A.services.challenges.update({ appId: ch.appId, uid: ch.uid, challengeId: ch.id }, { expiresAt: Date.now() });
    await job!.promote();
    await expectClosedAfter(page, "Expired");
    expect(page.statuses.at(-1)!.Error).toMatchObject({ ErrorCode: 1104 });
  });

  // What follows does not depend on the adapter: run it once.
  if (adapter === "classic") return;

  it("Denied, then io server disconnect", async () => {
    const { user, phone } = await enrolledUser(A, receiver, email());
    const { token, handle } = await pushedLogin(A, receiver, user);
    const page = open(B, token);
    await page.waitFor((s) => s.Status === "Pending");
    await phone.answer(A.url, A.apiKey, handle, "No");
    await expectClosedAfter(page, "Denied");
    expect(page.statuses.at(-1)!.Error).toMatchObject({ ErrorCode: 1312 });
  });

  it("Cancelled by a newer login, then io server disconnect", async () => {
    const { user } = await enrolledUser(A, receiver, email());
    const { token } = await pushedLogin(A, receiver, user);
    const page = open(B, token);
    await page.waitFor((s) => s.Status === "Pending");
    await pushedLogin(A, receiver, user);
    await expectClosedAfter(page, "Cancelled");
  });

  it("a page joining an ended challenge gets its final state, then the same close", async () => {
    const { user, phone } = await enrolledUser(A, receiver, email());
    const { token, handle } = await pushedLogin(A, receiver, user);
    expect((await phone.answer(A.url, A.apiKey, handle, "Yes")).status).toBe(200);
    const approved = open(B, token);
    await expectClosedAfter(approved, "Approved");
    expect(approved.statuses).toHaveLength(1);
    expect(approved.statuses[0]!.Login).toBeDefined();

    const { token: denied, handle: deniedHandle } = await pushedLogin(A, receiver, user);
    await phone.answer(A.url, A.apiKey, deniedHandle, "No");
    const late = open(A, denied);
    await expectClosedAfter(late, "Denied");
    expect(late.statuses).toHaveLength(1);
  });

  it("the browser client settles on the final state the server sent before closing, on the socket alone", async () => {
    const { user, phone } = await enrolledUser(A, receiver, email());
    const { token, handle } = await pushedLogin(A, receiver, user);
    const transports: Transport[] = [];
    const statuses: string[] = [];
    let answered = false;
    const login = await waitForPushApproval({
      url: B.url,
      apikey: B.apiKey,
      token,
      io,
      onTransport: (t) => transports.push(t),
      onStatus: (s) => {
        statuses.push(s.Status);
        // Answer once the page is known to wait on its socket.
        if (s.Status === "Pending" && !answered) {
          answered = true;
          void phone.answer(A.url, A.apiKey, handle, "Yes");
        }
      },
    });
    expect(login.access_token).toEqual(expect.any(String));
    expect(statuses).toEqual(["Pending", "Approved"]);
    expect(transports).toEqual(["socket"]);
  });
});

describe("socket caps", () => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;
  const pages: TestPage[] = [];
  const open = (token: string, ip: string) => {
    const p = TestPage.open(gw, token, xff(ip));
    pages.push(p);
    return p;
  };
  /** A pending challenge's browser token (a user without a phone: the login waits for the enrollment). */
  const pendingToken = async (user = email()) => {
    await createAccount(gw, user);
    const res = await login(gw, user);
    expect(res.status).toBe(200);
    return { user, token: res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken };
  };
  /** Close `page` from the client and resolve once the server let go of its socket. */
  const leave = async (page: TestPage) => {
    const server = gw.io!.of("/").sockets.get(page.socket.id!);
    expect(server).toBeDefined();
    const gone = new Promise((resolve) => server!.once("disconnect", resolve));
    page.close();
    await gone;
  };
  const tooMany = { ErrorCode: 429, Message: "Too many requests in a particular time frame", IsProviderError: false, ProviderErrorResponse: null };

  beforeAll(async () => {
    gw = await startTestGateway({
      env: { SOCKETS_PER_TOKEN: "2", SOCKETS_PER_ADDRESS: "4", TRUST_PROXY: "1" },
      rateLimits: { strangerPerIp: 5 },
    });
    receiver = await new WebhookReceiver("whsec-caps-signing-secret-0123").start();
    await useWebhook(gw, receiver);
  });
  afterAll(async () => {
    for (const p of pages) p.close();
    await gw.stop();
    await receiver.close();
    await deletePrefix(gw.config.REDIS_PREFIX);
  });

  it("the (N+1)th socket of one token is refused with 429 and RetryAfter; a place given back is taken again", async () => {
    const { token } = await pendingToken();
    const [a, b] = [open(token, "198.51.100.7"), open(token, "198.51.100.7")];
    await a.waitFor((s) => s.Status === "Pending");
    await b.waitFor((s) => s.Status === "Pending");
    // Another address changes nothing: the cap is the token's.
    const refusal = await open(token, "198.51.100.8").refused();
    expect(refusal).toMatchObject(tooMany);
    expect(refusal.RetryAfter).toBeGreaterThan(0);
    // The address itself is not full: another token's page from it is admitted.
    const other = open((await pendingToken()).token, "198.51.100.7");
    await other.waitFor((s) => s.Status === "Pending");

    await leave(a);
    await open(token, "198.51.100.8").waitFor((s) => s.Status === "Pending");
  });

  it("the (N+1)th socket of one address is refused with 429, an IPv6 client counted by its /64", async () => {
    const [t1, t2, t3] = await Promise.all([pendingToken(), pendingToken(), pendingToken()]);
    const admitted = [
      open(t1.token, "2001:db8:7:7::1"),
      open(t1.token, "2001:db8:7:7::2"),
      open(t2.token, "2001:db8:7:7:ffff:ffff:ffff:ffff"),
      open(t2.token, "2001:0db8:0007:0007:0:0:0:4"),
    ];
    for (const p of admitted) await p.waitFor((s) => s.Status === "Pending");
    const refusal = await open(t3.token, "2001:db8:7:7:abcd::5").refused();
    expect(refusal).toMatchObject(tooMany);
    expect(refusal.RetryAfter).toBeGreaterThan(0);
    // The next /64 is another client.
    await open(t3.token, "2001:db8:7:8::1").waitFor((s) => s.Status === "Pending");
  });

  it("pages closed on their final state give their places back", async () => {
    const { user, token } = await pendingToken();
    const waiting = [open(token, "198.51.100.20"), open(token, "198.51.100.21")];
    for (const p of waiting) await p.waitFor((s) => s.Status === "Pending");
    // A newer login cancels the challenge: both pages are told and closed.
    expect((await login(gw, user)).status).toBe(200);
    for (const p of waiting) await expectClosedAfter(p, "Cancelled");
    // Their places are free: two more pages join the ended challenge, are told, and are closed in turn.
    const late = [open(token, "198.51.100.20"), open(token, "198.51.100.21")];
    for (const p of late) await expectClosedAfter(p, "Cancelled");
    expect(late.map((p) => p.refusal)).toEqual([undefined, undefined]);
  });

  it("the REST per-IP limits count an IPv6 client by its /64", async () => {
    // L3 (resend) with an unknown token: strangerPerIp is consumed, then 1103.
    const resend = (ip: string) =>
      call(gw.url, "POST", "/identity/v2/auth/login/2fa", {
        query: { apikey: gw.apiKey, secondfactorauthenticationtoken: randomUUID() },
        headers: xff(ip),
      });
    for (let i = 1; i <= 5; i++) expect((await resend(`2001:db8:5:5::${i}`)).status).toBe(403);
    const refused = await resend("2001:db8:5:5:1:2:3:4");
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject(tooMany);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await resend("2001:db8:5:6::1")).status).toBe(403);
  });
});

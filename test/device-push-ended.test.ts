import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestPage } from "./support/cluster.js";
import { challengeOfToken, enrollWithoutLogin, putSettings, uniqueEmail, type Enrolled } from "./support/delivery.js";
import { TestDeviceSocket } from "./support/device-socket.js";
import { deletePrefix, startTestGateway, testPrefix, type TestGateway } from "./support/gateway.js";
import { TestPhone } from "./support/phone.js";
import { login } from "./support/scenario.js";
import { pull } from "./support/signed-device.js";

/**
 * Contract 2.13's `push:ended`, for web devices with no push service ("none", 2.7): the app open on the device
 * channel gets the push there, and when the request ends elsewhere (approved on another device, expired,
 * cancelled by a newer login) it hears `push:ended` with the handle it got, on whichever gateway node holds its
 * socket. No push settings are configured at all: web devices need none.
 */

let A: TestGateway;
let B: TestGateway;
const closers: Array<() => void> = [];
const track = <T extends { close(): void }>(x: T): T => {
  closers.push(() => x.close());
  return x;
};

beforeAll(async () => {
  const prefix = testPrefix();
  A = await startTestGateway({ prefix });
  // Node B: another gateway of the same deployment, no worker; the devices' sockets live here.
  B = await startTestGateway({ prefix, apiKey: A.apiKey, apiSecret: A.apiSecret, worker: false });
  await putSettings(A, { IsEnabled: true, CustomAppName: "Acme Web", NotificationService: "Native" });
}, 60_000);
afterEach(() => {
  for (const c of closers.splice(0)) c();
});
afterAll(async () => {
  await B?.stop();
  await A?.stop();
  if (A) await deletePrefix(A.config.REDIS_PREFIX);
});

/** A user with two pull-only web devices (two browsers), the first one open on node B. */
async function userWithTwoApps(): Promise<{ e: Enrolled; open: TestPhone; other: TestPhone; socket: TestDeviceSocket }> {
  const open = new TestPhone("p256", "none");
  const other = new TestPhone("p256", "none");
  const e = await enrollWithoutLogin(A, { type: "web", phone: open, email: uniqueEmail("ended") });
  const settings = await A.services.settings.get(A.apiKey, (await A.services.apps.get(A.apiKey))!.name);
  const url = (await A.services.enrollment.issue({ appId: A.apiKey, uid: e.uid }, settings)).PushQRCodeDetails.Url;
  expect((await other.enroll(url, "Second browser", "web")).status).toBe(200);
  const socket = track(await TestDeviceSocket.connect(B, open));
  return { e, open, other, socket };
}

describe("push:ended on the device channel", () => {
  it("approved on another device: the open app on node B hears push:ended with its handle; the page on A hears Approved", async () => {
    const { e, other, socket } = await userWithTwoApps();
    const res = await login(A, e.email);
    expect(res.status, res.text).toBe(200);
    const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const page = track(TestPage.open(A, token));
    // The open app gets the push over its socket (the worker on A, its socket on B).
    const pushed = await socket.push();
    const handle = pushed.data.secondfactorauthenticationtoken;
    // The other browser is closed: it pulls the same request, signed, and approves it.
    const pulled = await pull(A, other);
    expect(pulled.body.Data.map((d) => d.secondfactorauthenticationtoken)).toEqual([handle]);
    expect((await other.answer(A.url, A.apiKey, handle, "Yes", { signature: other.sign(`Yes${handle}`, "ieee-p1363") })).status).toBe(200);
    expect(await socket.endedOf(handle)).toEqual({ secondfactorauthenticationtoken: handle });
    expect((await page.waitFor((s) => s.Status === "Approved")).Login).toBeDefined();
  });

  it("expired: push:ended when the worker's expiry ends the request", async () => {
    const { e, socket } = await userWithTwoApps();
    const token = (await login(A, e.email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const handle = (await socket.push()).data.secondfactorauthenticationtoken;
    const c = await challengeOfToken(A, token);
    const job = await A.services.queues.expiry.getJob(`expire.${c.id}`);
    await A.services.challenges.update({ appId: c.appId, uid: c.uid, challengeId: c.id }, { expiresAt: Date.now() });
    await job!.promote();
    await socket.endedOf(handle);
  });

  it("cancelled by a newer login: push:ended of the old request, then the new one's push", async () => {
    const { e, socket } = await userWithTwoApps();
    await login(A, e.email);
    const first = (await socket.push()).data.secondfactorauthenticationtoken;
    await login(A, e.email);
    await socket.endedOf(first);
    const second = (await socket.push((p) => p.data.secondfactorauthenticationtoken !== first)).data.secondfactorauthenticationtoken;
    expect(second).not.toBe(first);
  });

  it("denied: push:ended too; another user's open app never hears this user's handles", async () => {
    const mine = await userWithTwoApps();
    const stranger = await userWithTwoApps();
    await login(A, mine.e.email);
    const handle = (await mine.socket.push()).data.secondfactorauthenticationtoken;
    expect((await mine.other.answer(A.url, A.apiKey, handle, "No", { signature: mine.other.sign(`No${handle}`) })).status).toBe(200);
    await mine.socket.endedOf(handle);
    // The stranger's own request ends after: by the time its push:ended arrives, the other one would have too.
    await login(A, stranger.e.email);
    const theirs = (await stranger.socket.push()).data.secondfactorauthenticationtoken;
    expect((await stranger.other.answer(A.url, A.apiKey, theirs, "No", { signature: stranger.other.sign(`No${theirs}`) })).status).toBe(200);
    await stranger.socket.endedOf(theirs);
    expect(stranger.socket.ended.map((x) => x.secondfactorauthenticationtoken)).toEqual([theirs]);
    expect(stranger.socket.pushes.map((p) => p.data.secondfactorauthenticationtoken)).toEqual([theirs]);
  });
});


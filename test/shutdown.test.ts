import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Arrivals } from "./support/arrivals.js";
import { TestPage } from "./support/cluster.js";
import { challengeOfToken, enrollWithoutLogin, sendId, waitUntil } from "./support/delivery.js";
import { deletePrefix, REDIS_URL, startTestGateway, TEST_MASTER_KEY, testPrefix, type TestGateway } from "./support/gateway.js";
import { login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * SIGTERM on a node that runs gateway and worker (`npm start`, a child process) while a page waits on it and a
 * push is in flight: readiness goes at once, the page is told to go (and finds the outcome on another node),
 * the push in flight completes exactly once, and the process exits 0 within SHUTDOWN_TIMEOUT_SECONDS.
 */

const SHUTDOWN_TIMEOUT_SECONDS = 15;
const prefix = testPrefix();
const apiKey = randomUUID();
const apiSecret = randomBytes(24).toString("base64url");

let other: TestGateway;
let receiver: WebhookReceiver;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // Node B: a gateway of the same deployment (prefix, app, master key), in this process, with no worker.
  other = await startTestGateway({ prefix, apiKey, apiSecret, masterKey: TEST_MASTER_KEY, worker: false, env: { PUSH_RATE_PER_APP: "0" } });
  receiver = await new WebhookReceiver("whsec-shutdown-signing-secret").start();
  await useWebhook(other, receiver);
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await other.stop();
  await receiver.close();
  await deletePrefix(prefix);
});

/** Node A: `tsx bin/main.ts all` in a child process, as `npm start` runs it. */
async function startNodeA(): Promise<{ url: string; child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const p = spawn(process.execPath, ["--import", "tsx", "bin/main.ts", "all"], {
    env: {
      PATH: process.env.PATH ?? "",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      NODE_ENV: "production",
      PORT: "0",
      HOST: "127.0.0.1",
      REDIS_URL,
      REDIS_PREFIX: prefix,
      MASTER_KEY: TEST_MASTER_KEY,
      BOOTSTRAP_API_KEY: apiKey,
      BOOTSTRAP_API_SECRET: apiSecret,
      ALLOW_PRIVATE_WEBHOOKS: "true",
      PUSH_RATE_PER_APP: "0",
      SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code)));
  const port = await waitUntil(() => /"port":(\d+)/.exec(out)?.[1] ?? (p.exitCode !== null ? Promise.reject(new Error(out)) : undefined), "node A to listen", 20_000);
  return { url: `http://127.0.0.1:${port}`, child: p, output: () => out, exited };
}

/**
 * A /readyz request the node has already taken in but cannot answer yet: sent with `Expect: 100-continue` and a
 * JSON body held back, it is parsed (the node answers 100 Continue) and then waits for its body in the JSON
 * parser, ahead of the readiness route. It stays in flight through SIGTERM, whose drain answers requests in
 * flight before closing; sending the body then shows what readiness says while the node drains. (A new
 * connection cannot show it: the listener closes at once.)
 */
async function readinessInFlight(url: string): Promise<{ answer(): Promise<{ status: number; body: unknown }> }> {
  const { hostname, port, host } = new URL(url);
  const socket = connect(Number(port), hostname);
  const arrivals = new Arrivals();
  let received = "";
  let closed = false;
  socket.on("data", (d: Buffer) => {
    received += d.toString();
    arrivals.arrived();
  });
  socket.on("close", () => {
    closed = true;
    arrivals.arrived();
  });
  socket.write(`GET /readyz HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
  await arrivals.until(() => received.includes("\r\n\r\n") || closed, 5000, () => `no 100 Continue: ${received}`);
  expect(received).toMatch(/^HTTP\/1\.1 100 /);
  return {
    async answer() {
      const interim = received.length;
      socket.write("{}");
      await arrivals.until(() => closed, 10_000, () => `no answer: ${received}`);
      const final = received.slice(interim);
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(final);
      if (!status) throw new Error(`not an HTTP answer: ${final}`);
      return { status: Number(status[1]), body: JSON.parse(final.slice(final.indexOf("\r\n\r\n") + 4)) as unknown };
    },
  };
}

/** One /readyz on a new connection: its status, or "refused" once the node stopped listening. */
const readiness = (url: string) =>
  fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status,
    () => "refused" as const,
  );

describe("graceful shutdown on SIGTERM", () => {
  it("readiness goes, the page moves to another node and gets the outcome there, the push in flight completes once, exit 0", async () => {
    const a = await startNodeA();
    child = a.child;
    const nodeA = { ...other, url: a.url };
    expect(await readiness(a.url)).toBe(200);

    const e = await enrollWithoutLogin(other);
    // The customer's messaging service answers slowly: the push is in flight when SIGTERM comes.
    const release = receiver.hold();
    const res = await login(nodeA, e.email);
    const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const c = await challengeOfToken(other, token);

    const page = TestPage.open(nodeA, token);
    const disconnected = new Promise<string>((resolve) => page.socket.once("disconnect", resolve));
    await page.waitFor((s) => s.Status === "Pending");
    // A page already on node B must not be touched by A's drain.
    const bystander = TestPage.open(other, token);
    await bystander.waitFor((s) => s.Status === "Pending");
    const [held] = await receiver.waitForRequests(1);
    const probe = await readinessInFlight(a.url);

    const sentAt = Date.now();
    a.child.kill("SIGTERM");
    let released = false;
    const exitedBeforeRelease = a.exited.then(() => !released);

    // Readiness goes at once: the node logs "shutting down" in the same turn that stops it accepting, so the
    // request it already holds is answered 503 while it drains.
    await waitUntil(() => /"msg":"shutting down"/.test(a.output()), "node A to start draining", 5000);
    const draining = await probe.answer();
    expect(draining.status).toBe(503);
    expect(draining.body).toMatchObject({ Status: "unavailable", Accepting: false });

    // The page is told to go by the server ("io server disconnect"), and reconnects to another node, which
    // tells it the current state on join.
    expect(await disconnected).toBe("io server disconnect");
    const moved = TestPage.open(other, token);
    expect((await moved.waitFor((s) => s.Status === "Pending")).Delivery?.State).not.toBe("Sent");

    // Node A is still finishing the push it started (its pages are gone): it cannot exit before the receiver
    // answers, and it never becomes ready again meanwhile.
    expect(a.child.exitCode).toBeNull();
    expect(await readiness(a.url)).not.toBe(200);
    released = true;
    release();

    // The push completes once: the receiver answered it, the job is completed, the pages hear "Sent".
    const code = await a.exited;
    const elapsedMs = Date.now() - sentAt;
    expect(code, a.output()).toBe(0);
    expect(await exitedBeforeRelease).toBe(false);
    expect(elapsedMs).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS * 1000);
    expect(a.output()).toMatch(/"msg":"shutting down"/);
    expect(held).toMatchObject({ status: 200, senderGone: false });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.pushes).toHaveLength(1);
    const job = await other.services.queues.push.getJob(sendId(c, e.device.id));
    expect(await job!.getState()).toBe("completed");
    expect(job!.returnvalue).toBe("sent");
    await moved.waitFor((s) => s.Delivery?.State === "Sent");
    await bystander.waitFor((s) => s.Delivery?.State === "Sent");
    expect(bystander.socket.connected).toBe(true);

    // The phone answers on node B; both pages there get the login.
    const answered = await e.phone.answer(other.url, apiKey, receiver.pushes[0]!.data.secondfactorauthenticationtoken!, "Yes");
    expect(answered.status).toBe(200);
    expect((await moved.waitFor((s) => s.Status === "Approved")).Login?.access_token).toBeDefined();
    await bystander.waitFor((s) => s.Status === "Approved");
    expect(await readiness(a.url)).toBe("refused");
    for (const p of [page, moved, bystander]) p.close();
  }, 60_000);
});

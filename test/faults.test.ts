import { io as socketIo } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitForPushApproval, type ErrorBody, type LoginResponse, type PushStatus } from "../web/client/push-mfa.js";
import { COMMAND_TIMEOUT_MS } from "../src/redis.js";
import { call, type ApiResponse } from "./support/http.js";
import { deployment, startNode, type Deployment, type NodeProcess } from "./support/node-process.js";
import { TestPhone } from "./support/phone.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";
import { TcpProxy } from "./support/tcp-proxy.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Faults, with real processes: each test runs its own redis-server (never the shared 6379) and the gateway and
 * worker as `npm run gateway` / `npm run worker` children, kills or restarts them, and asserts on what a waiting
 * page (the browser client library itself, given socket.io-client) and a legacy poller observe.
 *
 * A worker killed mid-send is covered by test/delivery-workers.test.ts ("a worker killed with SIGKILL mid-send: the
 * other one sends again, with the same delivery id and idempotency key"), not repeated here.
 */

/** The contract's calls, on one gateway URL (a node, or the load balancer in front of several). */
class Api {
  constructor(readonly url: string, readonly d: Deployment) {}
  private get secret() {
    return { "X-LoginRadius-ApiKey": this.d.apiKey, "X-LoginRadius-ApiSecret": this.d.apiSecret };
  }
  settings(receiver: WebhookReceiver) {
    return call(this.url, "PUT", "/v2/manage/2fa/push-notification-settings", {
      headers: this.secret,
      json: { IsEnabled: true, CustomAppName: "Acme", NotificationService: "Native", NativeSettings: { WebhookUrl: receiver.url, SigningSecret: receiver.secret } },
    });
  }
  account(email: string) {
    return call(this.url, "POST", "/identity/v2/manage/account", { headers: this.secret, json: { Email: [{ Type: "Primary", Value: email }], Password: "correct horse battery" } });
  }
  login(email: string) {
    return call<{ SecondFactorAuthentication: { SecondFactorAuthenticationToken: string; PushQRCodeDetails: { Url: string } | null }; ErrorCode?: number }>(
      this.url, "POST", "/identity/v2/auth/login/2fa", { query: { apikey: this.d.apiKey }, json: { email, password: "correct horse battery" } },
    );
  }
  ping(token: string) {
    return call(this.url, "GET", "/login/2fa/push/ping", { query: { apikey: this.d.apiKey, secondfactorauthenticationtoken: token } });
  }
  answer(phone: TestPhone, handle: string) {
    return phone.answer(this.url, this.d.apiKey, handle, "Yes");
  }
  readyz() {
    return call(this.url, "GET", "/readyz");
  }
}

/** A page waiting with the browser client library (socket first, L4 polling as fallback), and what it saw. */
function waitingPage(url: string, d: Deployment, token: string) {
  const statuses: PushStatus[] = [];
  const outcome = waitForPushApproval({
    url,
    apikey: d.apiKey,
    token,
    io: socketIo,
    onStatus: (s) => statuses.push(s),
    pollIntervalMs: 500,
    maxPollIntervalMs: 1000,
  }).then(
    (login): { login: LoginResponse } => ({ login }),
    (error: ErrorBody): { error: ErrorBody } => ({ error }),
  );
  return { statuses, outcome };
}

let n = 0;
const uniqueEmail = () => `fault${++n}-${Date.now()}@example.com`;

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An enrolled user whose enrollment-triggered first push was delivered; returns the phone. */
async function enrolledUser(api: Api, receiver: WebhookReceiver, email = uniqueEmail()): Promise<{ email: string; phone: TestPhone }> {
  expect((await api.account(email)).status).toBe(200);
  const first = await api.login(email);
  const phone = new TestPhone();
  const before = receiver.pushes.length;
  expect((await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url)).status).toBe(200);
  await receiver.waitFor(before + 1);
  return { email, phone };
}

/** L2 for an enrolled user; resolves with the browser token and the handle the push carried. */
async function pushedLogin(api: Api, receiver: WebhookReceiver, email: string) {
  const before = receiver.pushes.length;
  const res = await api.login(email);
  expect(res.status).toBe(200);
  const pushes = await receiver.waitFor(before + 1);
  return { token: res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken, handle: pushes.at(-1)!.data.secondfactorauthenticationtoken! };
}

/** `promise`, or a failure naming `what` after `ms` (so a missing event fails the test with a reason). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A call made while Redis is away, answered while it is still away (the test brings Redis back only after this
 * resolves): so the gateway gave up on Redis by itself instead of hanging until it returned. A call still without
 * an answer after ten of the gateway's own command timeouts is hanging: failed with that reason, not left to the
 * test's timeout.
 */
function whileRedisAway(request: () => Promise<ApiResponse>, what: string): Promise<ApiResponse> {
  return within(request(), 10 * COMMAND_TIMEOUT_MS, `${what} to answer while Redis is away`);
}

/** What every REST call answers while Redis is down: 503 with 950's body and Retry-After. */
function expectUnavailable(res: ApiResponse): void {
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("1");
  expect(res.body).toMatchObject({ ErrorCode: 950, Message: "Operation failed due to an unknown error", IsProviderError: false, ProviderErrorResponse: null });
}

const processes: NodeProcess[] = [];
const servers: RedisServer[] = [];
const proxies: TcpProxy[] = [];
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await new WebhookReceiver("whsec-faults-signing-secret-0123").start();
});
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await receiver.close();
});

async function redisServer(persistence: "none" | "aof" = "none"): Promise<RedisServer> {
  const s = await startRedisServer({ persistence });
  servers.push(s);
  return s;
}
async function node(role: "gateway" | "worker", d: Deployment): Promise<NodeProcess> {
  const p = await startNode(role, d.env);
  processes.push(p);
  return p;
}
async function proxy(ports: number[]): Promise<TcpProxy> {
  const p = await new TcpProxy(ports).start();
  proxies.push(p);
  return p;
}

describe("Redis restarted mid-flow", () => {
  it("with its data kept (AOF): requests fail fast while it is down, then the waiting login completes", async () => {
    const redis = await redisServer("aof");
    const d = deployment(redis.url);
    const [gateway, worker] = await Promise.all([node("gateway", d), node("worker", d)]);
    const api = new Api(gateway.url, d);
    expect((await api.settings(receiver)).status).toBe(200);
    const { email, phone } = await enrolledUser(api, receiver);
    const { token, handle } = await pushedLogin(api, receiver, email);
    const page = waitingPage(gateway.url, d, token);
    await until(async () => page.statuses.some((s) => s.Status === "Pending"), "the page's Pending");

    // Hung (a stopped process, a silent partition): connections stay open and nothing answers. The command
    // timeout bounds every request.
    redis.pause();
    expectUnavailable(await whileRedisAway(() => api.ping(token), "L4"));
    expectUnavailable(await whileRedisAway(() => api.login(email), "L2"));
    redis.resume();
    await until(async () => (await api.readyz()).status === 200, "/readyz 200 after the pause");

    await redis.kill();
    // Every request answers at once, with the contract's body, instead of hanging; health says why.
    expectUnavailable(await whileRedisAway(() => api.login(email), "L2"));
    expectUnavailable(await whileRedisAway(() => api.ping(token), "L4"));
    expectUnavailable(await whileRedisAway(() => api.answer(phone, handle), "the phone's answer"));
    const ready = await whileRedisAway(() => api.readyz(), "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ Status: "unavailable", Redis: "down" });
    expect((await call(gateway.url, "GET", "/healthz")).status).toBe(200);

    await redis.restart();
    await until(async () => (await api.readyz()).status === 200, "/readyz 200 after the restart");
    // The challenge survived: the phone's answer lands, and the page that waited through it all is told.
    expect((await api.answer(phone, handle)).status).toBe(200);
    const result = await within(page.outcome, 15_000, "the page's outcome");
    expect("login" in result && result.login.access_token).toBeTruthy();
    expect((await api.ping(token)).body).toEqual("login" in result ? result.login : null);
    // The worker reconnected too: a new login is pushed.
    await pushedLogin(api, receiver, email);
    expect(gateway.alive() && worker.alive()).toBe(true);
  }, 60_000);

  it("with its data lost: the waiting page learns Expired, a page reconnecting later too, and the deployment works again", async () => {
    const redis = await redisServer("none");
    const d = deployment(redis.url);
    const [gateway, worker] = await Promise.all([node("gateway", d), node("worker", d)]);
    const api = new Api(gateway.url, d);
    expect((await api.settings(receiver)).status).toBe(200);
    const { email } = await enrolledUser(api, receiver);
    const { token } = await pushedLogin(api, receiver, email);
    // One page straight on the node (its socket stays up through the outage), one through a load balancer whose
    // connections are cut while Redis is down (it reconnects and polls meanwhile).
    const lb = await proxy([gateway.port]);
    const staying = waitingPage(gateway.url, d, token);
    const lbUrl = `http://127.0.0.1:${lb.port}`;
    const reconnecting = waitingPage(lbUrl, d, token);
    await until(async () => staying.statuses.length > 0 && reconnecting.statuses.length > 0, "both pages' first status");

    await redis.kill();
    lb.dropAll();
    expectUnavailable(await whileRedisAway(() => api.ping(token), "L4"));
    await redis.restart();

    // Not "invalid token", not a handshake error loop: the login expired, the user starts again.
    const [a, b] = await within(Promise.all([staying.outcome, reconnecting.outcome]), 20_000, "both pages' outcome");
    expect(a).toMatchObject({ error: { ErrorCode: 1104 } });
    expect(b).toMatchObject({ error: { ErrorCode: 1104 } });
    expect(staying.statuses.at(-1)).toMatchObject({ Status: "Expired", Error: { ErrorCode: 1104 } });

    // The running processes answer their bootstrap app again without a restart; its data is gone, so the
    // operator configures it again and users enroll again; the worker pushes.
    await until(async () => (await api.readyz()).status === 200, "/readyz 200 after the restart");
    await until(async () => (await api.settings(receiver)).status === 200, "the bootstrap app back", 10_000);
    const again = await enrolledUser(api, receiver, uniqueEmail());
    await pushedLogin(api, receiver, again.email);
    expect(gateway.alive() && worker.alive()).toBe(true);
  }, 60_000);
});

describe("a gateway node killed while pages wait", () => {
  it("the pages reconnect through the load balancer to another node and still learn the outcome", async () => {
    const redis = await redisServer();
    const d = deployment(redis.url);
    const [g1, g2] = await Promise.all([node("gateway", d), node("gateway", d), node("worker", d)]);
    // The load balancer sends new connections to the first node that accepts them: g1 while it lives.
    const lb = await proxy([g1.port, g2.port]);
    const lbUrl = `http://127.0.0.1:${lb.port}`;
    const api = new Api(lbUrl, d);
    expect((await api.settings(receiver)).status).toBe(200);
    const [u1, u2] = [await enrolledUser(api, receiver), await enrolledUser(api, receiver)];
    const l1 = await pushedLogin(api, receiver, u1.email);
    const l2 = await pushedLogin(api, receiver, u2.email);
    const p1 = waitingPage(lbUrl, d, l1.token);
    const p2 = waitingPage(lbUrl, d, l2.token);
    await until(async () => p1.statuses.length > 0 && p2.statuses.length > 0, "both pages connected to g1");

    g1.kill("SIGKILL");
    await g1.exited;
    // Answered while the first page is cut off: it learns it when it joins g2 (or from its fallback poll).
    expect((await new Api(g2.url, d).answer(u1.phone, l1.handle)).status).toBe(200);
    // The second page is told the state again on joining g2, then the answer arrives through g2's adapter.
    await until(async () => p2.statuses.length >= 2, "the second page rejoined on g2");
    expect((await new Api(g2.url, d).answer(u2.phone, l2.handle)).status).toBe(200);

    const [r1, r2] = await within(Promise.all([p1.outcome, p2.outcome]), 20_000, "both pages' outcome");
    expect("login" in r1 && r1.login.access_token).toBeTruthy();
    expect("login" in r2 && r2.login.access_token).toBeTruthy();
    expect((await api.ping(l2.token)).body).toEqual("login" in r2 ? r2.login : null);
    expect(g2.alive()).toBe(true);
  }, 60_000);
});

describe("READONLY after a failover", () => {
  it("writes fail over to the promoted replica: the gateway and the worker reconnect, and the flow completes", async () => {
    const primary = await redisServer();
    const replica = await redisServer();
    await replica.command("REPLICAOF", "127.0.0.1", String(primary.port));
    await until(async () => (await replica.command("INFO", "replication")).includes("master_link_status:up"), "the replica in sync");
    // Clients reach "the primary" through an address that a failover moves (a VIP, a DNS name): this proxy.
    const address = await proxy([primary.port]);
    const d = deployment(`redis://127.0.0.1:${address.port}`);
    const [gateway, worker] = await Promise.all([node("gateway", d), node("worker", d)]);
    const api = new Api(gateway.url, d);
    expect((await api.settings(receiver)).status).toBe(200);
    const { email, phone } = await enrolledUser(api, receiver);

    // The failover: the replica is promoted, the old primary demoted to its replica, the address moved. Open
    // connections still lead to the old primary, which now answers every write with READONLY.
    await replica.command("REPLICAOF", "NO", "ONE");
    await primary.command("REPLICAOF", "127.0.0.1", String(replica.port));
    address.setBackends([replica.port]);
    await expect(primary.command("SET", `${d.prefix}:probe`, "1")).rejects.toThrow(/READONLY/);

    // reconnectOnError drops a connection that answered READONLY and connects again, through the moved address.
    const answers: number[] = [];
    const { token, handle } = await until(async () => {
      const before = receiver.pushes.length;
      const res = await api.login(email);
      answers.push(res.status);
      if (res.status !== 200) return undefined;
      const pushes = await receiver.waitFor(before + 1);
      return { token: res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken, handle: pushes.at(-1)!.data.secondfactorauthenticationtoken! };
    }, "a login written to the new primary and pushed by the worker");
    // The first login after the failover wrote to the demoted primary on a connection still open to it: refused
    // 503 (retry), never 500, as was every login until one went through.
    expect(answers.length, JSON.stringify(answers)).toBeGreaterThanOrEqual(2);
    expect(answers).toEqual([...Array<number>(answers.length - 1).fill(503), 200]);
    expect((await api.answer(phone, handle)).status).toBe(200);
    // The pollers' own client learns of the failover on its first write (the poll's counter), as the others did:
    // 503 (retry, never 500) until it has reconnected, then the approved login.
    const polls: number[] = [];
    await until(async () => {
      const res = await api.ping(token);
      polls.push(res.status);
      return res.status === 200 || undefined;
    }, "the approved login read through the new primary");
    expect(polls).toEqual([...Array<number>(polls.length - 1).fill(503), 200]);
    expect(await replica.command("EXISTS", `${d.prefix}:{a:${d.apiKey}}:app`)).toBe("1");
    expect(gateway.alive() && worker.alive()).toBe(true);
  }, 60_000);
});

import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollWithoutLogin } from "./support/delivery.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import type { ApiResponse } from "./support/http.js";
import { expectContractError } from "./support/contract.js";
import { login, useWebhook, waitForOutcome } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/**
 * Issue 11, items 7 and 8. Unauthenticated guessing: every unknown 2FA token (1103), wrong apisecret (902) and
 * invalid access token (905) an address collects spends its "failed guesses" budget; once spent, the address is
 * refused 429 with Retry-After on every call that checks one of those, while other addresses go on. And a corrupt
 * or unsupported compressed body is the client's error (400 965), never a 500.
 *
 * Each attacker calls from an address of its own on the loopback network (127.0.0.0/8), as distinct clients would,
 * so the tests share one gateway without sharing a budget.
 */

const BUDGET = 3;
const PING = "/login/2fa/push/ping";
const LOGIN = "/identity/v2/auth/login/2fa";
const SETTINGS = "/v2/manage/2fa/push-notification-settings";
const MFA = "/identity/v2/auth/account/2fa";
const RESET_OWN = "/identity/v2/auth/account/2fa/authenticator/push";
const OWN_DEVICES = "/identity/v2/auth/account/2fa/push/devices";

let gw: TestGateway;
let receiver: WebhookReceiver;
/** A login waiting for its push to be answered: a legitimate page polls it. */
let pendingToken: string;
/** The access token of a user whose push was approved. */
let accessToken: string;

beforeAll(async () => {
  gw = await startTestGateway({ rateLimits: { failedGuessesPerIp: BUDGET } });
  receiver = await new WebhookReceiver("whsec-guessing-signing-secret-1").start();
  await useWebhook(gw, receiver);
  const user = await enrollWithoutLogin(gw);

  const first = await login(gw, user.email);
  const push = (await receiver.waitFor(1))[0]!;
  expect((await user.phone.answer(gw.url, gw.apiKey, push.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
  const approved = await waitForOutcome(gw, first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
  expect(approved.status, approved.text).toBe(200);
  accessToken = (approved.body as { access_token: string }).access_token;

  pendingToken = (await login(gw, user.email)).body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

let lastAddress = 10;
/** A loopback address no other test of this file calls from. */
const freshAddress = () => `127.0.0.${++lastAddress}`;

/** A plain HTTP call from a given source address, with any body bytes and headers (to `gw` unless `base` says). */
function callFrom(
  from: string,
  method: string,
  path: string,
  o: { query?: Record<string, string>; headers?: Record<string, string>; body?: Buffer | string; base?: string } = {},
): Promise<ApiResponse> {
  const url = new URL(path, o.base ?? gw.url);
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.append(k, v);
  return new Promise((resolve, reject) => {
    // Framed by Content-Length: Node sends a DELETE's body unframed otherwise.
    const headers = { ...o.headers, ...(o.body !== undefined && { "content-length": String(Buffer.byteLength(o.body)) }) };
    const req = request(url, { method, headers, localAddress: from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* keep the text: the assertions say what was expected */
        }
        const answered = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) answered.set(k, Array.isArray(v) ? v.join(", ") : v);
        resolve({ status: res.statusCode ?? 0, headers: answered, body, text });
      });
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

/** A page's socket handshake from a given source address: null when accepted, else connect_error's data. */
function handshakeFrom(from: string, token: string): Promise<Record<string, unknown> | null> {
  // engine.io-client hands `localAddress` to the websocket's HTTP request (its types do not list it).
  const options: Partial<ManagerOptions & SocketOptions> & { localAddress: string } = {
    auth: { apikey: gw.apiKey, secondfactorauthenticationtoken: token },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    localAddress: from,
  };
  const socket = io(gw.url, options);
  return new Promise((resolve, reject) => {
    socket.on("connect", () => {
      socket.disconnect();
      resolve(null);
    });
    socket.on("connect_error", (err: Error & { data?: Record<string, unknown> }) => {
      socket.disconnect();
      if (err.data) resolve(err.data);
      else reject(err);
    });
  });
}

const pingFrom = (from: string, token: string) => callFrom(from, "GET", PING, { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: token } });
const resendFrom = (from: string, token: string) => callFrom(from, "POST", LOGIN, { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: token } });
const settingsFrom = (from: string, secret: string) =>
  callFrom(from, "GET", SETTINGS, { headers: { "X-LoginRadius-ApiKey": gw.apiKey, "X-LoginRadius-ApiSecret": secret } });
const asUserFrom = (from: string, method: string, path: string, token: string) =>
  callFrom(from, method, path, { query: { apikey: gw.apiKey }, headers: { Authorization: `Bearer ${token}` } });

/** 429 with the contract's body and a Retry-After within the 60 s window. */
function expectRefused(res: ApiResponse, label: string): void {
  expectContractError(res, label, 429);
  expect(res.status, label).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${label}: Retry-After ${res.headers.get("retry-after")}`).toBe(true);
}

describe("failed guesses per address (1103, 902, 905)", () => {
  it("1103: unknown tokens on L4 spend the budget, then the address is refused 429 on every ping; another address still polls", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < BUDGET; i++) expectContractError(await pingFrom(attacker, randomUUID()), `guess ${i + 1}`, 1103);
    expectRefused(await pingFrom(attacker, randomUUID()), "the next guess");
    // Refused before any lookup: the real token, from that address, is refused too, and so is a malformed one.
    expectRefused(await pingFrom(attacker, pendingToken), "a valid token from the guessing address");
    expectRefused(await pingFrom(attacker, "not-a-guid"), "a malformed token");
    // The page of the user polls on from its own address.
    const page = await pingFrom(freshAddress(), pendingToken);
    expect(page.body, page.text).toMatchObject({ ErrorCode: 1295 });
  });

  it("1103: unknown tokens on L3 (resend) spend the budget, then 429", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < BUDGET; i++) expectContractError(await resendFrom(attacker, randomUUID()), `guess ${i + 1}`, 1103);
    expectRefused(await resendFrom(attacker, randomUUID()), "the next guess");
    expectRefused(await pingFrom(attacker, pendingToken), "a ping from the same address");
  });

  it("1103: unknown tokens on the page socket handshake spend the budget, then connect_error 429 with RetryAfter; another page connects", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < BUDGET; i++) expect(await handshakeFrom(attacker, randomUUID()), `guess ${i + 1}`).toMatchObject({ ErrorCode: 1103 });
    const refused = await handshakeFrom(attacker, randomUUID());
    expect(refused).toMatchObject({ ErrorCode: 429, Message: "Too many requests in a particular time frame" });
    expect(refused?.RetryAfter).toBeGreaterThanOrEqual(1);
    expect(await handshakeFrom(attacker, pendingToken), "the real token from the guessing address").toMatchObject({ ErrorCode: 429 });
    expectRefused(await pingFrom(attacker, pendingToken), "a ping from the same address");
    expect(await handshakeFrom(freshAddress(), pendingToken), "the user's page").toBeNull();
  });

  it("902: wrong apisecrets spend the budget, then 429 even with the right one; the operator's own address is unaffected", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < BUDGET; i++) {
      const res = await settingsFrom(attacker, `wrong-secret-${i}`);
      expectContractError(res, `guess ${i + 1}`, 902);
      expect(res.status).toBe(401);
    }
    expectRefused(await settingsFrom(attacker, "wrong-secret-next"), "the next guess");
    expectRefused(await settingsFrom(attacker, gw.apiSecret), "the right secret from the guessing address");
    expect((await settingsFrom(freshAddress(), gw.apiSecret)).status).toBe(200);
  });

  it("905: random access tokens on L9, L7 and the devices routes spend the budget, then 429; the user's own address is unaffected", async () => {
    const attacker = freshAddress();
    expectContractError(await asUserFrom(attacker, "GET", MFA, randomUUID()), "L9", 905);
    expectContractError(await asUserFrom(attacker, "DELETE", RESET_OWN, randomUUID()), "L7", 905);
    expectContractError(await asUserFrom(attacker, "GET", OWN_DEVICES, "not-a-guid"), "devices", 905);
    expectRefused(await asUserFrom(attacker, "GET", OWN_DEVICES, randomUUID()), "the next guess");
    expectRefused(await asUserFrom(attacker, "GET", MFA, accessToken), "the real token from the guessing address");
    const own = await asUserFrom(freshAddress(), "GET", OWN_DEVICES, accessToken);
    expect(own.status, own.text).toBe(200);
  });

  it("one budget for all three codes: a 1103, a 902 and a 905 from one address spend it together", async () => {
    const attacker = freshAddress();
    expectContractError(await pingFrom(attacker, randomUUID()), "1103", 1103);
    expectContractError(await settingsFrom(attacker, "wrong"), "902", 902);
    expectContractError(await asUserFrom(attacker, "GET", MFA, randomUUID()), "905", 905);
    expectRefused(await pingFrom(attacker, randomUUID()), "ping");
    expectRefused(await settingsFrom(attacker, gw.apiSecret), "management");
    expectRefused(await asUserFrom(attacker, "GET", MFA, accessToken), "access token");
  });

  it("successful calls and other answers do not spend it", async () => {
    const caller = freshAddress();
    for (let i = 0; i < BUDGET * 3; i++) {
      expect((await pingFrom(caller, pendingToken)).body).toMatchObject({ ErrorCode: 1295 });
      expect((await settingsFrom(caller, gw.apiSecret)).status).toBe(200);
      expect((await asUserFrom(caller, "GET", OWN_DEVICES, accessToken)).status).toBe(200);
      // A missing token or secret is not a guess (1060, 923): nothing was tried.
      expectContractError(await callFrom(caller, "GET", MFA, { query: { apikey: gw.apiKey } }), "no token", 1060);
      expectContractError(await callFrom(caller, "GET", SETTINGS, { query: { apikey: gw.apiKey } }), "no secret", 923);
    }
    expectContractError(await pingFrom(caller, randomUUID()), "a first wrong guess still answers 1103", 1103);
  });
});

describe("failed guesses on the operator's tokens (METRICS_TOKEN 905, ADMIN_TOKEN 902)", () => {
  const METRICS_TOKEN = "scrape-token-for-the-guessing-test";
  const ADMIN_TOKEN = "operator-token-for-the-guessing-test-0123";
  let ops: TestGateway;
  beforeAll(async () => {
    ops = await startTestGateway({ worker: false, env: { METRICS_TOKEN, ADMIN_TOKEN }, rateLimits: { failedGuessesPerIp: BUDGET } });
  });
  afterAll(async () => {
    await ops.stop();
    await deletePrefix(ops.config.REDIS_PREFIX);
  });
  const bearerFrom = (from: string, path: string, token: string) => callFrom(from, "GET", path, { base: ops.url, headers: { Authorization: `Bearer ${token}` } });

  it("wrong metrics tokens (905) spend the budget, then 429; the scraper's own address is unaffected", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < BUDGET; i++) expectContractError(await bearerFrom(attacker, "/metrics", `guess-${i}`), `guess ${i + 1}`, 905);
    expectRefused(await bearerFrom(attacker, "/metrics", METRICS_TOKEN), "the right token from the guessing address");
    expect((await bearerFrom(freshAddress(), "/metrics", METRICS_TOKEN)).status).toBe(200);
  });

  it("wrong dashboard tokens (902) spend the budget, then 429; the operator's own address is unaffected", async () => {
    const attacker = freshAddress();
    for (let i = 0; i < BUDGET; i++) expectContractError(await bearerFrom(attacker, "/admin/queues/api/queues", `guess-${i}`), `guess ${i + 1}`, 902);
    expectRefused(await bearerFrom(attacker, "/admin/queues/api/queues", ADMIN_TOKEN), "the right token from the guessing address");
    expect((await bearerFrom(freshAddress(), "/admin/queues/api/queues", ADMIN_TOKEN)).status).toBe(200);
  });
});

/** Bodies that claim an encoding and are not in it: garbage, and a real stream cut short. */
const corrupt: Record<string, Buffer[]> = {
  gzip: [Buffer.from("this is not gzip at all"), gzipSync(JSON.stringify({ email: "a@example.com", password: "x".repeat(200) })).subarray(0, 30)],
  deflate: [Buffer.from("this is not deflate at all"), deflateSync(JSON.stringify({ email: "a@example.com", password: "x".repeat(200) })).subarray(0, 20)],
  br: [Buffer.from("this is not brotli at all, nope"), brotliCompressSync(JSON.stringify({ email: "a@example.com", password: "x".repeat(200) })).subarray(0, 12)],
};

const bodyTargets = [
  { name: "L2 login", method: "POST", path: LOGIN, headers: () => ({ "X-LoginRadius-ApiKey": gw.apiKey }) },
  { name: "L10 PUT settings", method: "PUT", path: SETTINGS, headers: () => ({ "X-LoginRadius-ApiKey": gw.apiKey, "X-LoginRadius-ApiSecret": gw.apiSecret }) },
];

describe.each(bodyTargets)("compressed bodies on $name", (t) => {
  const send = (encoding: string, body: Buffer) =>
    callFrom("127.0.0.1", t.method, t.path, { headers: { ...t.headers(), "content-type": "application/json", "content-encoding": encoding }, body });

  it.each(Object.keys(corrupt))("a corrupt %s body is the client's error: 400 965", async (encoding) => {
    for (const [i, body] of corrupt[encoding]!.entries()) {
      const res = await send(encoding, body);
      expectContractError(res, `${encoding} #${i}`, 965);
      expect(res.status).toBe(400);
    }
  });

  it("an unsupported content-encoding is 400 965 with the error body, saying which encodings are accepted", async () => {
    for (const encoding of ["compress", "x-made-up", "gzip, br"]) {
      const res = await send(encoding, Buffer.from("{}"));
      expectContractError(res, encoding, 965);
      expect(res.status).toBe(400);
      expect((res.body as { Description: string }).Description).toMatch(/gzip, deflate or br/);
    }
  });

  it("a well-formed compressed body is still read", async () => {
    const res = await send("gzip", gzipSync(JSON.stringify({ not: "the schema" })));
    // Read and parsed: refused by the schema (field errors), not as an unreadable body.
    expectContractError(res, "gzip", 965);
    expect((res.body as { Errors?: unknown[] }).Errors?.length).toBeGreaterThan(0);
  });
});

describe("malformed path parameters", () => {
  it("a path parameter that is not valid percent-encoding is 908, not a 500", async () => {
    const headers = { "X-LoginRadius-ApiKey": gw.apiKey, "X-LoginRadius-ApiSecret": gw.apiSecret, Authorization: `Bearer ${accessToken}` };
    for (const [method, path] of [["PUT", `${OWN_DEVICES}/%E0%A4%A`], ["DELETE", `${OWN_DEVICES}/%zz`], ["GET", "/v2/manage/account/%zz/push/devices"]] as const) {
      const res = await callFrom("127.0.0.1", method, path, { headers: { ...headers, "content-type": "application/json" }, ...(method !== "GET" && { body: "{}" }) });
      expectContractError(res, `${method} ${path}`, 908);
    }
  });
});

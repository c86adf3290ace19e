import { randomBytes } from "node:crypto";
import { io } from "socket.io-client";
import { loadConfig } from "../src/config.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, watchPage } from "./support/browser.js";
import { enrollWithoutLogin, seedChallenge, waitUntil } from "./support/delivery.js";
import { startCluster, TestPage, type TestCluster } from "./support/cluster.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/** What an operator scrapes and guards: /metrics, CORS for the customer's login pages, the queue dashboard. */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parse a Prometheus text exposition and check what Prometheus itself would refuse: a family declared twice, a
 * family's samples split in two groups, a label repeated within a sample.
 */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  const declared = new Map<string, Set<string>>();
  const closed = new Set<string>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
    if (meta) {
      const [, kind, name] = meta as unknown as [string, string, string];
      if (current && current !== name) closed.add(current);
      if (closed.has(name)) throw new Error(`family ${name} declared again after other families`);
      const seen = declared.get(name) ?? new Set<string>();
      if (seen.has(kind)) throw new Error(`second ${kind} line for ${name}`);
      declared.set(name, seen.add(kind));
      current = name;
      continue;
    }
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      if (k! in labels) throw new Error(`label ${k} twice in ${line}`);
      labels[k!] = v!;
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
const has = (samples: Sample[], name: string) => samples.some((s) => s.name === name);

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  return parseExposition(await res.text());
}

describe("/metrics after a full login flow (gateway and worker in one process)", () => {
  let gw: TestGateway;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { PUSH_BACKOFF_MS: "50", PUSH_RATE_PER_APP: "0" } });
    receiver = await new WebhookReceiver("whsec-operations-metrics-secret").start();
    await useWebhook(gw, receiver);
  });
  afterAll(async () => {
    await gw.stop();
    await receiver.close();
    await deletePrefix(gw.config.REDIS_PREFIX);
  });

  it("counts pushes by provider and outcome, challenges, sockets and answer-to-page; serves queue and process metrics", async () => {
    const e = await enrollWithoutLogin(gw);
    // The first attempt is answered 500: retried (outcome "retrying"), then sent.
    receiver.script.push(500);
    const res = await login(gw, e.email);
    const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
    const page = TestPage.open(gw, token);
    await page.waitFor((s) => s.Status === "Pending");
    expect(valueOf(await scrape(gw.url), "pmg_sockets_connected", { kind: "page" })).toBe(1);

    const [push] = await receiver.waitFor(1);
    // The span this test sees, from just before the phone answers to the page holding Approved: the gateway's
    // answer-to-page time lies inside it, however fast or slow this machine is.
    const answering = Date.now();
    expect((await e.phone.answer(gw.url, gw.apiKey, push!.data.secondfactorauthenticationtoken!, "Yes")).status).toBe(200);
    const approved = await page.waitFor((s) => s.Status === "Approved");
    const seenSeconds = (Date.now() - answering) / 1000;
    expect(approved.AnsweredAt).toBeDefined();

    const m = await scrape(gw.url);
    expect(valueOf(m, "pmg_pushes_total", { provider: "webhook", outcome: "sent" })).toBe(1);
    expect(valueOf(m, "pmg_pushes_total", { provider: "webhook", outcome: "retrying" })).toBe(1);
    expect(valueOf(m, "pmg_pushes_total", { outcome: "failed" })).toBe(0);
    expect(valueOf(m, "pmg_challenges_total", { outcome: "started" })).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, "pmg_challenges_total", { outcome: "approved" })).toBe(1);
    // Told once, as the Approved packet left for the page's socket: measured from the recorded answer, so within
    // the span the test saw (not, say, from the login), and in the histogram's buckets.
    expect(valueOf(m, "pmg_answer_to_page_seconds_count")).toBe(1);
    expect(valueOf(m, "pmg_answer_to_page_seconds_sum")).toBeGreaterThanOrEqual(0);
    expect(valueOf(m, "pmg_answer_to_page_seconds_sum")).toBeLessThanOrEqual(seenSeconds);
    expect(valueOf(m, "pmg_answer_to_page_seconds_bucket", { le: "+Inf" })).toBe(1);
    expect(valueOf(m, "pmg_http_request_duration_seconds_count", { route: "/identity/v2/auth/login/2fa", method: "POST" })).toBeGreaterThanOrEqual(1);
    // BullMQ's own queue metrics, one family for both queues, and Node's process metrics.
    expect(valueOf(m, "bullmq_job_count", { queue: "{push}", state: "completed" })).toBeGreaterThanOrEqual(1);
    expect(has(m, "bullmq_job_count") && m.some((s) => s.name === "bullmq_job_count" && s.labels.queue === "{expiry}")).toBe(true);
    expect(has(m, "bullmq_job_completed_total")).toBe(true);
    expect(has(m, "pmg_process_cpu_user_seconds_total")).toBe(true);
    expect(has(m, "pmg_nodejs_eventloop_lag_seconds")).toBe(true);

    page.close();
    await waitUntil(async () => valueOf(await scrape(gw.url), "pmg_sockets_connected", { kind: "page" }) === 0, "the page socket to be uncounted");
  });

  it("counts a challenge the expiry job ended", async () => {
    const uid = randomBytes(16).toString("hex");
    const c = await seedChallenge(gw.services, gw.apiKey, uid, 200);
    await gw.services.queues.scheduleExpiry({ appId: gw.apiKey, uid, challengeId: c.id }, 200);
    await waitUntil(async () => valueOf(await scrape(gw.url), "pmg_challenges_total", { outcome: "expired" }) === 1, "the expiry to be counted");
  });
});

describe("/metrics across nodes: page on B, answer on A, push by a worker-only process", () => {
  const METRICS_TOKEN = "scrape-token-0123456789abcdef";
  let cluster: TestCluster;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    cluster = await startCluster({ gateways: 2, env: { METRICS_TOKEN, METRICS_PORT: "0", PUSH_RATE_PER_APP: "0" } });
    receiver = await new WebhookReceiver("whsec-operations-cluster-secret").start();
    await useWebhook(cluster.nodes[0]!, receiver);
  });
  afterAll(async () => {
    await cluster.stop();
    await receiver.close();
  });

  it("each node counts what it did; answer-to-page is measured where the page's socket is (adapter broadcasts too)", async () => {
    const [a, b] = cluster.nodes as [TestGateway, TestGateway];
    const e = await enrollWithoutLogin(a);
    const res = await login(a, e.email);
    const page = TestPage.open(b, res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
    await page.waitFor((s) => s.Status === "Pending");
    const [push] = await receiver.waitFor(1);
    await e.phone.answer(a.url, a.apiKey, push!.data.secondfactorauthenticationtoken!, "No");
    await page.waitFor((s) => s.Status === "Denied");
    page.close();

    const onA = await scrape(a.url, METRICS_TOKEN);
    const onB = await scrape(b.url, METRICS_TOKEN);
    expect(valueOf(onA, "pmg_challenges_total", { outcome: "denied" })).toBe(1);
    expect(valueOf(onA, "pmg_answer_to_page_seconds_count")).toBe(0);
    expect(valueOf(onB, "pmg_answer_to_page_seconds_count")).toBe(1);
    expect(valueOf(onA, "pmg_pushes_total")).toBe(0);

    // The worker-only process has no Express app: METRICS_PORT serves its metrics and health.
    const worker = `http://127.0.0.1:${cluster.worker.metricsPort}`;
    expect(cluster.worker.metricsPort).toBeGreaterThan(0);
    expect(valueOf(await scrape(worker, METRICS_TOKEN), "pmg_pushes_total", { provider: "webhook", outcome: "sent" })).toBe(1);
    expect((await fetch(`${worker}/metrics`)).status).toBe(403);
    expect((await fetch(`${worker}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${worker}/readyz`)).json()).toEqual({ Status: "ready" });
  });

  it("METRICS_TOKEN is enforced on the gateway's /metrics", async () => {
    const url = cluster.nodes[0]!.url;
    expect((await call(url, "GET", "/metrics")).body).toMatchObject({ ErrorCode: 905 });
    expect((await call(url, "GET", "/metrics", { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(403);
    expect((await call(url, "GET", "/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  });
});

const ALLOWED = "https://login.example.com";
const OTHER = "https://evil.example.net";
const ADMIN_TOKEN = "operator-token-0123456789-abcdefghij";

/** A socket handshake from a page on `origin` (websocket, as the browser client connects). */
function handshake(url: string, origin: string | undefined, auth: Record<string, unknown>): Promise<"connected" | string> {
  const socket = io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 5000, ...(origin && { extraHeaders: { origin } }) });
  return new Promise((resolve) => {
    socket.on("connect", () => {
      socket.disconnect();
      resolve("connected");
    });
    socket.on("connect_error", (err: Error & { data?: { ErrorCode?: number } }) => {
      socket.disconnect();
      resolve(err.data?.ErrorCode ? `refused ${err.data.ErrorCode}` : `blocked: ${err.message}`);
    });
  });
}

const preflight = (url: string, path: string, origin: string, method = "POST") =>
  fetch(`${url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "content-type,x-loginradius-apikey" },
  });

describe("CORS for the customer's login pages (Express and Socket.IO alike)", () => {
  let gw: TestGateway;
  let prod: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ worker: false, env: { CORS_ORIGINS: `${ALLOWED}, https://other-login.example.com:8443`, ADMIN_TOKEN } });
    prod = await startTestGateway({ worker: false, env: { NODE_ENV: "production" } });
  });
  afterAll(async () => {
    for (const n of [gw, prod]) {
      await n.stop();
      await deletePrefix(n.config.REDIS_PREFIX);
    }
  });

  it("a preflight from an allowed origin is granted with the API's methods and headers; another origin's is not", async () => {
    const ok = await preflight(gw.url, "/identity/v2/auth/login/2fa", ALLOWED);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(ok.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, DELETE");
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/X-LoginRadius-ApiKey/);
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(ok.headers.get("access-control-allow-credentials")).toBeNull();
    expect(ok.headers.get("vary")).toMatch(/Origin/);

    const refused = await preflight(gw.url, "/identity/v2/auth/login/2fa", OTHER);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    expect(refused.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("L4 answers an allowed origin with the grant (and Retry-After exposed); another origin without it", async () => {
    const ping = (origin: string) =>
      fetch(`${gw.url}/login/2fa/push/ping?apikey=${gw.apiKey}&secondfactorauthenticationtoken=b1fbbba5-2a5e-41a2-96da-c216df36e6f4`, { headers: { origin } });
    const ok = await ping(ALLOWED);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(ok.headers.get("access-control-expose-headers")).toBe("Retry-After");
    expect(await ok.json()).toMatchObject({ ErrorCode: 1103 });
    expect((await ping("https://other-login.example.com:8443")).headers.get("access-control-allow-origin")).toBe("https://other-login.example.com:8443");
    expect((await ping(OTHER)).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("API answers are never cached, sniffed or framed; pages get helmet's full set", async () => {
    const api = await fetch(`${gw.url}/login/2fa/push/ping?apikey=${gw.apiKey}&secondfactorauthenticationtoken=b1fbbba5-2a5e-41a2-96da-c216df36e6f4`);
    expect(api.headers.get("cache-control")).toBe("no-store");
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
    expect(api.headers.get("x-frame-options")).toBe("DENY");
    expect(api.headers.get("content-security-policy")).toBe("default-src 'none';frame-ancestors 'none'");
    expect(api.headers.get("strict-transport-security")).toMatch(/max-age=/);
    expect(api.headers.get("etag")).toBeNull();
    expect(api.headers.get("x-dns-prefetch-control")).toBeNull();

    for (const path of ["/console", "/client/push-mfa.js"]) {
      const page = await fetch(`${gw.url}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("cross-origin-opener-policy"), path).toBe("same-origin");
      expect(page.headers.get("x-dns-prefetch-control"), path).toBe("off");
      expect(page.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("the operator tools never carry a CORS grant", async () => {
    for (const path of ["/metrics", "/admin/queues"]) {
      const res = await fetch(`${gw.url}${path}`, { headers: { origin: ALLOWED, authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.headers.get("access-control-allow-origin"), path).toBeNull();
    }
  });

  it("the socket takes handshakes from the same origins (and from clients without an Origin, like phone apps)", async () => {
    // The token is bogus: a handshake that passes the origin check is refused by the app's own check (1103).
    const auth = { apikey: gw.apiKey, secondfactorauthenticationtoken: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" };
    expect(await handshake(gw.url, ALLOWED, auth)).toBe("refused 1103");
    expect(await handshake(gw.url, undefined, auth)).toBe("refused 1103");
    expect(await handshake(gw.url, `http://127.0.0.1:${gw.port}`, auth)).toBe("refused 1103");
    expect(await handshake(gw.url, OTHER, auth)).toMatch(/^blocked/);
  });

  it("in production without CORS_ORIGINS, only same-origin pages: no grant to any other origin, on either channel", async () => {
    const res = await preflight(prod.url, "/identity/v2/auth/login/2fa", ALLOWED);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const auth = { apikey: prod.apiKey, secondfactorauthenticationtoken: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" };
    expect(await handshake(prod.url, ALLOWED, auth)).toMatch(/^blocked/);
    expect(await handshake(prod.url, `http://127.0.0.1:${prod.port}`, auth)).toBe("refused 1103");
  });

  it("in development without CORS_ORIGINS, any origin (\"*\"), never with credentials", async () => {
    const dev = await startTestGateway({ mode: "development", worker: false });
    try {
      const res = await preflight(dev.url, "/login/2fa/push/ping", OTHER, "GET");
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    } finally {
      await dev.stop();
      await deletePrefix(dev.config.REDIS_PREFIX);
    }
  });

  describe("the queue dashboard (bull-board) at /admin/queues", () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

    it("answers 401 without the admin token, asking a browser for it", async () => {
      for (const authorization of [undefined, "Bearer not-the-admin-token-0123456789", basic("ops", "wrong"), `Bearer ${gw.apiSecret}`]) {
        const res = await call(gw.url, "GET", "/admin/queues", { headers: authorization ? { authorization } : {} });
        expect(res.status, authorization).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
        expect(res.body).toMatchObject({ ErrorCode: 902 });
      }
      expect((await call(gw.url, "GET", "/admin/queues/api/queues")).status).toBe(401);
    });

    it("serves the dashboard, its assets and its API with the token (Bearer or Basic password), with a CSP of its own", async () => {
      const page = await fetch(`${gw.url}/admin/queues`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<base href="/admin/queues/"');
      const csp = page.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("script-src 'self'");
      expect(page.headers.get("x-powered-by")).toBeNull();
      // Elsewhere helmet's policy is untouched.
      expect((await fetch(`${gw.url}/healthz`)).headers.get("content-security-policy")).not.toBe(csp);

      const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)![1]!;
      const asset = await fetch(`${gw.url}/admin/queues/${script}`, { headers: { authorization: basic("anyone", ADMIN_TOKEN) } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toMatch(/javascript/);

      const api = await fetch(`${gw.url}/admin/queues/api/queues`, { headers: { authorization: basic("ops", ADMIN_TOKEN) } });
      expect(api.status).toBe(200);
      const names = ((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
      expect(names.sort()).toEqual(["{expiry}", "{push}"]);
    });

    it("renders in Chromium under that CSP, signed in with HTTP Basic: nothing refused but its outside web font", async () => {
      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ httpCredentials: { username: "ops", password: ADMIN_TOKEN } });
        const page = await context.newPage();
        const { problems } = watchPage(page);
        await page.goto(`${gw.url}/admin/queues`);
        await page.getByText("{expiry}").first().waitFor({ timeout: 15_000 });
        await page.getByText("{push}").first().waitFor({ timeout: 15_000 });
        expect(problems.filter((p) => !p.includes("fonts.googleapis.com"))).toEqual([]);
      } finally {
        await browser.close();
      }
    });

    it("refuses a change a foreign page makes the browser send with its Basic credentials", async () => {
      const promote = (headers: Record<string, string>) => fetch(`${gw.url}/admin/queues/api/queues/%7Bpush%7D/promote`, { method: "PUT", headers });
      const forged = await promote({ authorization: basic("ops", ADMIN_TOKEN), origin: OTHER, "sec-fetch-site": "cross-site" });
      expect(forged.status).toBe(403);
      expect(await forged.json()).toMatchObject({ ErrorCode: 905 });
      const own = await promote({ authorization: basic("ops", ADMIN_TOKEN), origin: `http://127.0.0.1:${gw.port}`, "sec-fetch-site": "same-origin" });
      expect(own.status).toBeLessThan(300);
      expect((await promote({ authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBeLessThan(300);
    });

    it("is not mounted without ADMIN_TOKEN", async () => {
      const res = await call(prod.url, "GET", "/admin/queues", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ ErrorCode: 404 });
    });
  });
});

describe("configuration of the operator features", () => {
  const base = { NODE_ENV: "production", MASTER_KEY: randomBytes(32).toString("base64") };
  it("CORS_ORIGINS: origins normalised as browsers send them, or \"*\"; a path, a scheme other than http(s) or a mix with * is refused", () => {
    expect(loadConfig({ ...base, CORS_ORIGINS: "HTTPS://Login.Example.com:443, http://localhost:8080/" }).CORS_ORIGINS).toEqual(["https://login.example.com", "http://localhost:8080"]);
    expect(loadConfig({ ...base, CORS_ORIGINS: "*" }).CORS_ORIGINS).toBe("*");
    expect(loadConfig(base).CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ NODE_ENV: "development" }).CORS_ORIGINS).toBe("*");
    for (const bad of ["https://login.example.com/path", "ftp://files.example.com", "login.example.com", "*, https://a.example.com", "https://user:pw@a.example.com"]) {
      expect(() => loadConfig({ ...base, CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS/);
    }
  });

  it("ADMIN_TOKEN needs 24 characters; SHUTDOWN_TIMEOUT_SECONDS defaults to 15 (above SNS's 10 s request timeout)", () => {
    expect(() => loadConfig({ ...base, ADMIN_TOKEN: "too-short" })).toThrow(/ADMIN_TOKEN/);
    expect(loadConfig({ ...base, ADMIN_TOKEN: "a".repeat(24) }).ADMIN_TOKEN).toBe("a".repeat(24));
    expect(loadConfig(base).SHUTDOWN_TIMEOUT_SECONDS).toBe(15);
    expect(loadConfig({ ...base, METRICS_PORT: "9100" }).METRICS_PORT).toBe(9100);
  });
});

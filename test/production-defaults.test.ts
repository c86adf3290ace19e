import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { runAdmin } from "../src/admin/run-admin.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { expectContractError } from "./support/contract.js";
import { waitUntil } from "./support/delivery.js";
import { deletePrefix, REDIS_CLUSTER, REDIS_URL, startTestGateway, testPrefix } from "./support/gateway.js";
import { call } from "./support/http.js";
import { deployment, startNode } from "./support/node-process.js";
import { secretHeaders } from "./support/scenario.js";

/**
 * Contract 2.3: production unless NODE_ENV=development is explicit. A gateway an operator starts without setting
 * NODE_ENV must not serve the demo pages (whose signup created accounts in the BOOTSTRAP_API_KEY app), must refuse
 * private webhooks and must grant no cross-origin access; without a MASTER_KEY it must not start at all. The quick
 * start (`npm start`, zero configuration) keeps development.
 */

const prefixes: string[] = [];
const groups: number[] = [];
afterAll(async () => {
  // A process group this file started and did not see end (a failed test): stop it rather than leave it running.
  for (const pgid of groups) if (groupAlive(pgid)) process.kill(-pgid, "SIGKILL");
  for (const prefix of prefixes) await deletePrefix(prefix);
});

const OTHER_ORIGIN = "https://evil.example.com";
const SETTINGS = "/v2/manage/2fa/push-notification-settings";
const root = new URL("..", import.meta.url).pathname;
const baseEnv = { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
const clusterEnv: Record<string, string> = REDIS_CLUSTER ? { REDIS_CLUSTER: "1" } : {};

/** A child process of this test, its output collected, its end awaited. */
function launch(command: string, args: string[], env: Record<string, string>, o: { detached?: boolean } = {}) {
  const child: ChildProcess = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: o.detached ?? false });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited, output: () => out };
}

/** Whether any process of the group still runs (signal 0 only asks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const preflight = (url: string) =>
  fetch(`${url}/login/2fa/push/ping`, { method: "OPTIONS", headers: { origin: OTHER_ORIGIN, "access-control-request-method": "GET" } });

describe("NODE_ENV unset means production", () => {
  it("the configuration: MASTER_KEY required (one line), private webhooks off, no CORS grant; only development or production accepted", () => {
    let err: unknown;
    try {
      loadConfig({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^MASTER_KEY is required in production[^\n]*openssl rand -base64 32[^\n]*NODE_ENV=development/);
    const c = loadConfig({ MASTER_KEY: randomBytes(32).toString("base64") });
    expect(c).toMatchObject({ NODE_ENV: "production", isDev: false, ALLOW_PRIVATE_WEBHOOKS: false, CORS_ORIGINS: [] });
    expect(loadConfig({ NODE_ENV: "development" })).toMatchObject({ isDev: true, ALLOW_PRIVATE_WEBHOOKS: true, CORS_ORIGINS: "*" });
    // The old third mode is gone rather than silently meaning development.
    expect(() => loadConfig({ NODE_ENV: "test", MASTER_KEY: randomBytes(32).toString("base64") })).toThrow(/NODE_ENV/);
  });

  it("a gateway started with NODE_ENV unset and a MASTER_KEY serves no /demo/, refuses private webhooks and grants no origin", async () => {
    const d = deployment(REDIS_URL, clusterEnv);
    prefixes.push(d.prefix);
    const { NODE_ENV: _mode, ALLOW_PRIVATE_WEBHOOKS: _private, ...env } = d.env;
    const node = await startNode("gateway", env);
    try {
      // The attack: an account made in the bootstrap app by anyone who can reach the gateway.
      const signup = await call(node.url, "POST", "/demo/signup", { json: { email: "mallory@example.com", password: "correct horse battery" } });
      expectContractError(signup, "POST /demo/signup", 404);
      expectContractError(await call(node.url, "GET", "/demo/"), "GET /demo/", 404);

      const loopback = await call(node.url, "PUT", SETTINGS, {
        headers: { "X-LoginRadius-ApiKey": d.apiKey, "X-LoginRadius-ApiSecret": d.apiSecret },
        json: { IsEnabled: true, NotificationService: "Native", NativeSettings: { WebhookUrl: "http://127.0.0.1:9/push", SigningSecret: "a-long-enough-signing-secret" } },
      });
      expectContractError(loopback, "PUT loopback webhook", 965);
      expect((loopback.body as { Errors: Array<{ FieldName: string }> }).Errors.map((e) => e.FieldName)).toEqual(["NativeSettings.WebhookUrl"]);

      const cors = await preflight(node.url);
      expect(cors.headers.get("access-control-allow-origin")).toBeNull();
      const simple = await fetch(`${node.url}/healthz`, { headers: { origin: OTHER_ORIGIN } });
      expect(simple.headers.get("access-control-allow-origin")).toBeNull();
      expect(node.output()).not.toMatch(/development mode/);
    } finally {
      await node.stop();
    }
  });

  it("without MASTER_KEY it refuses to start, with one clear line and no stack trace", async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const p = launch(process.execPath, ["--import", "tsx", "bin/main.ts", "gateway"], { ...baseEnv, ...clusterEnv, REDIS_URL, REDIS_PREFIX: prefix, PORT: "0", HOST: "127.0.0.1" });
    // Whichever comes first: the exit it should make, or the listening line it must not reach.
    const listening = waitUntil(() => /push-mfa-gateway listening/.test(p.output()), "the listening line", 20_000).then(() => "listening" as const);
    const outcome = await Promise.race([p.exited, listening.catch(() => "neither" as const)]);
    if (outcome === "listening") p.child.kill("SIGTERM");
    expect(outcome).toBe(1);
    const lines = p.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^push-mfa-gateway: MASTER_KEY is required in production/);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });
});

describe("npm start (the script) still starts in development", () => {
  it("with zero configuration: demo pages, CORS \"*\", a development master key; Ctrl-C stops it", async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    // Its own process group, as a terminal runs it, so Ctrl-C (SIGINT to the group) reaches npm and the gateway alike.
    const p = launch("npm", ["start", "--silent"], { ...baseEnv, ...clusterEnv, HOME: process.env.HOME ?? "", npm_config_update_notifier: "false", REDIS_URL, REDIS_PREFIX: prefix, PORT: "0", HOST: "127.0.0.1" }, { detached: true });
    const pgid = p.child.pid!;
    groups.push(pgid);
    const port = await waitUntil(() => /Start here\s+http:\/\/localhost:(\d+)\//.exec(p.output())?.[1] ?? (p.child.exitCode !== null ? Promise.reject(new Error(p.output())) : undefined), "npm start to listen", 30_000);
    const url = `http://127.0.0.1:${port}`;
    // The logger writes asynchronously: wait for the warnings themselves rather than reading a moment too early.
    await waitUntil(() => (/development mode \(NODE_ENV=development\)/.test(p.output()) ? true : undefined), "the development-mode warning", 10_000);
    await waitUntil(() => (/MASTER_KEY is not set/.test(p.output()) ? true : undefined), "the generated-master-key warning", 10_000);
    const demo = await fetch(`${url}/demo/`);
    expect(demo.status).toBe(200);
    expect(await demo.text()).toMatch(/<html/i);
    expect((await preflight(url)).headers.get("access-control-allow-origin")).toBe("*");

    process.kill(-pgid, "SIGINT");
    await p.exited;
    await waitUntil(() => !groupAlive(pgid), "npm start's processes to end", 20_000);
  });
});

describe("the admin CLI in both modes", () => {
  const cli = async (argv: string[], env: Record<string, string>) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdmin(argv, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("production (NODE_ENV unset) wants the deployment's MASTER_KEY and says so in one line; development opens what a development gateway sealed", async () => {
    // A development deployment as npm start makes it: no MASTER_KEY, so the key is the one kept in Redis.
    const gw = await startTestGateway({ mode: "development", worker: false, env: { MASTER_KEY: "" } });
    prefixes.push(gw.config.REDIS_PREFIX);
    try {
      const saved = await call(gw.url, "PUT", SETTINGS, {
        headers: secretHeaders(gw),
        json: { IsEnabled: true, NotificationService: "Native", NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "a-long-enough-signing-secret" } },
      });
      expect(saved.status, saved.text).toBe(200);
      const shell = { REDIS_URL: gw.config.REDIS_URL, REDIS_PREFIX: gw.config.REDIS_PREFIX, ...clusterEnv };

      const unset = await cli(["settings", "get", gw.apiKey], shell);
      expect(unset.code).toBe(2);
      expect(unset.out).toBe("");
      expect(unset.err.split("\n")).toHaveLength(1);
      expect(unset.err).toMatch(/^MASTER_KEY is required in production/);

      const dev = await cli(["settings", "get", gw.apiKey], { ...shell, NODE_ENV: "development" });
      expect(dev.err).toBe("");
      expect(dev.code).toBe(0);
      expect(JSON.parse(dev.out)).toMatchObject({ NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "****" } });
    } finally {
      await gw.stop();
    }
  });
});

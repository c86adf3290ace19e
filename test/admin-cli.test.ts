import { execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdmin } from "../src/admin/run-admin.js";
import { enrollWithoutLogin, uniqueEmail } from "./support/delivery.js";
import { deletePrefix, dumpPrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { createAccount, login, useWebhook } from "./support/scenario.js";
import { WebhookReceiver } from "./support/webhook-receiver.js";

/** `npm run admin -- <command>` against a running deployment: the same Redis prefix and master key. */

const run = promisify(execFile);
let gw: TestGateway;
let receiver: WebhookReceiver;
let dir: string;

beforeAll(async () => {
  gw = await startTestGateway();
  receiver = await new WebhookReceiver("whsec-admin-cli-signing-secret").start();
  await useWebhook(gw, receiver);
  dir = await mkdtemp(join(tmpdir(), "pmg-admin-"));
});
afterAll(async () => {
  await gw.stop();
  await receiver.close();
  await deletePrefix(gw.config.REDIS_PREFIX);
  await rm(dir, { recursive: true, force: true });
});

/** The environment an operator's shell has: the deployment's mode, Redis, prefix, master key and webhook policy. */
const adminEnv = (extra: Record<string, string> = {}) => ({
  NODE_ENV: "production",
  REDIS_URL: gw.config.REDIS_URL,
  REDIS_PREFIX: gw.config.REDIS_PREFIX,
  MASTER_KEY: gw.config.MASTER_KEY!,
  ALLOW_PRIVATE_WEBHOOKS: String(gw.config.ALLOW_PRIVATE_WEBHOOKS),
  ...extra,
});

async function admin(argv: string[], o: { env?: Record<string, string>; stdin?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdmin(argv, adminEnv(o.env), {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stdin: async () => o.stdin ?? "",
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const asApp = (apiKey: string, apiSecret: string) => ({ "X-LoginRadius-ApiKey": apiKey, "X-LoginRadius-ApiSecret": apiSecret });
const settingsOf = (headers: Record<string, string>) => call(gw.url, "GET", "/v2/manage/2fa/push-notification-settings", { headers });
const auditOf = async (apiKey: string, apiSecret: string) =>
  ((await call(gw.url, "GET", "/v2/manage/push/audit", { headers: asApp(apiKey, apiSecret) })).body as { Data: Array<{ type: string; uid?: string; detail?: string }> }).Data;

async function jsonFile(name: string, body: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof body === "string" ? body : JSON.stringify(body));
  return path;
}

describe("admin CLI: help and usage", () => {
  it("--help lists every command and exits 0; each command has its own --help", async () => {
    const top = await admin(["--help"]);
    expect(top.code).toBe(0);
    for (const c of ["create-app", "rotate-secret", "settings get", "settings set", "devices", "unlock", "dead-letters list", "dead-letters retry"]) {
      expect(top.out).toContain(c);
      const one = await admin([...c.split(" "), "--help"]);
      expect(one, c).toMatchObject({ code: 0, err: "" });
      expect(one.out).toContain(`usage: npm run admin -- ${c}`);
    }
    expect(await admin(["settings", "--help"])).toMatchObject({ code: 0 });
  });

  it("answers a usage error with exit 2 and the synopsis on stderr, before touching anything", async () => {
    for (const argv of [[], ["frobnicate"], ["rotate-secret"], ["rotate-secret", "not-a-guid"], ["devices", randomUUID()], ["create-app", "--bogus"], ["dead-letters", "list", "--limit", "0"]]) {
      const r = await admin(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.out, argv.join(" ")).toBe("");
      expect(r.err, argv.join(" ")).toMatch(/usage/);
    }
  });

  it("names a bad configuration (exit 2) and an unreachable Redis (exit 1) in one line", async () => {
    const bad = await admin(["settings", "get", gw.apiKey], { env: { REDIS_PREFIX: "bad prefix" } });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/REDIS_PREFIX/);
    const down = await admin(["settings", "get", gw.apiKey], { env: { REDIS_URL: "redis://127.0.0.1:6399" } });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^admin: cannot reach Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:6399/);
  });
});

describe("admin CLI: apps", () => {
  it("create-app prints the apikey and the secret once; the secret works on L10 and is not stored in clear", async () => {
    const r = await admin(["create-app", "--name", "Acme Staging", "--json"]);
    expect(r.code).toBe(0);
    const created = JSON.parse(r.out) as { ApiKey: string; ApiSecret: string; Name: string };
    expect(created).toMatchObject({ Name: "Acme Staging" });
    expect(r.err).toMatch(/shown only this once/);
    const res = await settingsOf(asApp(created.ApiKey, created.ApiSecret));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ IsEnabled: false });
    expect(await dumpPrefix(gw.config.REDIS_PREFIX)).not.toContain(created.ApiSecret);

    const human = await admin(["create-app"]);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/apikey: +[0-9a-f-]{36}\n +apisecret: +\S{20,}/);
  });

  it("rotate-secret replaces the secret at once; an unknown apikey exits 1", async () => {
    const created = JSON.parse((await admin(["create-app", "--json"])).out) as { ApiKey: string; ApiSecret: string };
    const r = await admin(["rotate-secret", created.ApiKey]);
    expect(r.code).toBe(0);
    const secret = /^apisecret: (\S+)$/.exec(r.out)![1]!;
    expect(secret).not.toBe(created.ApiSecret);
    expect((await settingsOf(asApp(created.ApiKey, created.ApiSecret))).body).toMatchObject({ ErrorCode: 902 });
    expect((await settingsOf(asApp(created.ApiKey, secret))).status).toBe(200);

    const unknown = await admin(["rotate-secret", randomUUID()]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no app with apikey/);
  });
});

describe("admin CLI: settings", () => {
  it("settings set validates like L10 PUT, saves, prints the result masked and records the change", async () => {
    const created = JSON.parse((await admin(["create-app", "--json"])).out) as { ApiKey: string; ApiSecret: string };
    const file = await jsonFile("native.json", {
      IsEnabled: true,
      CustomAppName: "Acme Authenticator",
      NotificationService: "Native",
      NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "whsec-from-the-cli-0123456789" },
      NumberMatching: "PickOne",
    });
    const r = await admin(["settings", "set", created.ApiKey, file]);
    expect(r.code).toBe(0);
    const saved = JSON.parse(r.out) as Record<string, Record<string, unknown>>;
    expect(saved.NativeSettings).toEqual({ WebhookUrl: "https://push.example.com/send", SigningSecret: "****" });
    expect(r.out).not.toContain("whsec-from-the-cli");

    // The gateway reads what the CLI wrote (sealed with the same master key), masked as well.
    const res = await settingsOf(asApp(created.ApiKey, created.ApiSecret));
    expect(res.body).toMatchObject({ IsEnabled: true, NumberMatching: "PickOne", NativeSettings: { SigningSecret: "****" } });
    const got = await admin(["settings", "get", created.ApiKey]);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out)).toEqual(res.body);
    expect((await auditOf(created.ApiKey, created.ApiSecret)).some((e) => e.type === "settings.changed" && /admin CLI/.test(e.detail ?? ""))).toBe(true);

    // A masked secret sent back keeps the stored one, as with L10.
    const masked = await admin(["settings", "set", created.ApiKey, "-"], { stdin: JSON.stringify({ ...JSON.parse(got.out), CustomAppName: "Renamed" }) });
    expect(masked.code).toBe(0);
    const app = (await gw.services.apps.get(created.ApiKey))!;
    expect((await gw.services.settings.get(app.apiKey, app.name)).NativeSettings.SigningSecret).toBe("whsec-from-the-cli-0123456789");
  });

  it("a refused file lists every bad field on stderr, exits 1 and changes nothing", async () => {
    const before = await admin(["settings", "get", gw.apiKey]);
    const file = await jsonFile("bad.json", { NotificationService: "Carrier pigeon", ChallengeTtlSeconds: 1, NativeSettings: { WebhookUrl: "not a url" } });
    const r = await admin(["settings", "set", gw.apiKey, file]);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/settings refused \(965/);
    expect(r.err).toMatch(/NotificationService/);
    expect(r.err).toMatch(/ChallengeTtlSeconds/);
    expect((await admin(["settings", "get", gw.apiKey])).out).toBe(before.out);

    // The SSRF guard applies as on L10: this CLI's environment refuses private webhooks.
    const loopback = await jsonFile("loopback.json", { NativeSettings: { WebhookUrl: "http://127.0.0.1:9/push" } });
    const guarded = await admin(["settings", "set", gw.apiKey, loopback], { env: { ALLOW_PRIVATE_WEBHOOKS: "false" } });
    expect(guarded.code).toBe(1);
    expect(guarded.err).toMatch(/NativeSettings\.WebhookUrl must not point at a private or loopback address\./);

    expect(await admin(["settings", "set", gw.apiKey, await jsonFile("broken.json", "{ nope")])).toMatchObject({ code: 1, err: expect.stringMatching(/is not JSON/) });
    expect(await admin(["settings", "set", gw.apiKey, join(dir, "missing.json")])).toMatchObject({ code: 1, err: expect.stringMatching(/cannot read .*ENOENT/) });
    expect(await admin(["settings", "get", randomUUID()])).toMatchObject({ code: 1, err: expect.stringMatching(/no app with apikey/) });
  });

  it("with another master key, says so instead of printing garbage", async () => {
    const r = await admin(["settings", "get", gw.apiKey], { env: { MASTER_KEY: randomBytes(32).toString("base64") } });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/MASTER_KEY/);
  });
});

describe("admin CLI: users", () => {
  it("devices lists a user's devices by email or uid, without key material or push token", async () => {
    const e = await enrollWithoutLogin(gw);
    const byEmail = await admin(["devices", gw.apiKey, e.email]);
    expect(byEmail.code).toBe(0);
    expect(byEmail.out).toContain(e.device.id);
    expect(byEmail.out).toMatch(/android {2}active/);
    const json = JSON.parse((await admin(["devices", gw.apiKey, e.uid, "--json"])).out) as unknown[];
    expect(json).toEqual([{ Id: e.device.id, Name: "Test phone", Type: "android", IsActive: true, CreatedDate: e.device.createdAt }]);
    expect(JSON.stringify(json)).not.toContain(e.phone.deviceToken);

    const { Uid } = await createAccount(gw, uniqueEmail("nodev"));
    expect((await admin(["devices", gw.apiKey, Uid])).out).toMatch(/has no push device/);
    expect(await admin(["devices", gw.apiKey, "nobody@example.com"])).toMatchObject({ code: 1, err: expect.stringMatching(/no user "nobody@example.com"/) });
  });

  it("unlock lifts a 'not me' lock and a wrong-password lockout, and the audit trail says who", async () => {
    const e = await enrollWithoutLogin(gw);
    const first = await login(gw, e.email);
    expect(first.status).toBe(200);
    const [push] = (await receiver.waitFor(receiver.pushes.length + 1)).slice(-1);
    expect((await e.phone.answer(gw.url, gw.apiKey, push!.data.secondfactorauthenticationtoken!, "No", { reason: "fraud" })).status).toBe(200);
    expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1198 });

    const r = await admin(["unlock", gw.apiKey, e.email]);
    expect(r).toMatchObject({ code: 0, out: `unlocked user ${e.uid}` });
    expect((await login(gw, e.email)).status).toBe(200);
    expect((await auditOf(gw.apiKey, gw.apiSecret)).some((ev) => ev.type === "user.unlocked" && ev.uid === e.uid && ev.detail === "by an admin (CLI)")).toBe(true);
    expect(await admin(["unlock", gw.apiKey, e.uid])).toMatchObject({ code: 0, out: `user ${e.uid} was not locked` });

    for (let i = 0; i < gw.config.LOGIN_MAX_FAILURES; i++) await login(gw, e.email, "wrong password");
    expect((await login(gw, e.email)).body).toMatchObject({ ErrorCode: 1198 });
    expect((await admin(["unlock", gw.apiKey, e.uid])).code).toBe(0);
    expect((await login(gw, e.email)).status).toBe(200);
  });
});

describe("admin CLI: the real process", () => {
  it("npm run admin's entry point exits with the command's code and keeps results on stdout, errors on stderr", async () => {
    const env = { PATH: process.env.PATH ?? "", ...adminEnv() };
    const ok = await run(process.execPath, ["--import", "tsx", "src/admin/cli.ts", "settings", "get", gw.apiKey], { env });
    expect(JSON.parse(ok.stdout)).toMatchObject({ IsEnabled: true, NativeSettings: { SigningSecret: "****" } });

    const usage = await run(process.execPath, ["--import", "tsx", "src/admin/cli.ts", "unlock"], { env }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(usage).toMatchObject({ code: 2, stdout: "" });
    expect((usage as { stderr: string }).stderr).toMatch(/usage: npm run admin -- unlock/);

    // settings set from stdin (-), through a pipe.
    const child = spawn(process.execPath, ["--import", "tsx", "src/admin/cli.ts", "settings", "set", gw.apiKey, "-"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.end(JSON.stringify({ ChallengeTtlSeconds: 90 }));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ChallengeTtlSeconds: 90 });
  });
});

import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { Arrivals } from "./support/arrivals.js";
import { deletePrefix, testPrefix } from "./support/gateway.js";

/**
 * The README's first command, as a newcomer runs it: `npm start` is `NODE_ENV=development tsx bin/main.ts all`
 * (test/production-defaults.test.ts runs the script itself).
 */

const prefix = testPrefix();
afterAll(() => deletePrefix(prefix));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/main.ts", "all"], {
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NODE_ENV: "development", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let gone = false;
  // Woken by each chunk of output and by the exit, so a wait ends on what it waits for (or on the exit).
  const arrivals = new Arrivals();
  const append = (d: Buffer) => {
    out += d.toString();
    arrivals.arrived();
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      gone = true;
      arrivals.arrived();
      resolve(code);
    }),
  );
  const waitFor = async (re: RegExp, timeoutMs = 20_000) => {
    await arrivals.until(() => re.test(out) || gone, timeoutMs, () => `never saw ${re}:\n${out}`);
    const m = re.exec(out);
    if (!m) throw new Error(`exited before printing ${re}:\n${out}`);
    return m;
  };
  return { child, exited, waitFor, output: () => out };
}

/** The demo app's credentials as `npm start` prints them. */
async function printedCredentials(p: ReturnType<typeof start>): Promise<{ apiKey: string; apiSecret: string }> {
  const [, apiKey] = await p.waitFor(/apikey:\s+([0-9a-f-]{36})/);
  const [, apiSecret] = await p.waitFor(/apisecret:\s+(\S+)/);
  return { apiKey: apiKey!, apiSecret: apiSecret! };
}

/** The start banner's first URL, "Start here  http://localhost:<port>/": the port the gateway bound. */
const BANNER_PORT = /Start here\s+http:\/\/localhost:(\d+)\//;

describe("npm start", () => {
  it("runs with zero configuration: prints the demo app's credentials, serves health, stops on SIGTERM", async () => {
    const p = start({ REDIS_PREFIX: prefix, PORT: "0" });
    const [, port] = await p.waitFor(BANNER_PORT);
    const { apiKey } = await printedCredentials(p);
    expect(p.output()).toMatch(/MASTER_KEY is not set/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toMatchObject({ Status: "ready" });
    const ping = await fetch(`http://127.0.0.1:${port}/login/2fa/push/ping?apikey=${apiKey}&secondfactorauthenticationtoken=b1fbbba5-2a5e-41a2-96da-c216df36e6f4`);
    expect(await ping.json()).toMatchObject({ ErrorCode: 1103 });
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("prints the same demo credentials on the next start, and they work on a management call", async () => {
    // A prefix of its own, so this test does not depend on the one above having run first.
    const own = testPrefix();
    try {
      const first = start({ REDIS_PREFIX: own, PORT: "0" });
      const printed = await printedCredentials(first);
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);

      const next = start({ REDIS_PREFIX: own, PORT: "0" });
      const [, port] = await next.waitFor(BANNER_PORT);
      expect(await printedCredentials(next)).toEqual(printed);
      const settings = await fetch(`http://127.0.0.1:${port}/v2/manage/2fa/push-notification-settings`, {
        headers: { "X-LoginRadius-ApiKey": printed.apiKey, "X-LoginRadius-ApiSecret": printed.apiSecret },
      });
      expect(settings.status).toBe(200);
      next.child.kill("SIGTERM");
      expect(await next.exited).toBe(0);
    } finally {
      await deletePrefix(own);
    }
  });

  it("the banner lists every URL, each answering; the logs are readable lines, not JSON", async () => {
    const own = testPrefix();
    try {
      const p = start({ REDIS_PREFIX: own, PORT: "0" });
      const [, port] = await p.waitFor(BANNER_PORT);
      const base = `http://localhost:${port}`;
      for (const [name, path] of [["Demo login", "/demo/"], ["Authenticator", "/authenticator/"], ["Console", "/console"], ["API reference", "/docs"], ["Health", "/healthz"], ["Metrics", "/metrics"]] as const) {
        expect(p.output()).toMatch(new RegExp(`${name}\\s+${base}${path}(\\s|$)`, "m"));
        expect((await fetch(`http://127.0.0.1:${port}${path}`)).status, path).toBe(200);
      }
      expect(p.output()).toContain(`${base}/openapi.json`);
      await p.waitFor(/push-mfa-gateway listening/);
      const listening = p.output().split("\n").find((l) => l.includes("push-mfa-gateway listening"))!;
      expect(listening.trim().startsWith("{")).toBe(false);
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      await deletePrefix(own);
    }
  });

  it("without Redis, exits with one clear line naming REDIS_URL and no stack trace", async () => {
    const p = start({ REDIS_PREFIX: prefix, PORT: "0", REDIS_URL: "redis://127.0.0.1:6399" });
    expect(await p.exited).toBe(1);
    const lines = p.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot reach Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:6399/);
    expect(p.output()).not.toMatch(/\n\s+at /);
  });

  it("names every bad variable and exits 1", async () => {
    const p = start({ PORT: "eighty", REDIS_PREFIX: "bad prefix" });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/PORT/);
    expect(p.output()).toMatch(/REDIS_PREFIX/);
  });
});

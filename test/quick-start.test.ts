import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { deletePrefix, testPrefix } from "./support/gateway.js";

/**
 * The README's first command, as a newcomer runs it: `npm start` is `NODE_ENV=development tsx src/main.ts all`
 * (test/production-defaults.test.ts runs the script itself).
 */

const prefix = testPrefix();
afterAll(() => deletePrefix(prefix));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "all"], {
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NODE_ENV: "development", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = async (re: RegExp, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`never saw ${re}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return re.exec(out)!;
  };
  return { child, exited, waitFor, output: () => out };
}

describe("npm start", () => {
  it("runs with zero configuration: prints the demo app's credentials, serves health, stops on SIGTERM", async () => {
    const p = start({ REDIS_PREFIX: prefix, PORT: "0" });
    const [, port] = await p.waitFor(/"port":(\d+)/);
    const [, apiKey] = await p.waitFor(/apikey:\s+([0-9a-f-]{36})/);
    await p.waitFor(/apisecret:\s+(\S+)/);
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

  it("prints the same demo credentials on the next start", async () => {
    const p = start({ REDIS_PREFIX: prefix, PORT: "0" });
    await p.waitFor(/apisecret:\s+(\S+)/);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
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

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { TEST_MASTER_KEY, testPrefix } from "./gateway.js";

/**
 * A gateway or worker exactly as operators run it (`npm run gateway` / `npm run worker`: `tsx bin/main.ts <role>`),
 * as a child process of the test: fault tests kill it with SIGKILL, start another, and watch what pages and
 * pollers observe. Its default rate limits apply.
 */
export interface NodeProcess {
  role: "gateway" | "worker";
  pid: number;
  /** The gateway's port (0 for a worker). */
  port: number;
  /** `http://127.0.0.1:<port>` for a gateway. */
  url: string;
  child: ChildProcess;
  /** Everything it printed (JSON log lines). */
  output(): string;
  exited: Promise<number | null>;
  /** Whether it still runs. */
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM and wait for the exit (a no-op when it already exited). */
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL("../..", import.meta.url));

/** One deployment's environment: its Redis, prefix, master key and bootstrap app. */
export interface Deployment {
  env: Record<string, string>;
  prefix: string;
  apiKey: string;
  apiSecret: string;
}

export function deployment(redisUrl: string, extra: Record<string, string> = {}): Deployment {
  const prefix = testPrefix();
  const apiKey = randomUUID();
  const apiSecret = randomBytes(24).toString("base64url");
  return {
    prefix,
    apiKey,
    apiSecret,
    env: {
      // As operators run it: production, with a MASTER_KEY (private webhooks allowed for the tests' receivers).
      NODE_ENV: "production",
      PORT: "0",
      HOST: "127.0.0.1",
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      MASTER_KEY: TEST_MASTER_KEY,
      BOOTSTRAP_API_KEY: apiKey,
      BOOTSTRAP_API_SECRET: apiSecret,
      ALLOW_PRIVATE_WEBHOOKS: "true",
      LOG_LEVEL: "info",
      PUSH_RATE_PER_APP: "0",
      PUSH_BACKOFF_MS: "200",
      ...extra,
    },
  };
}

export async function startNode(role: "gateway" | "worker", env: Record<string, string>, timeoutMs = 20_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/main.ts", role], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = role === "gateway" ? /"port":(\d+)[^\n]*push-mfa-gateway listening/ : /push-mfa-gateway worker running/;
  const deadline = Date.now() + timeoutMs;
  let match: RegExpExecArray | null;
  while (!(match = ready.exec(out))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${role} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = role === "gateway" ? Number(match[1]) : 0;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    role,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    exited,
    alive,
    kill: (signal) => child.kill(signal),
    async stop() {
      if (!alive()) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

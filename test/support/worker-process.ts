import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestGateway } from "./gateway.js";

/**
 * A push worker in a process of its own (`node --import tsx` running this file), as `npm run worker` runs in
 * production: a worker-only runtime on the same Redis prefix as the test's gateway. Tests scale out with two of
 * them, kill one with SIGKILL mid-send, or stop one with SIGTERM and watch it finish its job.
 *
 * The child writes one JSON line to stdout when its workers are ready ({"ready":…,"name":…}), one when SIGTERM
 * starts its shutdown ({"closing":true}), and its logs to stderr.
 */

const self = fileURLToPath(import.meta.url);

export interface WorkerProcess {
  pid: number;
  /** The BullMQ worker name, as jobs record it in `processedBy`. */
  name: string;
  child: ChildProcess;
  /** stderr lines (logs), for failure messages. */
  logs: string[];
  /** Resolves once the child logged that SIGTERM started its shutdown. */
  closing: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** The environment a worker process of this gateway's deployment needs (same prefix, key and app). */
export function workerEnv(gw: TestGateway, extra: Record<string, string> = {}): Record<string, string> {
  const c = gw.config;
  const env: Record<string, string> = {
    // The gateway's mode, so both processes of the deployment agree on its defaults.
    NODE_ENV: c.NODE_ENV,
    REDIS_URL: c.REDIS_URL,
    REDIS_CLUSTER: c.REDIS_CLUSTER ? "1" : "0",
    REDIS_PREFIX: c.REDIS_PREFIX,
    BOOTSTRAP_API_KEY: gw.apiKey,
    BOOTSTRAP_API_SECRET: gw.apiSecret,
    ALLOW_PRIVATE_WEBHOOKS: String(c.ALLOW_PRIVATE_WEBHOOKS),
    LOG_LEVEL: "info",
    PUSH_ATTEMPTS: String(c.PUSH_ATTEMPTS),
    PUSH_BACKOFF_MS: String(c.PUSH_BACKOFF_MS),
    PUSH_RATE_PER_APP: String(c.PUSH_RATE_PER_APP),
    WORKER_LOCK_MS: String(c.WORKER_LOCK_MS),
    WORKER_CONCURRENCY: String(c.WORKER_CONCURRENCY),
    ...(c.MASTER_KEY && { MASTER_KEY: c.MASTER_KEY }),
    ...(c.SNS_ENDPOINT && { SNS_ENDPOINT: c.SNS_ENDPOINT }),
    ...extra,
  };
  return env;
}

/** Start a worker process and wait (bounded) until its workers take jobs. */
export async function startWorkerProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", self], {
    env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", WORKER_PROCESS_CHILD: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let markClosing!: () => void;
  const closing = new Promise<void>((r) => (markClosing = r));
  const ready = new Promise<{ name: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready after ${timeoutMs} ms:\n${logs.join("")}`)), timeoutMs);
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const msg = JSON.parse(line) as { ready?: boolean; name?: string; closing?: boolean };
          if (msg.ready && msg.name) {
            clearTimeout(timer);
            resolve({ name: msg.name });
          }
          if (msg.closing) markClosing();
        } catch {
          /* not a protocol line */
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code}) before it was ready:\n${logs.join("")}`));
    });
  });
  child.stderr!.on("data", (chunk: Buffer) => logs.push(chunk.toString("utf8")));
  const { name } = await ready;
  return { pid: child.pid!, name, child, logs, closing, exited, kill: (signal) => child.kill(signal) };
}

/** The child's side: a worker-only runtime, stopped gracefully on SIGTERM. */
async function runChild(): Promise<void> {
  const { loadConfig } = await import("../../src/config.js");
  const { createLogger } = await import("../../src/logger.js");
  const { startRuntime } = await import("../../src/runtime/start-runtime.js");
  const { workerRole } = await import("../../workers/worker-role.js");
  const config = loadConfig(process.env);
  const runtime = await startRuntime(config, { gateway: false, worker: workerRole(), logger: createLogger(config.LOG_LEVEL, process.stderr) });
  const workers = runtime.workers!;
  await Promise.all([workers.push.waitUntilReady(), workers.expiry.waitUntilReady()]);
  process.stdout.write(`${JSON.stringify({ ready: true, name: workers.push.opts.name, pid: process.pid })}\n`);
  process.once("SIGTERM", () => {
    process.stdout.write(`${JSON.stringify({ closing: true })}\n`);
    runtime.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

if (process.env.WORKER_PROCESS_CHILD === "1" && process.argv[1] === self) {
  await runChild();
}

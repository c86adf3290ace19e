import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * A gateway node in a process of its own for the reconnect-storm test, started with `--expose-gc` so the test can
 * ask for its memory after a full collection (IPC `{ cmd: "memory" }`), and for its socket count. Configured from
 * the environment like `npm run gateway`, except the per-IP limits (the test's sockets all come from 127.0.0.1):
 * what refuses the storm is the per-node admission (SOCKET_HANDSHAKES_PER_SECOND).
 */

const self = fileURLToPath(import.meta.url);

export interface NodeMemory {
  heapUsed: number;
  rss: number;
  sockets: number;
}

export interface StormNode {
  url: string;
  child: ChildProcess;
  logs: string[];
  /** Heap and RSS after a forced full GC, and the sockets connected now. */
  memory(): Promise<NodeMemory>;
  stop(): Promise<void>;
}

type Message = { ready: true; port: number } | ({ memory: true } & NodeMemory);

export async function startStormNode(env: Record<string, string>, timeoutMs = 30_000): Promise<StormNode> {
  const child = fork(self, [], {
    execArgv: ["--import", "tsx", "--expose-gc"],
    env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", STORM_NODE_CHILD: "1", ...env },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  const logs: string[] = [];
  child.stderr!.on("data", (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`storm node not ready:\n${logs.join("")}`)), timeoutMs);
    child.on("message", (m: Message) => {
      if ("ready" in m) {
        clearTimeout(timer);
        resolve(m.port);
      }
    });
    void exited.then(() => reject(new Error(`storm node exited:\n${logs.join("")}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    logs,
    memory: () =>
      new Promise<NodeMemory>((resolve) => {
        const onMessage = (m: Message) => {
          if (!("memory" in m)) return;
          child.off("message", onMessage);
          resolve({ heapUsed: m.heapUsed, rss: m.rss, sockets: m.sockets });
        };
        child.on("message", onMessage);
        child.send({ cmd: "memory" });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function runChild(): Promise<void> {
  const { loadConfig } = await import("../../src/config.js");
  const { createLogger } = await import("../../src/logger.js");
  const { startRuntime } = await import("../../src/runtime/start-runtime.js");
  const { relaxedLimits } = await import("./gateway.js");
  const config = loadConfig(process.env);
  const runtime = await startRuntime(config, {
    gateway: true,
    logger: createLogger(config.LOG_LEVEL, process.stderr),
    rateLimits: relaxedLimits,
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on("message", (m: { cmd?: string }) => {
    if (m.cmd !== "memory") return;
    // Several passes, with turns of the event loop between them, so weak references and finalizers settle.
    void (async () => {
      for (let i = 0; i < 4; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 50));
      }
      const { heapUsed, rss } = process.memoryUsage();
      process.send?.({ memory: true, heapUsed, rss, sockets: runtime.io?.of("/").sockets.size ?? 0 });
    })();
  });
  process.once("SIGTERM", () => {
    runtime.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.send?.({ ready: true, port: runtime.port });
}

if (process.env.STORM_NODE_CHILD === "1" && process.argv[1] === self) {
  await runChild();
}

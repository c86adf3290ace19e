import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Many waiting pages in one process of their own (so their sockets do not share the test's or the node's event
 * loop): on `storm` they all connect at once, and each one that is refused tries again after
 * `reconnectDelayMs` (web/client/reconnect-backoff.ts, the browser client's policy): never before the 429's
 * `RetryAfter`, with jitter. The child reports what it saw.
 */

const self = fileURLToPath(import.meta.url);

export interface StormStats {
  /** Sockets that are connected now. */
  connected: number;
  /** Sockets that connected at least once. */
  everConnected: number;
  /** 429 refusals, and how many of them carried the contract's 429 body with a RetryAfter of at least 1 s. */
  refused: number;
  refusedWithHint: number;
  /** Smallest (delay waited − hint) over the refusals: ≥ 0 when every hint was honoured. */
  minSlackMs: number;
  /** Refusals with another code, or transport errors, by message. */
  otherErrors: Record<string, number>;
  /** Disconnections after connecting, before `close`. */
  dropped: number;
  /** Largest number of attempts one socket needed. */
  maxAttempts: number;
  /** Milliseconds from `storm` to the last first connection. */
  allConnectedMs: number;
  /** Milliseconds from `storm` to each socket's first connection: median and 99th percentile. */
  connectP50Ms: number;
  connectP99Ms: number;
}

export interface StormClients {
  child: ChildProcess;
  /** Connect every socket at once; resolves when all are connected (or with the stats at the deadline). */
  storm(timeoutMs: number): Promise<StormStats>;
  /** Disconnect every socket; resolves once they are closed. */
  close(): Promise<void>;
  stop(): Promise<void>;
}

export interface StormClientsOptions {
  url: string;
  apikey: string;
  tokens: string[];
}

type Message = { stats: StormStats } | { closed: true } | { ready: true };

export async function startStormClients(o: StormClientsOptions): Promise<StormClients> {
  const child = fork(self, [], {
    execArgv: ["--import", "tsx"],
    env: { PATH: process.env.PATH ?? "", STORM_CLIENTS_CHILD: "1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const next = <T extends Message>(pred: (m: Message) => m is T) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: Message) => {
        if (!pred(m)) return;
        child.off("message", onMessage);
        resolve(m);
      };
      child.on("message", onMessage);
      void exited.then(() => reject(new Error("storm clients exited")));
    });
  const ready = next((m): m is { ready: true } => "ready" in m);
  child.send({ cmd: "init", ...o });
  await ready;
  return {
    child,
    async storm(timeoutMs) {
      const stats = next((m): m is { stats: StormStats } => "stats" in m);
      child.send({ cmd: "storm", timeoutMs });
      return (await stats).stats;
    },
    async close() {
      const closed = next((m): m is { closed: true } => "closed" in m);
      child.send({ cmd: "close" });
      await closed;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function runChild(): Promise<void> {
  const { io } = await import("socket.io-client");
  const { reconnectDelayMs, retryAfterOf } = await import("../../web/client/reconnect-backoff.js");
  type Sock = ReturnType<typeof io>;
  let o: StormClientsOptions | undefined;
  const sockets: Sock[] = [];
  let closing = false;
  const stats: StormStats = { connected: 0, everConnected: 0, refused: 0, refusedWithHint: 0, minSlackMs: Number.MAX_SAFE_INTEGER, otherErrors: {}, dropped: 0, maxAttempts: 0, allConnectedMs: 0, connectP50Ms: 0, connectP99Ms: 0 };
  const connectTimes: number[] = [];
  const other = (what: string) => (stats.otherErrors[what] = (stats.otherErrors[what] ?? 0) + 1);

  function open(token: string, started: number, onFirst: () => void): Sock {
    let attempts = 1;
    let failures = 0;
    let first = true;
    const s = io(o!.url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      timeout: 30_000,
      auth: { apikey: o!.apikey, secondfactorauthenticationtoken: token },
    });
    const retry = (ms: number) =>
      setTimeout(() => {
        if (closing) return;
        attempts++;
        stats.maxAttempts = Math.max(stats.maxAttempts, attempts);
        s.connect();
      }, ms);
    s.on("connect", () => {
      stats.connected++;
      if (first) {
        first = false;
        stats.everConnected++;
        stats.allConnectedMs = Math.max(stats.allConnectedMs, Date.now() - started);
        connectTimes.push(Date.now() - started);
        onFirst();
      }
    });
    s.on("disconnect", () => {
      stats.connected--;
      if (!closing) stats.dropped++;
    });
    s.on("connect_error", (err: Error & { data?: unknown }) => {
      if (closing) return;
      const data = err.data as { ErrorCode?: unknown; Message?: unknown } | undefined;
      if (data?.ErrorCode === 429) {
        stats.refused++;
        const hint = retryAfterOf(data);
        if (hint !== undefined && hint >= 1 && data.Message === "Too many requests in a particular time frame") stats.refusedWithHint++;
        const delay = reconnectDelayMs(failures++, { retryAfterSeconds: hint });
        stats.minSlackMs = Math.min(stats.minSlackMs, delay - (hint ?? 0) * 1000);
        retry(delay);
      } else {
        other(typeof data?.ErrorCode === "number" ? `code ${data.ErrorCode}` : err.message);
        retry(reconnectDelayMs(failures++));
      }
    });
    return s;
  }

  process.on("message", (m: { cmd: string; timeoutMs?: number } & Partial<StormClientsOptions>) => {
    if (m.cmd === "init") {
      o = { url: m.url!, apikey: m.apikey!, tokens: m.tokens! };
      process.send?.({ ready: true });
    }
    if (m.cmd === "storm") {
      const started = Date.now();
      let pending = o!.tokens.length;
      const done = () => {
        clearTimeout(timer);
        const sorted = [...connectTimes].sort((a, b) => a - b);
        stats.connectP50Ms = sorted[Math.floor(sorted.length / 2)] ?? 0;
        stats.connectP99Ms = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
        process.send?.({ stats });
      };
      const timer = setTimeout(done, m.timeoutMs ?? 45_000);
      // All at once: every socket is created in the same turn of the event loop.
      for (const token of o!.tokens) sockets.push(open(token, started, () => --pending === 0 && done()));
    }
    if (m.cmd === "close") {
      closing = true;
      for (const s of sockets.splice(0)) s.disconnect();
      setTimeout(() => process.send?.({ closed: true }), 200);
    }
  });
  process.once("SIGTERM", () => process.exit(0));
}

if (process.env.STORM_CLIENTS_CHILD === "1" && process.argv[1] === self) {
  await runChild();
}

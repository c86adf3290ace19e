import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A redis-server of a test's own, as a child process on a free loopback port (never the shared 6379): fault tests
 * stop it, kill it, restart it, or turn it into a replica. Without persistence by default (`--save "" --appendonly
 * no`), so a restart loses everything; with `persistence: "aof"` every write is fsynced to an append-only file
 * in its own temporary directory, so a restart keeps everything acknowledged.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Its working directory (AOF files), removed by `stop`. */
  readonly dir: string;
  /** Its log, for failure messages. */
  readonly log: string[];
  /** Whether the process runs. */
  readonly running: boolean;
  /** One command through a fresh connection (RESP), answered as text; errors reject. */
  command(...args: string[]): Promise<string>;
  /** SIGKILL, as a crash or an OOM kill: no final save, connections reset. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers, as a hung server or a silent network partition. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Start it again on the same port and directory (after `kill`). */
  restart(): Promise<void>;
  /** Kill it and remove its directory. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** @default "none" */
  persistence?: "none" | "aof";
  /** Extra redis-server arguments. */
  args?: string[];
  /** @default a free port */
  port?: number;
}

/** A free TCP port on 127.0.0.1 (bound and released; a race with another process is retried by the caller). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export async function startRedisServer(o: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "pmg-redis-"));
  const log: string[] = [];
  let port = o.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const persistence = o.persistence === "aof"
    ? ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    : ["--appendonly", "no", "--save", ""];

  async function launch(): Promise<void> {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no", "--logfile", "", ...persistence, ...(o.args ?? [])];
    const c = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    c.stdout!.on("data", (d: Buffer) => log.push(d.toString()));
    c.stderr!.on("data", (d: Buffer) => log.push(d.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`redis-server on ${port} exited (${c.exitCode}):\n${log.join("")}`);
      // PING answers once the server accepts commands; LOADING (replaying the AOF) means not yet.
      const pong = await command("PING").catch(() => "");
      if (pong === "PONG") return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING:\n${log.join("")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function command(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      let buffered = "";
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`redis ${port}: no answer to ${args[0]}`));
      }, 5000);
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on("data", (d: Buffer) => {
        buffered += d.toString("utf8");
        const reply = parseReply(buffered);
        if (reply === undefined) return;
        clearTimeout(timer);
        socket.destroy();
        if (reply.error) reject(new Error(reply.value));
        else resolve(reply.value);
      });
      socket.connect(port, "127.0.0.1", () => {
        socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
      });
    });
  }

  async function kill(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || (c.signalCode !== null && c.signalCode !== "SIGSTOP")) return;
    const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill("SIGKILL");
    await exited;
  }

  try {
    await launch();
  } catch (err) {
    // Another process took the port between freePort() and the bind: one more try on a new port.
    if (o.port !== undefined) throw err;
    await kill();
    port = await freePort();
    await launch();
  }

  return {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    dir,
    log,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    command,
    kill,
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first complete RESP reply in `text` (simple, error, integer, bulk, or an array of those, flattened). */
function parseReply(text: string): { error: boolean; value: string } | undefined {
  const parsed = parseAt(text, 0);
  return parsed ? { error: parsed.error, value: parsed.value } : undefined;
}

function parseAt(text: string, at: number): { error: boolean; value: string; next: number } | undefined {
  const eol = text.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const type = text[at];
  const head = text.slice(at + 1, eol);
  if (type === "+" || type === ":") return { error: false, value: head, next: eol + 2 };
  if (type === "-") return { error: true, value: head, next: eol + 2 };
  if (type === "$") {
    const n = Number(head);
    if (n < 0) return { error: false, value: "", next: eol + 2 };
    // Byte length: replies here are ASCII (INFO, OK, PONG), where bytes and characters agree.
    if (text.length < eol + 2 + n + 2) return undefined;
    return { error: false, value: text.slice(eol + 2, eol + 2 + n), next: eol + 2 + n + 2 };
  }
  if (type === "*") {
    const n = Number(head);
    const items: string[] = [];
    let next = eol + 2;
    for (let i = 0; i < n; i++) {
      const item = parseAt(text, next);
      if (!item) return undefined;
      items.push(item.value);
      next = item.next;
    }
    return { error: false, value: items.join("\n"), next };
  }
  return { error: true, value: `unexpected reply ${JSON.stringify(text.slice(at, at + 20))}`, next: text.length };
}

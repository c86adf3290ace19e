import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, closeSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Parent side of the bench's process model: every gateway, bare baseline server and load generator runs in a
 * process of its own (`node --import tsx bench/<role>.ts`), so each one's CPU and memory can be measured alone
 * and a load generator never steals the event loop of what it measures. Parent and child talk over Node's IPC
 * channel: the child says `ready`, answers `call`s, and may send events (progress).
 */

export const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));
export const LOG_DIR = join(tmpdir(), "push-mfa-bench");

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface ChildOptions {
  /** A short name for logs and errors ("gateway-A"). */
  name: string;
  /** The module to run, relative to bench/ ("nodes/gateway-node.ts"). */
  module: string;
  args?: string[];
  /** The child's whole environment besides PATH (nothing else leaks in from the parent). */
  env?: Record<string, string>;
  /** Extra node flags (--expose-gc, --cpu-prof …). */
  nodeFlags?: string[];
  /** Raise the open-file limit to the hard limit before starting (many sockets). */
  raiseFileLimit?: boolean;
  readyTimeoutMs?: number;
}

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** What the child sent with its `ready` message. */
  info: Record<string, unknown>;
  /** Where its stdout and stderr go. */
  logFile: string;
  call<T = unknown>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  on(event: string, fn: (data: unknown) => void): void;
  /** Ask it to stop (graceful: profiles get written), then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kill every child still running (the bench's SIGINT handler and its last resort). */
export function killAllChildren(): void {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
}

function lastLines(file: string, n = 30): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-n).join("\n");
  } catch {
    return "";
  }
}

export async function startChild(o: ChildOptions): Promise<Child> {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${o.name}-${Date.now()}.log`);
  const fd = openSync(logFile, "a");
  const script = join(BENCH_DIR, o.module);
  const nodeArgs = ["--import", "tsx", ...(o.nodeFlags ?? []), script, ...(o.args ?? [])];
  const env = {
    PATH: process.env.PATH ?? "",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...(process.env.TSX_TSCONFIG_PATH && { TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH }),
    ...o.env,
  };
  // `sh -c 'ulimit …; exec node …'` keeps the IPC channel: the fd and NODE_CHANNEL_FD survive the exec.
  const proc = o.raiseFileLimit
    ? spawn("/bin/sh", ["-c", 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...nodeArgs], {
        env,
        cwd: join(BENCH_DIR, ".."),
        stdio: ["ignore", fd, fd, "ipc"],
      })
    : spawn(process.execPath, nodeArgs, { env, cwd: join(BENCH_DIR, ".."), stdio: ["ignore", fd, fd, "ipc"] });
  closeSync(fd);
  running.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );

  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined }>();
  const listeners = new Map<string, Array<(data: unknown) => void>>();
  let markReady!: (info: Record<string, unknown>) => void;
  const ready = new Promise<Record<string, unknown>>((resolve) => (markReady = resolve));

  proc.on("message", (raw: unknown) => {
    const m = raw as { ready?: Record<string, unknown>; event?: string; data?: unknown } & Partial<Reply>;
    if (m.ready) return markReady(m.ready);
    if (m.event) {
      for (const fn of listeners.get(m.event) ?? []) fn(m.data);
      return;
    }
    if (typeof m.id === "number") {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (p.timer) clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${o.name}: ${m.error ?? "failed"}`));
    }
  });
  void exited.then((code) => {
    const err = new Error(`${o.name} exited (${code}); last log lines:\n${lastLines(logFile)}`);
    for (const p of pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    pending.clear();
  });

  const timeoutMs = o.readyTimeoutMs ?? 60_000;
  const info = await Promise.race([
    ready,
    exited.then((code) => {
      throw new Error(`${o.name} exited (${code}) before it was ready; log ${logFile}:\n${lastLines(logFile)}`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${o.name} not ready after ${timeoutMs} ms; log ${logFile}:\n${lastLines(logFile)}`)), timeoutMs).unref(),
    ),
  ]).catch((err: unknown) => {
    proc.kill("SIGKILL");
    throw err;
  });

  const child: Child = {
    name: o.name,
    pid: proc.pid!,
    proc,
    info,
    logFile,
    call<T>(cmd: string, args?: unknown, callTimeoutMs = 15 * 60_000): Promise<T> {
      if (proc.exitCode !== null || !proc.connected) return Promise.reject(new Error(`${o.name} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${o.name}: ${cmd} timed out after ${callTimeoutMs} ms`));
        }, callTimeoutMs);
        timer.unref();
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        proc.send({ id, cmd, args });
      });
    },
    on(event, fn) {
      listeners.set(event, [...(listeners.get(event) ?? []), fn]);
    },
    async stop(stopTimeoutMs = 20_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const timer = setTimeout(() => proc.kill("SIGKILL"), stopTimeoutMs);
      if (proc.connected) proc.send({ id: 0, cmd: "__stop" });
      else proc.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    },
    exited,
  };
  return child;
}

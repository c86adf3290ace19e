import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";

/**
 * Child side of bench/lib/child.ts: answer the parent's calls with `handlers`, tell it we are ready, and exit
 * when asked to stop or when the parent goes away (no orphan load generators).
 */

export type Handler = (args: never) => unknown;

export function emit(event: string, data: unknown): void {
  process.send?.({ event, data });
}

export function serve(handlers: Record<string, Handler>, readyInfo: Record<string, unknown> = {}, onStop: () => Promise<void> = async () => undefined): void {
  if (!process.send) throw new Error("this module runs as a bench child process (see bench/lib/child.ts)");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(1), 15_000);
    hard.unref();
    onStop().finally(() => {
      // process.exit() (not a kill) so that --cpu-prof writes its profile.
      process.exit(0);
    });
  };
  process.on("message", (raw: unknown) => {
    const m = raw as { id: number; cmd: string; args?: unknown };
    if (m.cmd === "__stop") return stop();
    const handler = handlers[m.cmd];
    if (!handler) {
      process.send?.({ id: m.id, ok: false, error: `unknown command ${m.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => (handler as (args: unknown) => unknown)(m.args))
      .then(
        (result) => process.send?.({ id: m.id, ok: true, result }),
        (err: unknown) => process.send?.({ id: m.id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err) }),
      );
  });
  process.on("disconnect", stop);
  process.on("SIGTERM", stop);
  process.send({ ready: { pid: process.pid, ...readyInfo } });
}

let profiler: Session | undefined;

/**
 * Common probes every node answers: its CPU time, its memory (after a full GC when --expose-gc is on), and a CPU
 * profile of a chosen window (the V8 sampling profiler through node:inspector, main thread only), so a scenario
 * profiles exactly what it measures rather than the whole life of the process.
 */
export const probes: Record<string, Handler> = {
  /** Event-loop utilisation so far: `active` ms is the main thread's busy time (libuv's pool not included). */
  elu: () => performance.eventLoopUtilization(),
  profileStart: async () => {
    profiler = new Session();
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.setSamplingInterval", { interval: 200 });
    await profiler.post("Profiler.start");
  },
  profileStop: async (a: { file: string }) => {
    if (!profiler) throw new Error("no profile running");
    const { profile } = await profiler.post("Profiler.stop");
    profiler.disconnect();
    profiler = undefined;
    mkdirSync(dirname(a.file), { recursive: true });
    writeFileSync(a.file, JSON.stringify(profile));
    return a.file;
  },
  cpu: () => process.cpuUsage(),
  mem: async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
    }
    return process.memoryUsage();
  },
};

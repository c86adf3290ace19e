import { readFileSync } from "node:fs";

/**
 * The machine's and Redis's CPU over a window, beside the processes' own: how many of the cores were busy
 * (/proc/stat) and what Redis spent (INFO cpu), so a scaling curve can be read against the cores it had.
 */

/** The aggregate `cpu` line of /proc/stat: busy and total jiffies (steal and iowait count as not busy). */
export interface CoreTimes {
  busy: number;
  total: number;
  cores: number;
}

export function coreTimes(): CoreTimes {
  const lines = readFileSync("/proc/stat", "utf8").split("\n");
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const f = lines[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3]! + f[4]! + f[7]!;
  return { busy: total - idle, total, cores: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

/** Cores busy on average between two readings (0 … cores). */
export const coresBusy = (a: CoreTimes, b: CoreTimes): number => ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * b.cores;

/** Redis's CPU so far (used_cpu_sys + used_cpu_user), in ms. */
export async function redisCpuMs(redis: { info(section: string): Promise<string> }): Promise<number> {
  const info = await redis.info("cpu");
  const read = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, "m").exec(info)?.[1] ?? Number.NaN);
  return (read("used_cpu_sys") + read("used_cpu_user")) * 1000;
}

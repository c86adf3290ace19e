import { emit } from "./serve.js";
import { sleep } from "./stats.js";

/**
 * A load process's wait for its waiting clients (sockets or held long polls) to be told: `stats()` every 250 ms,
 * with progress, until every one was told or `timeoutMs` passed; answers the last stats.
 */
export async function untilAllTold<S extends { told: number; total: number }>(stats: () => S, timeoutMs: number): Promise<S> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = stats();
    if (s.told >= s.total || Date.now() > deadline) return s;
    emit("progress", { told: s.told, of: s.total });
    await sleep(250);
  }
}

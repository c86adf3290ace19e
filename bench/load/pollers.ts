import { errorCodeOf, httpCall, keepAliveAgent } from "../lib/http.js";
import { emit, probes, serve } from "../lib/serve.js";
import { nowMs, sleep, summarize } from "../lib/stats.js";

/**
 * Legacy pages (scenario 5): each polls its L4 URL every `intervalMs` from a random phase, over a keep-alive
 * connection of its own (as a browser tab would), for `durationMs` of wall time (no poll starts after it). The
 * run starts 200 ms after the call, so the caller can read the server's CPU at the window's edges.
 */
async function run(a: { urls: string[]; intervalMs: number; durationMs: number }) {
  const agent = keepAliveAgent(a.urls.length);
  const start = nowMs() + 200;
  const end = start + a.durationMs;
  const codes: Record<string, number> = {};
  const latency: number[] = [];
  let polls = 0;
  let late = 0;
  const timer = setInterval(() => emit("progress", { polls, perSec: polls / Math.max(0.001, (nowMs() - start) / 1000) }), 3000);
  await Promise.all(
    a.urls.map(async (url) => {
      const phase = Math.random() * a.intervalMs;
      for (let k = 0; ; k++) {
        const due = start + phase + k * a.intervalMs;
        if (due >= end || nowMs() >= end) return;
        const wait = due - nowMs();
        if (wait > 0) await sleep(wait);
        // A poll more than an interval behind its schedule: the gateway cannot keep up. It is still made (a
        // browser would), but never after the window.
        else if (wait < -a.intervalMs) late++;
        const t0 = nowMs();
        const res = await httpCall(agent, url, "GET").catch((err: Error) => ({ status: 0, body: err.message }));
        latency.push(nowMs() - t0);
        polls++;
        const key = `${res.status}/${errorCodeOf(res.body) ?? ""}`;
        codes[key] = (codes[key] ?? 0) + 1;
      }
    }),
  );
  clearInterval(timer);
  agent.destroy();
  const expected = a.urls.length * Math.floor(a.durationMs / a.intervalMs);
  return { polls, expected, perSec: polls / ((nowMs() - start) / 1000), codes, late, latency: summarize(latency) };
}

serve({ ...probes, run: run as (a: never) => unknown });

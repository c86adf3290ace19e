import { errorCodeOf, httpCall, keepAliveAgent } from "../lib/http.js";
import { emit, probes, serve } from "../lib/serve.js";
import { mapLimit, nowMs, summarize } from "../lib/stats.js";

/** Scenario 6: L2 logins (first factor, scrypt included) at a fixed concurrency for a while, users in turn. */
async function run(a: { base: string; apiKey: string; emails: string[]; password: string; concurrency: number; durationMs: number }) {
  const agent = keepAliveAgent(a.concurrency);
  const url = `${a.base}/identity/v2/auth/login/2fa?apikey=${a.apiKey}`;
  const statuses: Record<string, number> = {};
  const latency: number[] = [];
  let next = 0;
  let ok = 0;
  const start = nowMs();
  const end = start + a.durationMs;
  let lastEnd = start;
  const timer = setInterval(() => emit("progress", { ok, perSec: ok / ((nowMs() - start) / 1000) }), 3000);
  await mapLimit(
    Array.from({ length: a.concurrency }, (_, i) => i),
    a.concurrency,
    async () => {
      while (nowMs() < end) {
        const email = a.emails[next++ % a.emails.length]!;
        const t0 = nowMs();
        const res = await httpCall(agent, url, "POST", { email, password: a.password }, { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0" });
        lastEnd = nowMs();
        latency.push(lastEnd - t0);
        const good = res.status === 200 && res.body.includes("SecondFactorAuthenticationToken");
        if (good) ok++;
        const key = good ? "200" : `${res.status}/${errorCodeOf(res.body) ?? ""}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
    },
  );
  clearInterval(timer);
  agent.destroy();
  const seconds = (lastEnd - start) / 1000;
  return { ok, seconds, perSec: ok / seconds, statuses, latency: summarize(latency) };
}

serve({ ...probes, run: run as (a: never) => unknown });

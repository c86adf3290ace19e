import { createAnswerKeys } from "../lib/answer-keys.js";
import { errorCodeOf, httpCall, keepAliveAgent } from "../lib/http.js";
import { emit, probes, serve } from "../lib/serve.js";
import { mapLimit, nowMs, summarize } from "../lib/stats.js";

/**
 * Phones answering (scenario 3): `loadKeys` takes the users' private keys once, `sign` makes every answer's RSA
 * signature with its user's key ahead of time (outside the measured window), `answer` PUTs them at a fixed
 * concurrency over keep-alive connections.
 */

const keys = createAnswerKeys();
const signatures = new Map<string, string>();
/** For baselines that check nothing: as long as an RSA-2048 signature in hex. */
const DUMMY_SIGNATURE = "ab".repeat(256);

/** Signatures of earlier rounds are dropped: their handles are spent. */
function sign(a: { items: Array<{ handle: string; key: number }> }) {
  signatures.clear();
  const t0 = nowMs();
  for (const i of a.items) signatures.set(i.handle, keys.sign(i.key, "Yes", i.handle));
  return { signed: a.items.length, ms: nowMs() - t0 };
}

async function answer(a: { items: Array<{ url: string; handle: string }>; concurrency: number }) {
  const agent = keepAliveAgent(a.concurrency);
  const statuses: Record<string, number> = {};
  const latency: number[] = [];
  let done = 0;
  const timer = setInterval(() => emit("progress", { answered: done, of: a.items.length }), 2000);
  const startAt = nowMs();
  await mapLimit(a.items, a.concurrency, async (item) => {
    const t0 = nowMs();
    const res = await httpCall(agent, item.url, "PUT", { verify: "Yes", signature: signatures.get(item.handle) ?? DUMMY_SIGNATURE }).catch((err: Error) => ({ status: 0, body: err.message }));
    latency.push(nowMs() - t0);
    const key = res.status === 200 ? "200" : `${res.status}/${errorCodeOf(res.body) ?? res.body.slice(0, 40)}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
    done++;
  });
  const endAt = nowMs();
  clearInterval(timer);
  agent.destroy();
  return { startAt, endAt, statuses, latency: summarize(latency) };
}

serve({ ...probes, loadKeys: keys.load as (a: never) => unknown, sign: sign as (a: never) => unknown, answer: answer as (a: never) => unknown });

import { errorCodeOf, httpCall, keepAliveAgent } from "../lib/http.js";
import { emit, probes, serve } from "../lib/serve.js";
import { untilAllTold } from "../lib/until-told.js";
import { nowMs, sleep } from "../lib/stats.js";
import type { Agent } from "node:http";

/**
 * Pages that long-poll L4 (contract 2.11, scenario `longpoll`): each holds one `wait=` request on a keep-alive
 * connection of its own and asks again at once when it answers "still pending" (as the legacy page script does
 * with `wait`), until its login is approved or `stop` is called. A 429 (a cap full) waits a second and asks again.
 */
interface Poller {
  url: string;
  inFlight: boolean;
  approvedAt: number;
  polls: number;
}

let pollers: Poller[] = [];
let agent: Agent | undefined;
let stopped = false;
const codes: Record<string, number> = {};

async function loop(p: Poller): Promise<void> {
  while (!stopped && !p.approvedAt) {
    p.inFlight = true;
    const res = await httpCall(agent!, p.url, "GET").catch((err: Error) => ({ status: 0, body: err.message }));
    p.inFlight = false;
    p.polls++;
    if (stopped) return;
    const key = `${res.status}/${errorCodeOf(res.body) ?? ""}`;
    codes[key] = (codes[key] ?? 0) + 1;
    if (res.status === 200) p.approvedAt = nowMs();
    else if (!(res.status === 403 && errorCodeOf(res.body) === 1295)) await sleep(1000);
  }
}

/** Start one long-polling page per URL (URLs carry `wait=`); returns once every first request is on its way. */
async function hold(a: { urls: string[]; concurrency: number }) {
  stopped = false;
  agent = keepAliveAgent(a.urls.length + 16);
  pollers = a.urls.map((url) => ({ url, inFlight: false, approvedAt: 0, polls: 0 }));
  // Opened in batches, as the pages of a busy site arrive, not as one SYN flood.
  for (let i = 0; i < pollers.length; i += a.concurrency) {
    for (const p of pollers.slice(i, i + a.concurrency)) void loop(p);
    await sleep(20);
    if (i % 2000 === 0) emit("progress", { started: i });
  }
  return { started: pollers.length };
}

function stats() {
  const told = pollers.filter((p) => p.approvedAt > 0);
  const at = told.map((p) => p.approvedAt);
  return {
    total: pollers.length,
    inFlight: pollers.filter((p) => p.inFlight).length,
    told: told.length,
    firstAt: at.length ? Math.min(...at) : 0,
    lastAt: at.length ? Math.max(...at) : 0,
    polls: pollers.reduce((s, p) => s + p.polls, 0),
    codes: { ...codes },
  };
}

const waitTold = (a: { timeoutMs: number }) => untilAllTold(stats, a.timeoutMs);

function stop() {
  stopped = true;
  agent?.destroy();
  agent = undefined;
  const n = pollers.length;
  pollers = [];
  for (const k of Object.keys(codes)) delete codes[k];
  return n;
}

serve({ ...probes, hold: hold as (a: never) => unknown, stats, waitTold: waitTold as (a: never) => unknown, stop });

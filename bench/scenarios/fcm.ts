import { profiled, startBenchChild, url } from "../lib/nodes.js";
import { say } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { fmt } from "../lib/stats.js";
import type { FcmServiceAccount } from "../../workers/providers/fcm.js";

interface ClientRun {
  n: number;
  failed: number;
  perSec: number;
  cpuMsPerCall: number;
}
interface Row {
  concurrency: number;
  provider: ClientRun;
  bare: ClientRun;
  ratio: number;
  delivered: number;
  tokenRequests: number;
}

const PROJECT = "bench-mfa";
/** The provider's own cost over a bare client must stay small: it is one request per push either way. */
const TARGET_RATIO = 0.8;

/**
 * 7. Pushes/s through the FCM HTTP v1 provider (createFcmProvider: cached OAuth token, contract 2.5's message,
 * FCM's answer read and classified) against the local FCM stand-in with 1 ms added latency, vs a bare node:http
 * client POSTing the same body to the same stand-in, at the same concurrency, each in a process of its own.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "fcm";
  const n = ctx.quick ? 1000 : 5000;
  const concurrencies = ctx.quick ? [50] : [50, 200];

  say(S, "starting the FCM and token endpoint stand-ins (1 ms latency) and the client process");
  const fake = ctx.res.child(await startBenchChild(`${S}-fake-fcm`, "nodes/fake-fcm-node.ts", ["1"]));
  const client = ctx.res.child(await startBenchChild(`${S}-client`, "load/fcm-provider.ts"));
  const serviceAccount = await fake.call<FcmServiceAccount>("serviceAccount", { projectId: PROJECT });
  const tokens = await fake.call<string[]>("registerDevices", { projectId: PROJECT, n: 1000 });
  const endpoint = url(fake);

  const measure = async (mode: "provider" | "bare", c: number) => {
    await fake.call("forget");
    const profile = ctx.cpuProf && c === concurrencies[concurrencies.length - 1];
    const r = await profiled(profile, client, `${S}-${mode}-c${c}`, () =>
      client.call<ClientRun>("run", { mode, serviceAccount, endpoint, tokens, n, concurrency: c }),
    );
    const stats = await fake.call<{ delivered: number; tokenRequests: number }>("stats");
    say(S, `  ${mode}: ${fmt(r.perSec)} sends/s, ${fmt(r.cpuMsPerCall)} ms CPU each${r.failed ? `, ${r.failed} failed` : ""}`);
    return { r, stats };
  };

  const rows: Row[] = [];
  for (const c of concurrencies) {
    say(S, `concurrency ${c}: bare HTTP client, then the FCM provider, ${n} sends each`);
    const bare = await measure("bare", c);
    const provider = await measure("provider", c);
    rows.push({
      concurrency: c,
      provider: provider.r,
      bare: bare.r,
      ratio: provider.r.perSec / bare.r.perSec,
      delivered: provider.stats.delivered,
      tokenRequests: provider.stats.tokenRequests,
    });
  }

  const allSent = rows.every((r) => r.provider.failed === 0 && r.bare.failed === 0 && r.delivered >= n);
  return {
    id: 7,
    name: S,
    title: "sends/s through the FCM HTTP v1 provider (local FCM stand-in, 1 ms added latency)",
    params: { sendsPerRun: n, concurrencies, fcmLatencyMs: 1 },
    table: {
      columns: ["concurrency", "provider sends/s", "bare HTTP sends/s", "ratio", "provider CPU ms/send", "bare CPU ms/send", "delivered", "token requests"],
      rows: rows.map((r) => [
        String(r.concurrency), fmt(r.provider.perSec), fmt(r.bare.perSec), `${fmt(r.ratio * 100)}%`, fmt(r.provider.cpuMsPerCall), fmt(r.bare.cpuMsPerCall),
        String(r.delivered), String(r.tokenRequests),
      ]),
    },
    ratios: [{ name: "provider sends/s vs bare HTTP client", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.ratio * 100)}%`).join(", ") }],
    targets: [{
      name: "FCM provider sends/s vs bare HTTP client",
      target: `≥ ${TARGET_RATIO * 100}% of the bare client at every concurrency, every send delivered`,
      value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.provider.perSec)}/s (${fmt(r.ratio * 100)}%)`).join(", "),
      baseline: `bare node:http POST ${rows.map((r) => `${fmt(r.bare.perSec)}/s`).join(", ")}`,
      pass: rows.every((r) => r.ratio >= TARGET_RATIO) && allSent,
    }],
    notes: [
      "The provider alone, in a client process of its own: what it adds per push over the request itself (the token cache lookup, the message, reading and classifying FCM's answer). The worker's other costs per push (Redis reads and writes, BullMQ) are scenario 4's; the FCM row through a worker comes when the app's settings route Android to FCM.",
      "Token requests: grants at the token endpoint during the provider's run, warm-up included (1: one token served every send).",
      "Stand-ins: the tests' FCM v1 (bearer token, message shape, TTL and token checked on every request) and token endpoint (RS256 assertion verified), one process, 1 ms added to each FCM answer.",
      "Bare: node:http with a keep-alive agent, the same JSON body and a token fetched once beforehand, reading only the status.",
    ],
    chart: {
      title: "7. FCM sends per second: the provider vs a bare HTTP client",
      subtitle: `${n} sends per run, local FCM stand-in with 1 ms latency (higher is better)`,
      legend: { baseline: "bare node:http POST" },
      panels: rows.map((r) => ({
        title: `concurrency ${r.concurrency}`,
        bars: [
          { label: "FCM provider", value: r.provider.perSec, text: `${fmt(r.provider.perSec)}/s (${fmt(r.ratio * 100)}%)`, kind: "ours" as const },
          { label: "bare HTTP client", value: r.bare.perSec, text: `${fmt(r.bare.perSec)}/s`, kind: "baseline" as const },
        ],
        target: { value: TARGET_RATIO * r.bare.perSec, label: `target ≥ ${TARGET_RATIO * 100}%` },
      })),
    },
    data: { rows },
  };
}

export const fcm: Scenario = { id: 7, name: "fcm", title: "sends/s through the FCM provider vs a bare HTTP client", run };

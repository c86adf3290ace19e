import { profiled, startBenchChild, url } from "../lib/nodes.js";
import { say } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { fmt } from "../lib/stats.js";

interface Run {
  n: number;
  perSec: number;
  cpuMsPerCall: number;
  failed: number;
}
interface Stats {
  requests: number;
  clean: number;
  byStatus: Record<string, number>;
}
interface Row {
  concurrency: number;
  provider: Run;
  bare: Run;
  ratio: number;
  /** Requests the stand-in found right (VAPID verified, body decrypted) during the provider's run. */
  providerClean: number;
  answers: Record<string, number>;
}

const TARGET_RATIO = 0.8;

/**
 * 10. Pushes/s through the worker's Web Push provider (workers/providers/web-push.ts) against the tests' push-service
 * stand-in (HTTPS, every VAPID token verified, every body decrypted), vs the `web-push` library's own
 * sendNotification with the same key, payload and options against the same stand-in, in the same run.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "webpush";
  const n = ctx.quick ? 1000 : 4000;
  const concurrencies = ctx.quick ? [50] : [10, 50];

  say(S, "starting the push-service stand-in and the client process");
  const fake = ctx.res.child(await startBenchChild(`${S}-fake-push`, "nodes/fake-push-node.ts"));
  const client = ctx.res.child(await startBenchChild(`${S}-clients`, "load/web-push-client.ts"));
  const subscriptions = await fake.call<string[]>("subscribe", { n: 500 });
  const vapid = await client.call<{ publicKey: string; privateKey: string }>("vapidKeys");
  await fake.call("expectKey", { publicKey: vapid.publicKey });
  const target = { url: url(fake), caPem: String(fake.info.caPem), subscriptions, vapid, n };

  const measure = async (who: "provider" | "bare", c: number, profile: boolean) => {
    await fake.call("forget");
    const r = await profiled(profile, client, `${S}-${who}-c${c}`, () => client.call<Run>(who, { ...target, concurrency: c }));
    const stats = await fake.call<Stats>("stats");
    say(S, `  ${who}: ${fmt(r.perSec)} pushes/s, ${fmt(r.cpuMsPerCall)} ms CPU each${r.failed ? `, ${r.failed} failed` : ""}`);
    return { r, stats };
  };

  const rows: Row[] = [];
  for (const c of concurrencies) {
    say(S, `concurrency ${c}: web-push's sendNotification, then the provider, ${n} pushes each`);
    const b = await measure("bare", c, false);
    const p = await measure("provider", c, ctx.cpuProf && c === concurrencies[concurrencies.length - 1]);
    rows.push({ concurrency: c, provider: p.r, bare: b.r, ratio: p.r.perSec / b.r.perSec, providerClean: p.stats.clean, answers: p.stats.byStatus });
  }

  const allClean = rows.every((r) => r.provider.failed === 0 && r.bare.failed === 0 && r.providerClean >= n);
  return {
    id: 10,
    name: S,
    title: "pushes/s through the Web Push provider vs web-push's sendNotification (local push-service stand-in)",
    params: { pushesPerRun: n, concurrencies, subscriptions: subscriptions.length },
    table: {
      columns: ["concurrency", "provider pushes/s", "web-push sendNotification/s", "ratio", "provider CPU ms/push", "bare CPU ms/push", "clean at the stand-in", "answers"],
      rows: rows.map((r) => [
        String(r.concurrency), fmt(r.provider.perSec), fmt(r.bare.perSec), `${fmt(r.ratio * 100)}%`, fmt(r.provider.cpuMsPerCall), fmt(r.bare.cpuMsPerCall),
        `${r.providerClean} (+200 warm-up)`, JSON.stringify(r.answers),
      ]),
    },
    ratios: [
      { name: "provider pushes/s vs web-push's sendNotification", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.ratio * 100)}%`).join(", ") },
      { name: "provider CPU per push vs bare", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.provider.cpuMsPerCall)} vs ${fmt(r.bare.cpuMsPerCall)} ms`).join(", ") },
    ],
    targets: [{
      name: "Web Push provider pushes/s vs web-push's sendNotification",
      target: `≥ ${TARGET_RATIO * 100}% of the bare client at every concurrency, every push verified and decrypted`,
      value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.provider.perSec)}/s (${fmt(r.ratio * 100)}%)`).join(", "),
      baseline: `web-push sendNotification ${rows.map((r) => `${fmt(r.bare.perSec)}/s`).join(", ")}`,
      pass: rows.every((r) => r.ratio >= TARGET_RATIO) && allClean,
    }],
    notes: [
      "Both clients in one process of their own, one after the other, against the same stand-in process; CPU is that process's, per push. 200 warm-up pushes each before the clock.",
      "Provider: createWebPushProvider as the worker builds it: the payload sized to Web Push's 4096 bytes, web-push's generateRequestDetails (aes128gcm under the subscription's keys, a fresh ES256 VAPID token), TTL, Urgency high, a Topic per challenge, the request through the outbound guard's HTTPS agent (SSRF guard; private addresses allowed for the stand-in), a deadline, the answer read and classified.",
      "Bare: web-push's own sendNotification with the same VAPID key, payload and options over a keep-alive https.Agent trusting the stand-in's CA: the floor the protocol (an ECDH, HKDF and AES-GCM per push, an ES256 signature per push) and the stand-in set.",
      "The stand-in (test/support/fake-push-service.ts) verifies every VAPID JWT and decrypts every body: the same work for both clients, on the same 2 cores.",
    ],
    chart: {
      title: "10. Web Push pushes per second: the provider vs web-push's sendNotification",
      subtitle: `${n} pushes per run against the local push-service stand-in (higher is better)`,
      legend: { baseline: "web-push sendNotification" },
      panels: rows.map((r) => ({
        title: `concurrency ${r.concurrency}`,
        bars: [
          { label: "Web Push provider", value: r.provider.perSec, text: `${fmt(r.provider.perSec)}/s (${fmt(r.ratio * 100)}%)`, kind: "ours" as const },
          { label: "web-push sendNotification", value: r.bare.perSec, text: `${fmt(r.bare.perSec)}/s`, kind: "baseline" as const },
        ],
        target: { value: TARGET_RATIO * r.bare.perSec, label: `target ≥ ${TARGET_RATIO * 100}%` },
      })),
    },
    data: { rows },
  };
}

export const webpush: Scenario = { id: 10, name: "webpush", title: "pushes/s through the Web Push provider vs web-push's sendNotification", run };

import type { Child } from "../lib/child.js";
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
  byStatus: Record<string, number>;
  sessions: number;
}
interface Row {
  concurrency: number;
  provider: Run;
  bare: Run;
  ratio: number;
  /** Connections the provider opened for its run (one is the design). */
  providerSessions: number;
  answers: Record<string, number>;
}

/**
 * 8. Pushes/s through the worker's APNs provider (workers/providers/apns.ts, token authentication) against the
 * APNs stand-in (HTTP/2 over TLS, every token verified, 1 ms added latency), vs a bare node:http2 client sending
 * the same requests to the same stand-in in the same run: what the provider's own work (payload, headers, token
 * cache, deadline, classification) costs over the protocol itself.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "apns";
  const n = ctx.quick ? 2000 : 10_000;
  const concurrencies = ctx.quick ? [50, 200] : [10, 50, 200];

  say(S, "starting the APNs stand-in (1 ms latency) and the client process");
  const fake = ctx.res.child(await startBenchChild(`${S}-fake-apns`, "nodes/fake-apns-node.ts", ["1"]));
  const client = ctx.res.child(await startBenchChild(`${S}-clients`, "load/apns-client.ts"));
  const tokens = await fake.call<string[]>("devices", { n: 1000 });
  const target = {
    url: url(fake),
    caPem: String(fake.info.caPem),
    key: String(fake.info.key),
    keyId: String(fake.info.keyId),
    teamId: String(fake.info.teamId),
    bundleId: String(fake.info.bundleId),
    tokens,
    n,
  };

  const measure = async (who: "provider" | "bare", c: number, profile: boolean, child: Child): Promise<{ run: Run; stats: Stats }> => {
    await fake.call("forget");
    const before = await fake.call<Stats>("stats");
    const r = await profiled(profile, child, `${S}-${who}-c${c}`, () => client.call<Run>(who, { ...target, concurrency: c }));
    const after = await fake.call<Stats>("stats");
    return { run: r, stats: { ...after, sessions: after.sessions - before.sessions } };
  };

  const rows: Row[] = [];
  for (const c of concurrencies) {
    const lastC = c === concurrencies[concurrencies.length - 1];
    say(S, `concurrency ${c}: bare node:http2 client, ${n} pushes`);
    const b = await measure("bare", c, false, client);
    say(S, `  ${fmt(b.run.perSec)} pushes/s, ${fmt(b.run.cpuMsPerCall)} ms CPU each`);
    say(S, `concurrency ${c}: the APNs provider, ${n} pushes`);
    const p = await measure("provider", c, ctx.cpuProf && lastC, client);
    say(S, `  ${fmt(p.run.perSec)} pushes/s, ${fmt(p.run.cpuMsPerCall)} ms CPU each, ${p.stats.sessions} connection(s)`);
    rows.push({ concurrency: c, provider: p.run, bare: b.run, ratio: p.run.perSec / b.run.perSec, providerSessions: p.stats.sessions, answers: p.stats.byStatus });
  }

  const worst = Math.min(...rows.map((r) => r.ratio));
  const clean = rows.every((r) => r.provider.failed === 0 && r.bare.failed === 0 && r.providerSessions === 1);
  return {
    id: 8,
    name: S,
    title: "pushes/s through the APNs provider vs a bare node:http2 client (local APNs stand-in, 1 ms added latency)",
    params: { pushesPerRun: n, concurrencies, apnsLatencyMs: 1, auth: "token (ES256)" },
    table: {
      columns: ["concurrency", "provider pushes/s", "bare http2 pushes/s", "ratio", "provider CPU ms/push", "bare CPU ms/push", "connections", "failed", "answers"],
      rows: rows.map((r) => [
        String(r.concurrency), fmt(r.provider.perSec), fmt(r.bare.perSec), `${fmt(r.ratio * 100)}%`, fmt(r.provider.cpuMsPerCall), fmt(r.bare.cpuMsPerCall),
        String(r.providerSessions), `${r.provider.failed} + ${r.bare.failed}`, JSON.stringify(r.answers),
      ]),
    },
    ratios: [
      { name: "provider pushes/s vs bare http2", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.ratio * 100)}%`).join(", ") },
      { name: "provider CPU per push vs bare", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.provider.cpuMsPerCall)} vs ${fmt(r.bare.cpuMsPerCall)} ms`).join(", ") },
    ],
    targets: [{
      name: "provider pushes/s vs bare node:http2",
      target: "≥ 80% of the bare client at every concurrency, one connection, no failure",
      value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.provider.perSec)}/s (${fmt(r.ratio * 100)}%)`).join(", "),
      baseline: `bare node:http2 ${rows.map((r) => `${fmt(r.bare.perSec)}/s`).join(", ")}`,
      pass: worst >= 0.8 && clean,
    }],
    notes: [
      "Both clients run in one process of their own, one after the other, against the same stand-in process; CPU is that process's, per push.",
      "Provider: createApnsProvider as the worker builds it (token authentication), send() per push: payload and headers built, the cached ES256 token, an AbortSignal deadline, the answer classified. One HTTP/2 connection for the whole run (the 'connections' column counts what the stand-in accepted).",
      "Bare: one node:http2 session, one token signed beforehand, the same headers and body, resolve on 200: the floor the protocol and the stand-in set.",
      "The stand-in verifies every token (jose, ES256) and checks every header and payload as APNs does: it is the same work for both clients.",
      "The gateway worker's own path (BullMQ job, Redis reads, delivery state) around the provider is measured by the sns scenario; an APNs drain through the worker comes with the provider's routing (select-provider).",
    ],
    chart: {
      title: "8. Pushes per second through the APNs provider vs a bare node:http2 client",
      subtitle: `${n} pushes per run, local APNs stand-in over HTTP/2 + TLS with 1 ms latency (higher is better)`,
      legend: { ours: "APNs provider", baseline: "bare node:http2" },
      panels: rows.map((r) => ({
        title: `concurrency ${r.concurrency}`,
        bars: [
          { label: "APNs provider", value: r.provider.perSec, text: `${fmt(r.provider.perSec)}/s (${fmt(r.ratio * 100)}%)`, kind: "ours" as const },
          { label: "bare node:http2", value: r.bare.perSec, text: `${fmt(r.bare.perSec)}/s`, kind: "baseline" as const },
        ],
        target: { value: 0.8 * r.bare.perSec, label: "target ≥ 80%" },
      })),
    },
    data: { rows },
  };
}

export const apns: Scenario = { id: 8, name: "apns", title: "pushes/s through the APNs provider vs bare node:http2", run };

import { BENCH_PASSWORD, connectSeeder, nativeSettings, newDeployment, newPhone } from "../lib/fixtures.js";
import { profiled, startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { say } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { fmt, type Summary } from "../lib/stats.js";

interface LoginRun {
  ok: number;
  seconds: number;
  perSec: number;
  statuses: Record<string, number>;
  latency: Summary;
}
interface ScryptRun {
  count: number;
  seconds: number;
  perSec: number;
  cpuMsPerOp: number;
  latency: Summary;
}

/**
 * 6. Logins/s through L2 (first factor with scrypt N=2^17, then the challenge and its push queued) and where the
 * time goes, vs the gateway's own password check alone (`verifyPassword`) in a process of its own. Both at
 * concurrency 1 (latency: what one login costs) and at libuv's pool size 4 (throughput).
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "login";
  const users = ctx.quick ? 200 : 1000;
  const seconds = ctx.quick ? 10 : 30;
  const latencySeconds = ctx.quick ? 5 : 10;
  const concurrency = 4;
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);

  const seeder = await connectSeeder(d);
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(nativeSettings);
  say(S, `seeding ${users} accounts (one precomputed scrypt hash) with a device each`);
  const seeded = await seeder.seedUsers(users, newPhone());
  const storedHash = (await seeder.services.accounts.get(d.apiKey, seeded[0]!.uid))!.passwordHash;

  const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway`, "gateway"));
  const logins = ctx.res.child(await startBenchChild(`${S}-logins`, "load/logins.ts"));
  const scrypt = ctx.res.child(await startBenchChild(`${S}-scrypt`, "load/scrypt.ts"));
  const emails = seeded.map((u) => u.email);
  const login = (c: number, s: number) => logins.call<LoginRun>("run", { base: url(gw), apiKey: d.apiKey, emails, password: BENCH_PASSWORD, concurrency: c, durationMs: s * 1000 });
  const alone = (c: number, s: number) => scrypt.call<ScryptRun>("run", { storedHash, password: BENCH_PASSWORD, concurrency: c, durationMs: s * 1000 });

  say(S, "warm-up: 3 s of logins");
  await login(2, 3);
  say(S, `one at a time: scrypt alone ${latencySeconds} s, then L2 ${latencySeconds} s`);
  const a1 = await alone(1, latencySeconds);
  const l1 = await login(1, latencySeconds);
  say(S, `  scrypt ${fmt(a1.latency.p50)} ms, L2 ${fmt(l1.latency.p50)} ms (p50)`);
  say(S, `concurrency ${concurrency}: scrypt alone ${seconds} s, then L2 ${seconds} s`);
  const a4 = await alone(concurrency, seconds);
  const c0 = await gw.call<NodeJS.CpuUsage>("cpu");
  const l4 = await profiled(ctx.cpuProf, gw, `${S}-gateway-L2`, () => login(concurrency, seconds));
  const c1 = await gw.call<NodeJS.CpuUsage>("cpu");
  const gwCpuMsPerLogin = (c1.user - c0.user + c1.system - c0.system) / 1000 / Math.max(1, l4.ok);
  say(S, `  scrypt ${fmt(a4.perSec)}/s, L2 ${fmt(l4.perSec)}/s`);

  const ratio = l4.perSec / a4.perSec;
  const restMs = l1.latency.p50 - a1.latency.p50;
  const allOk = Object.keys(l1.statuses).every((k) => k === "200") && Object.keys(l4.statuses).every((k) => k === "200");
  return {
    id: 6,
    name: S,
    title: "logins/s through L2 (scrypt included), and where the time goes",
    params: { accounts: users, seconds, latencySeconds, concurrency, scrypt: "N=2^17 r=8 p=1", uvThreadpool: 4 },
    table: {
      columns: ["", "per s", "p50 ms", "p99 ms", "CPU ms each", "count"],
      rows: [
        ["L2 login, concurrency 1", fmt(l1.perSec), fmt(l1.latency.p50), fmt(l1.latency.p99), "", String(l1.ok)],
        ["scrypt alone, concurrency 1", fmt(a1.perSec), fmt(a1.latency.p50), fmt(a1.latency.p99), fmt(a1.cpuMsPerOp), String(a1.count)],
        [`L2 login, concurrency ${concurrency}`, fmt(l4.perSec), fmt(l4.latency.p50), fmt(l4.latency.p99), fmt(gwCpuMsPerLogin), String(l4.ok)],
        [`scrypt alone, concurrency ${concurrency}`, fmt(a4.perSec), fmt(a4.latency.p50), fmt(a4.latency.p99), fmt(a4.cpuMsPerOp), String(a4.count)],
      ],
    },
    ratios: [
      { name: "logins/s vs scrypt alone", value: `${fmt(ratio * 100)}% (${fmt(l4.perSec)} / ${fmt(a4.perSec)} per s at concurrency ${concurrency})` },
      { name: "where the time goes", value: `one login p50 ${fmt(l1.latency.p50)} ms = scrypt ${fmt(a1.latency.p50)} ms (${fmt((100 * a1.latency.p50) / l1.latency.p50)}%) + everything else ${fmt(restMs)} ms` },
    ],
    targets: [{ name: "logins/s vs scrypt alone", target: "report", value: `${fmt(l4.perSec)} logins/s = ${fmt(ratio * 100)}% of scrypt alone`, pass: allOk ? null : false }],
    notes: [
      "Accounts written in bulk with one precomputed hash (their creation through L1 would cost a scrypt each); every login runs the full L2: limits, account, scrypt verify, openChallenge, push queued (no worker running).",
      `Gateway CPU per login at concurrency ${concurrency}: ${fmt(gwCpuMsPerLogin)} ms (all threads), of which scrypt ≈ ${fmt(a4.cpuMsPerOp)} ms: scrypt is ${fmt((100 * a4.cpuMsPerOp) / gwCpuMsPerLogin)}% of a login's CPU.`,
      "scrypt runs on libuv's pool (4 threads by default) and is memory-bound (128 MiB per hash); on 2 cores the pool is the ceiling, so the login rate is scrypt's rate.",
      ...(allOk ? [] : [`unexpected answers: ${JSON.stringify({ ...l1.statuses, ...l4.statuses })}`]),
    ],
    chart: {
      title: "6. Logins per second through L2 vs scrypt alone",
      subtitle: `scrypt N=2^17, r=8, p=1; concurrency ${concurrency} (higher is better)`,
      panels: [
        {
          title: `per second at concurrency ${concurrency}`,
          bars: [
            { label: "L2 logins", value: l4.perSec, text: `${fmt(l4.perSec)}/s (${fmt(ratio * 100)}%)`, kind: "ours" },
            { label: "scrypt verify alone", value: a4.perSec, text: `${fmt(a4.perSec)}/s`, kind: "baseline" },
          ],
        },
        {
          title: "one login, p50 ms (lower is better)",
          bars: [
            { label: "L2 login", value: l1.latency.p50, text: `${fmt(l1.latency.p50)} ms`, kind: "ours" },
            { label: "scrypt verify alone", value: a1.latency.p50, text: `${fmt(a1.latency.p50)} ms`, kind: "baseline" },
          ],
        },
      ],
    },
    data: { l1, a1, l4, a4, gwCpuMsPerLogin },
  };
}

export const login: Scenario = { id: 6, name: "login", title: "logins/s through L2 vs scrypt alone", run };

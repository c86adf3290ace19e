import { BENCH_PASSWORD, connectSeeder, nativeSettings, newDeployment, newPhone, passwordHashWithN } from "../lib/fixtures.js";
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

  const cheap = await seeder.seedUsers(Math.min(users, 500), newPhone(), { passwordHash: passwordHashWithN(BENCH_PASSWORD, 16) });

  const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway`, "gateway"));
  const logins = ctx.res.child(await startBenchChild(`${S}-logins`, "load/logins.ts"));
  const scrypt = ctx.res.child(await startBenchChild(`${S}-scrypt`, "load/scrypt.ts"));
  const emails = seeded.map((u) => u.email);
  const cheapEmails = cheap.map((u) => u.email);
  const restSeconds = ctx.quick ? 4 : 9;
  const login = (c: number, s: number, who = emails) => logins.call<LoginRun>("run", { base: url(gw), apiKey: d.apiKey, emails: who, password: BENCH_PASSWORD, concurrency: c, durationMs: s * 1000 });
  const alone = (c: number, s: number) => scrypt.call<ScryptRun>("run", { storedHash, password: BENCH_PASSWORD, concurrency: c, durationMs: s * 1000 });

  say(S, "warm-up: 3 s of logins");
  await login(2, 3);
  // Alternating rounds: this machine is shared, and a neighbour's burst must hit both sides alike.
  const rounds = ctx.quick ? 1 : 3;
  const a1s: ScryptRun[] = [];
  const l1s: LoginRun[] = [];
  const a4s: ScryptRun[] = [];
  const l4s: LoginRun[] = [];
  let cpuMs = 0;
  let restCpuMs = 0;
  const rest: LoginRun[] = [];
  for (let r = 0; r < rounds; r++) {
    say(S, `round ${r + 1}/${rounds}, one at a time: scrypt alone ${latencySeconds / rounds} s, then L2 ${latencySeconds / rounds} s`);
    a1s.push(await alone(1, latencySeconds / rounds));
    l1s.push(await login(1, latencySeconds / rounds));
    say(S, `round ${r + 1}/${rounds}, concurrency ${concurrency}: scrypt alone ${seconds / rounds} s, then L2 ${seconds / rounds} s`);
    a4s.push(await alone(concurrency, seconds / rounds));
    const c0 = await gw.call<NodeJS.CpuUsage>("cpu");
    l4s.push(await profiled(ctx.cpuProf && r === rounds - 1, gw, `${S}-gateway-L2`, () => login(concurrency, seconds / rounds)));
    const c1 = await gw.call<NodeJS.CpuUsage>("cpu");
    cpuMs += (c1.user - c0.user + c1.system - c0.system) / 1000;
    say(S, `round ${r + 1}/${rounds}: L2 with a trivial hash (N=16: everything but the expensive scrypt), ${restSeconds / rounds} s`);
    const r0 = await gw.call<NodeJS.CpuUsage>("cpu");
    rest.push(await login(concurrency, restSeconds / rounds, cheapEmails));
    const r1 = await gw.call<NodeJS.CpuUsage>("cpu");
    restCpuMs += (r1.user - r0.user + r1.system - r0.system) / 1000;
    say(S, `  scrypt ${fmt(a4s[r]!.perSec)}/s, L2 ${fmt(l4s[r]!.perSec)}/s`);
  }
  const a1 = mergeScrypt(a1s);
  const l1 = mergeLogins(l1s);
  const a4 = mergeScrypt(a4s);
  const l4 = mergeLogins(l4s);
  const gwCpuMsPerLogin = cpuMs / Math.max(1, l4.ok);
  const lr = mergeLogins(rest);
  const restCpuMsPerLogin = restCpuMs / Math.max(1, lr.ok);
  const ratio = l4.perSec / a4.perSec;
  const allOk = Object.keys(l1.statuses).every((k) => k === "200") && Object.keys(l4.statuses).every((k) => k === "200");
  return {
    id: 6,
    name: S,
    title: "logins/s through L2 (scrypt included), and where the time goes",
    params: { accounts: users, seconds, latencySeconds, rounds, concurrency, scrypt: "N=2^17 r=8 p=1", uvThreadpool: 4 },
    table: {
      columns: ["", "per s", "p50 ms", "p99 ms", "CPU ms each", "count"],
      rows: [
        ["L2 login, concurrency 1", fmt(l1.perSec), fmt(l1.latency.p50), fmt(l1.latency.p99), "", String(l1.ok)],
        ["scrypt alone, concurrency 1", fmt(a1.perSec), fmt(a1.latency.p50), fmt(a1.latency.p99), fmt(a1.cpuMsPerOp), String(a1.count)],
        [`L2 login, concurrency ${concurrency}`, fmt(l4.perSec), fmt(l4.latency.p50), fmt(l4.latency.p99), fmt(gwCpuMsPerLogin), String(l4.ok)],
        [`scrypt alone, concurrency ${concurrency}`, fmt(a4.perSec), fmt(a4.latency.p50), fmt(a4.latency.p99), fmt(a4.cpuMsPerOp), String(a4.count)],
        [`L2 with an N=16 hash (all but scrypt), c=${concurrency}`, fmt(lr.perSec), fmt(lr.latency.p50), fmt(lr.latency.p99), fmt(restCpuMsPerLogin), String(lr.ok)],
      ],
    },
    ratios: [
      { name: "logins/s vs scrypt alone", value: `${fmt(ratio * 100)}% (${fmt(l4.perSec)} / ${fmt(a4.perSec)} per s at concurrency ${concurrency})` },
      { name: "where the time goes", value: `a login's gateway CPU ${fmt(gwCpuMsPerLogin)} ms ≈ scrypt ${fmt(gwCpuMsPerLogin - restCpuMsPerLogin)} ms (${fmt((100 * (gwCpuMsPerLogin - restCpuMsPerLogin)) / gwCpuMsPerLogin)}%) + everything else ${fmt(restCpuMsPerLogin)} ms; one login at a time: p50 ${fmt(l1.latency.p50)} ms vs scrypt alone ${fmt(a1.latency.p50)} ms` },
    ],
    targets: [{ name: "logins/s vs scrypt alone", target: "report", value: `${fmt(l4.perSec)} logins/s = ${fmt(ratio * 100)}%; non-scrypt part ${fmt(restCpuMsPerLogin)} ms CPU per login`, baseline: `scrypt alone ${fmt(a4.perSec)}/s (${fmt(a4.cpuMsPerOp)} ms CPU each)`, pass: allOk ? null : false }],
    notes: [
      "Accounts written in bulk with one precomputed hash (their creation through L1 would cost a scrypt each); every login runs the full L2: limits, account, scrypt verify, openChallenge, push queued (no worker running).",
      `Gateway CPU per login at concurrency ${concurrency}: ${fmt(gwCpuMsPerLogin)} ms (all threads; scrypt alone ${fmt(a4.cpuMsPerOp)} ms per hash).`,
      `Everything but the expensive scrypt, measured by L2 on accounts whose stored hash has N=16 (verifyPassword reads N from the hash; 1/8192 of the real work): ${fmt(lr.perSec)} logins/s, ${fmt(restCpuMsPerLogin)} ms gateway CPU each = ${fmt((100 * restCpuMsPerLogin) / gwCpuMsPerLogin)}% of a real login's CPU.`,
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
    data: { l1, a1, l4, a4, gwCpuMsPerLogin, cheapHash: { ...lr, cpuMsPerLogin: restCpuMsPerLogin }, rounds: { a1s, l1s, a4s, l4s, rest } },
  };
}

export const login: Scenario = { id: 6, name: "login", title: "logins/s through L2 vs scrypt alone", run };

const weighted = (xs: Summary[], ns: number[]): Summary => {
  const total = ns.reduce((a, b) => a + b, 0) || 1;
  const avg = (f: (x: Summary) => number) => xs.reduce((acc, x, i) => acc + f(x) * ns[i]!, 0) / total;
  return { n: total, mean: avg((x) => x.mean), p50: avg((x) => x.p50), p90: avg((x) => x.p90), p99: Math.max(...xs.map((x) => x.p99)), min: Math.min(...xs.map((x) => x.min)), max: Math.max(...xs.map((x) => x.max)) };
};

/** Rounds merged: counts and seconds summed; percentiles weighted by count (p99: the worst round's). */
function mergeLogins(xs: LoginRun[]): LoginRun {
  const ok = xs.reduce((a, x) => a + x.ok, 0);
  const seconds = xs.reduce((a, x) => a + x.seconds, 0);
  const statuses: Record<string, number> = {};
  for (const x of xs) for (const [k, v] of Object.entries(x.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return { ok, seconds, perSec: ok / seconds, statuses, latency: weighted(xs.map((x) => x.latency), xs.map((x) => x.ok)) };
}

function mergeScrypt(xs: ScryptRun[]): ScryptRun {
  const count = xs.reduce((a, x) => a + x.count, 0);
  const seconds = xs.reduce((a, x) => a + x.seconds, 0);
  const cpu = xs.reduce((a, x) => a + x.cpuMsPerOp * x.count, 0);
  return { count, seconds, perSec: count / seconds, cpuMsPerOp: cpu / Math.max(1, count), latency: weighted(xs.map((x) => x.latency), xs.map((x) => x.count)) };
}

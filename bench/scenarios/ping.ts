import { connectSeeder, nativeSettings, newDeployment, newPhone } from "../lib/fixtures.js";
import { errorCodeOf, httpCall, keepAliveAgent, pingUrl } from "../lib/http.js";
import { profiled, startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { say } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { fmt } from "../lib/stats.js";
import type { Child } from "../lib/child.js";

interface AcResult {
  requestsPerSec: number;
  total: number;
  latency: { p50: number; p99: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count?: number }>;
  seconds: number;
}

interface Measured extends AcResult {
  cpuPct: number;
  cpuUsPerReq: number;
}

/**
 * 2. L4 ping throughput (autocannon, keep-alive) on a pending login — what a legacy page gets on every poll but
 * the last — against a bare Express 5 route doing one ioredis GET, in alternating rounds.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "ping";
  const rounds = ctx.quick ? 1 : 3;
  const seconds = ctx.quick ? 5 : 10;
  const connections = 50;
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);

  const seeder = await connectSeeder(d);
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(nativeSettings);
  const [user] = await seeder.seedUsers(1, newPhone());
  const [login] = await seeder.openChallenges([user!]);

  say(S, "starting the gateway, the bare Express route and autocannon");
  const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway`, "gateway"));
  const bare = ctx.res.child(await startBenchChild(`${S}-bare-express`, "nodes/bare-express-node.ts", [`${d.prefix}:bare-ping`]));
  const ac = ctx.res.child(await startBenchChild(`${S}-autocannon`, "load/autocannon.ts"));
  const gwUrl = pingUrl(url(gw), d.apiKey, login!.token);
  const bareUrl = `${url(bare)}/ping`;
  const bare3Url = `${url(bare)}/ping3`;

  const agent = keepAliveAgent(1);
  const check = await httpCall(agent, gwUrl, "GET");
  agent.destroy();
  if (check.status !== 403 || errorCodeOf(check.body) !== 1295) throw new Error(`the ping should answer 403/1295 while pending, got ${check.status} ${check.body}`);

  const measure = async (target: Child, u: string, durationSec: number): Promise<Measured> => {
    const c0 = await target.call<NodeJS.CpuUsage>("cpu");
    const r = await ac.call<AcResult>("run", { url: u, connections, durationSec });
    const c1 = await target.call<NodeJS.CpuUsage>("cpu");
    const cpuMs = (c1.user - c0.user + c1.system - c0.system) / 1000;
    return { ...r, cpuPct: (100 * cpuMs) / (r.seconds * 1000 || durationSec * 1000), cpuUsPerReq: (cpuMs * 1000) / Math.max(1, r.total) };
  };

  say(S, "warm-up, 3 s each");
  await measure(bare, bareUrl, 3);
  await measure(gw, gwUrl, 3);
  const g: Measured[] = [];
  const b: Measured[] = [];
  const b3: Measured[] = [];
  for (let r = 0; r < rounds; r++) {
    say(S, `round ${r + 1}/${rounds}: bare Express + one GET, ${seconds} s`);
    b.push(await profiled(ctx.cpuProf && r === rounds - 1, bare, `${S}-bare`, () => measure(bare, bareUrl, seconds)));
    say(S, `  ${fmt(b[r]!.requestsPerSec)} req/s`);
    say(S, `round ${r + 1}/${rounds}: bare Express + the gateway's three Redis calls, ${seconds} s`);
    b3.push(await measure(bare, bare3Url, seconds));
    say(S, `  ${fmt(b3[r]!.requestsPerSec)} req/s`);
    say(S, `round ${r + 1}/${rounds}: gateway L4 ping (pending), ${seconds} s`);
    g.push(await profiled(ctx.cpuProf && r === rounds - 1, gw, `${S}-gateway`, () => measure(gw, gwUrl, seconds)));
    say(S, `  ${fmt(g[r]!.requestsPerSec)} req/s`);
  }
  const avg = (xs: Measured[], f: (m: Measured) => number) => xs.reduce((s, m) => s + f(m), 0) / xs.length;
  const sum = (xs: Measured[]) => ({
    rps: avg(xs, (m) => m.requestsPerSec),
    p50: avg(xs, (m) => m.latency.p50),
    p99: avg(xs, (m) => m.latency.p99),
    cpuPct: avg(xs, (m) => m.cpuPct),
    cpuUs: avg(xs, (m) => m.cpuUsPerReq),
    errors: xs.reduce((s, m) => s + m.errors + m.timeouts, 0),
    codes: xs.reduce<Record<string, number>>((acc, m) => {
      for (const [k, v] of Object.entries(m.statusCodeStats)) acc[k] = (acc[k] ?? 0) + (v.count ?? 0);
      return acc;
    }, {}),
  });
  const G = sum(g);
  const B = sum(b);
  const B3 = sum(b3);
  const ratio = G.rps / B.rps;
  const cpuRatio = G.cpuUs / B.cpuUs;
  const onlyPending = Object.keys(G.codes).every((k) => k === "403");

  return {
    id: 2,
    name: S,
    title: "L4 ping throughput (autocannon, keep-alive)",
    params: { connections, seconds, rounds, state: "pending (403/1295)" },
    table: {
      columns: ["route", "req/s", "p50 ms", "p99 ms", "server CPU %", "CPU µs/req", "statuses"],
      rows: [
        ["gateway GET /login/2fa/push/ping", fmt(G.rps), fmt(G.p50), fmt(G.p99), fmt(G.cpuPct), fmt(G.cpuUs), JSON.stringify(G.codes)],
        ["bare Express 5 + one ioredis GET", fmt(B.rps), fmt(B.p50), fmt(B.p99), fmt(B.cpuPct), fmt(B.cpuUs), JSON.stringify(B.codes)],
        ["bare Express 5 + the same 3 Redis calls", fmt(B3.rps), fmt(B3.p50), fmt(B3.p99), fmt(B3.cpuPct), fmt(B3.cpuUs), JSON.stringify(B3.codes)],
      ],
    },
    ratios: [
      { name: "throughput vs bare route", value: `${fmt(ratio * 100)}% (${fmt(G.rps)} / ${fmt(B.rps)} req/s)` },
      { name: "server CPU per request vs bare", value: `${fmt(cpuRatio)}× (${fmt(G.cpuUs)} / ${fmt(B.cpuUs)} µs)` },
      { name: "throughput vs a bare route making the same 3 Redis calls", value: `${fmt((G.rps / B3.rps) * 100)}% (${fmt(G.rps)} / ${fmt(B3.rps)} req/s)` },
      { name: "the 3 Redis calls alone vs one GET", value: `${fmt((B3.rps / B.rps) * 100)}% (${fmt(B3.rps)} / ${fmt(B.rps)} req/s)` },
    ],
    targets: [{ name: "throughput vs bare route", target: "≥ 80% of the bare route's req/s", value: `${fmt(G.rps)} req/s = ${fmt(ratio * 100)}% (${fmt(G.cpuUs)} µs CPU/req)`, baseline: `bare Express 5 + one GET: ${fmt(B.rps)} req/s (${fmt(B.cpuUs)} µs CPU/req)`, pass: ratio >= 0.8 && onlyPending && G.errors === 0 }],
    notes: [
      "Both servers in their own process, autocannon in a third; rounds alternate bare/gateway; averages over rounds after a 3 s warm-up each.",
      "The gateway's ping per request: the token's poll limit (pingPerToken) and its lookup in one script (EVALSHA), beside the caller's failed-guesses budget (GET), then the challenge's fields (HMGET): 3 Redis calls in 2 round trips (the app is cached), plus helmet, request log/metrics, and the contract's 403 error body.",
      "On 2 cores the load generator competes with the server for CPU; 'CPU µs/req' (server process CPU ÷ requests) is the machine-independent view.",
      ...(onlyPending ? [] : [`unexpected statuses from the gateway: ${JSON.stringify(G.codes)}`]),
    ],
    chart: {
      title: "2. L4 ping throughput vs a bare Express 5 route + one Redis GET",
      subtitle: `autocannon, ${connections} keep-alive connections, ${rounds} × ${seconds} s each`,
      panels: [
        {
          title: "requests per second (higher is better)",
          bars: [
            { label: "gateway L4 ping (pending)", value: G.rps, text: `${fmt(G.rps)} req/s (${fmt(ratio * 100)}%)`, kind: "ours" },
            { label: "bare Express + ioredis GET", value: B.rps, text: `${fmt(B.rps)} req/s`, kind: "baseline" },
            { label: "bare Express + the same 3 Redis calls", value: B3.rps, text: `${fmt(B3.rps)} req/s`, kind: "baseline" },
          ],
          target: { value: 0.8 * B.rps, label: "target ≥ 80% of bare" },
        },
        {
          title: "server CPU per request, µs (lower is better)",
          bars: [
            { label: "gateway L4 ping (pending)", value: G.cpuUs, text: `${fmt(G.cpuUs)} µs`, kind: "ours" },
            { label: "bare Express + ioredis GET", value: B.cpuUs, text: `${fmt(B.cpuUs)} µs`, kind: "baseline" },
            { label: "bare Express + the same 3 Redis calls", value: B3.cpuUs, text: `${fmt(B3.cpuUs)} µs`, kind: "baseline" },
          ],
        },
      ],
    },
    data: { gateway: { summary: G, rounds: g }, bare: { summary: B, rounds: b }, bareThreeCalls: { summary: B3, rounds: b3 } },
  };
}

export const ping: Scenario = { id: 2, name: "ping", title: "L4 ping throughput vs bare Express + GET", run };

import type { Child } from "../lib/child.js";
import { connectSeeder, nativeSettings, newDeployment, newPhone } from "../lib/fixtures.js";
import { pingUrl } from "../lib/http.js";
import { profiled, startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { hold, say, ticker } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { fmt, sleep } from "../lib/stats.js";

interface ConnectResult {
  connected: number;
  failed: number;
  errors: Record<string, number>;
  ms: number;
}
interface PollResult {
  polls: number;
  expected: number;
  perSec: number;
  codes: Record<string, number>;
  late: number;
  latency: { p50: number; p99: number };
}

const cpuSeconds = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1e6;

/**
 * 5. Gateway CPU-seconds while N logins wait: pages on sockets (connect included) vs the same logins' pages polling
 * L4 every 2 s, over the same window. The gateway is a child process; its CPU is read with process.cpuUsage().
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "cpu";
  const n = ctx.quick ? 500 : 5000;
  const holdMs = ctx.quick ? 10_000 : 60_000;
  const intervalMs = 2000;
  const pageProcs = n > 2000 ? 2 : 1;
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);

  const seeder = await connectSeeder(d);
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(nativeSettings);
  say(S, `seeding ${n} users and opening ${n} challenges directly (openChallenge, no scrypt)`);
  const users = await seeder.seedUsers(n, newPhone());
  const logins = await seeder.openChallenges(users);

  const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway`, "gateway"));
  const pages: Child[] = [];
  for (let i = 0; i < pageProcs; i++) pages.push(ctx.res.child(await startBenchChild(`${S}-pages-${i}`, "load/pages.ts")));
  const pollers = ctx.res.child(await startBenchChild(`${S}-pollers`, "load/pollers.ts"));
  await sleep(2000);

  // Warm-up of both paths (a deployed gateway is warm; without it the first measured path pays the JIT for both).
  const warm = logins.slice(0, Math.min(500, Math.ceil(n / 5)));
  say(S, `warm-up: ${warm.length} pages connect and drop, then poll for 4 s`);
  await pages[0]!.call<ConnectResult>("connect", { url: url(gw), auths: warm.map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token })), concurrency: 100 });
  await pages[0]!.call("close");
  await pollers.call<PollResult>("run", { urls: warm.map((l) => pingUrl(url(gw), d.apiKey, l.token)), intervalMs, durationMs: 4000 });
  await sleep(2000);

  // Sockets: connect every page, then hold.
  say(S, `sockets: connecting ${n} pages, then holding ${holdMs / 1000} s`);
  const auths = logins.map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token }));
  const s0 = await gw.call<NodeJS.CpuUsage>("cpu");
  const conn = await profiled(ctx.cpuProf, gw, `${S}-gateway-sockets-connect`, () =>
    Promise.all(pages.map((c, i) => c.call<ConnectResult>("connect", { url: url(gw), auths: auths.filter((_, k) => k % pageProcs === i), concurrency: 100 }))),
  );
  const s1 = await gw.call<NodeJS.CpuUsage>("cpu");
  const connected = conn.reduce((s, c) => s + c.connected, 0);
  const connectErrors = conn.reduce<Record<string, number>>((acc, c) => {
    for (const [k, v] of Object.entries(c.errors)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
  say(S, `sockets: ${connected}/${n} connected in ${fmt(Math.max(...conn.map((c) => c.ms)) / 1000)} s${connected < n ? `; refused: ${JSON.stringify(connectErrors)}` : ""}`);
  await profiled(ctx.cpuProf, gw, `${S}-gateway-sockets-hold`, () => hold(S, `sockets: ${connected} pages waiting`, holdMs));
  const s2 = await gw.call<NodeJS.CpuUsage>("cpu");
  const dropped = (await Promise.all(pages.map((c) => c.call<{ disconnected: number }>("stats")))).reduce((s, x) => s + x.disconnected, 0);
  await Promise.all(pages.map((c) => c.call("close")));
  await sleep(3000);

  // Polling: the same logins' pages poll L4 every 2 s, over the same window.
  say(S, `polling: ${n} pages polling L4 every ${intervalMs / 1000} s for ${holdMs / 1000} s (expected ${fmt(n / (intervalMs / 1000))} polls/s)`);
  let progress = "";
  pollers.on("progress", (p) => {
    const { polls, perSec } = p as { polls: number; perSec: number };
    progress = `${polls} polls, ${fmt(perSec)}/s`;
  });
  const t = ticker(S, () => `polling: ${progress}`, 5000);
  // The gateway's CPU is read at the window's edges (the pollers start 200 ms after the call), not when the last
  // poll in flight returns: a gateway that cannot keep up is charged for the window only.
  const [p0, p1, poll] = await profiled(ctx.cpuProf, gw, `${S}-gateway-polling`, async () => {
    const running = pollers.call<PollResult>("run", { urls: logins.map((l) => pingUrl(url(gw), d.apiKey, l.token)), intervalMs, durationMs: holdMs });
    await sleep(200);
    const c0 = await gw.call<NodeJS.CpuUsage>("cpu");
    await sleep(holdMs);
    const c1 = await gw.call<NodeJS.CpuUsage>("cpu");
    return [c0, c1, await running] as const;
  });
  t.stop();

  const socketsCpu = cpuSeconds(s0, s2);
  const socketsHoldCpu = cpuSeconds(s1, s2);
  const connectCpu = cpuSeconds(s0, s1);
  const pollingCpu = cpuSeconds(p0, p1);
  const ratio = socketsCpu / pollingCpu;
  const expectedPolls = poll.expected;
  const cpuPerPollMs = (1000 * pollingCpu) / Math.max(1, poll.polls);
  const keptUp = poll.polls >= 0.95 * expectedPolls && poll.late < 0.05 * poll.polls;
  const projectedCpu = (expectedPolls * cpuPerPollMs) / 1000;
  const pendingOnly = Object.keys(poll.codes).every((k) => k === "403/1295");

  return {
    id: 5,
    name: S,
    title: `gateway CPU-seconds for ${n.toLocaleString("en-US")} logins waiting ${holdMs / 1000} s`,
    params: { logins: n, holdSeconds: holdMs / 1000, pollIntervalSeconds: intervalMs / 1000, pageProcesses: pageProcs },
    table: {
      columns: ["waiting pages", "gateway CPU-s", "of which connect", "of which waiting", "requests", "CPU ms per login"],
      rows: [
        ["on sockets (connect + hold)", fmt(socketsCpu), fmt(connectCpu), fmt(socketsHoldCpu), `${connected} handshakes`, fmt((1000 * socketsCpu) / n)],
        [`polling L4 every ${intervalMs / 1000} s`, fmt(pollingCpu), "-", fmt(pollingCpu), `${poll.polls} of ${expectedPolls} polls (${fmt(poll.perSec)}/s)`, fmt((1000 * pollingCpu) / n)],
      ],
    },
    ratios: [
      { name: "sockets vs polling", value: `${fmt(ratio)} (1/${fmt(1 / ratio)}): ${fmt(socketsCpu)} vs ${fmt(pollingCpu)} CPU-s` },
      { name: "CPU per socket handshake", value: `${fmt((1000 * connectCpu) / Math.max(1, connected))} ms (${connected} handshakes in ${fmt(connectCpu)} CPU-s)` },
      { name: "polls served", value: `${fmt(poll.perSec)}/s of ${fmt(n / (intervalMs / 1000))}/s asked for, ${fmt(cpuPerPollMs)} ms CPU each` },
      ...(keptUp ? [] : [{ name: "sockets vs polling, projected", value: `1/${fmt(projectedCpu / socketsCpu)}: ${fmt(socketsCpu)} vs ${fmt(projectedCpu)} CPU-s (every poll served, at the measured ${fmt(cpuPerPollMs)} ms each)` }]),
    ],
    targets: [{ name: "sockets vs polling", target: "≤ 1/10 of polling", value: `${fmt(socketsCpu)} CPU-s = 1/${fmt(1 / ratio)} of polling${keptUp ? "" : ` (1/${fmt(projectedCpu / socketsCpu)} of polling's projected need)`}`, baseline: `polling L4 every 2 s: ${fmt(pollingCpu)} CPU-s${keptUp ? "" : `, saturated: ${poll.polls} of ${expectedPolls} polls served; all would need ≈ ${fmt(projectedCpu)} CPU-s`}`, pass: ratio <= 0.1 && connected === n && dropped === 0 }],
    notes: [
      "Challenges opened with the gateway's own openChallenge (no L2/scrypt). Pages and pollers run in their own processes; only the gateway's CPU is counted.",
      "Both paths warmed up first (a few hundred pages connect and drop, then poll for 4 s), so neither pays the JIT in its window.",
      `Sockets: socket.io-client over websocket, ${pageProcs} process(es); the count includes every handshake (rate limit, app, token lookups, room join, first status); ${dropped} dropped during the hold.`,
      `Polling: each page on its own keep-alive connection, from a random phase; ${poll.polls} of ${expectedPolls} expected polls were made (${poll.late} late by more than an interval), answers ${JSON.stringify(poll.codes)}, p50 ${fmt(poll.latency.p50)} ms, p99 ${fmt(poll.latency.p99)} ms.`,
      ...(keptUp
        ? []
        : [
            `The gateway could not serve ${fmt(n / (intervalMs / 1000))} polls/s on this machine (${fmt(poll.perSec)}/s served, saturated): polling's measured CPU is capped by the window, and PASS/MISS uses that capped figure (conservative). ` +
              `At ${fmt(cpuPerPollMs)} ms per poll, all ${expectedPolls} polls would need about ${fmt(projectedCpu)} CPU-s.`,
          ]),
      ...(pendingOnly ? [] : ["Some polls did not answer 403/1295 (pending): see the answers above."]),
    ],
    chart: {
      title: `5. Gateway CPU for ${n.toLocaleString("en-US")} logins waiting ${holdMs / 1000} s`,
      subtitle: "CPU-seconds of the gateway process (lower is better)",
      panels: [
        {
          title: "gateway CPU-seconds",
          bars: [
            { label: "sockets (connect + wait)", value: socketsCpu, text: `${fmt(socketsCpu)} s (1/${fmt(1 / ratio)})`, kind: "ours" },
            { label: `polling L4 every ${intervalMs / 1000} s`, value: pollingCpu, text: `${fmt(pollingCpu)} s`, kind: "other" },
          ],
          target: { value: pollingCpu / 10, label: "target ≤ 1/10" },
        },
      ],
    },
    data: { socketsCpu, connectCpu, socketsHoldCpu, pollingCpu, cpuPerPollMs, projectedCpu, keptUp, connected, connectErrors, dropped, poll },
  };
}

export const cpu: Scenario = { id: 5, name: "cpu", title: "gateway CPU: waiting on sockets vs polling", run };

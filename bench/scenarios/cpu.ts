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
  say(S, `sockets: ${connected}/${n} connected in ${fmt(Math.max(...conn.map((c) => c.ms)) / 1000)} s`);
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
  const p0 = await gw.call<NodeJS.CpuUsage>("cpu");
  const poll = await profiled(ctx.cpuProf, gw, `${S}-gateway-polling`, () =>
    pollers.call<PollResult>("run", { urls: logins.map((l) => pingUrl(url(gw), d.apiKey, l.token)), intervalMs, durationMs: holdMs }),
  );
  const p1 = await gw.call<NodeJS.CpuUsage>("cpu");
  t.stop();

  const socketsCpu = cpuSeconds(s0, s2);
  const socketsHoldCpu = cpuSeconds(s1, s2);
  const connectCpu = cpuSeconds(s0, s1);
  const pollingCpu = cpuSeconds(p0, p1);
  const ratio = socketsCpu / pollingCpu;
  const expectedPolls = (n * holdMs) / intervalMs;
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
        [`polling L4 every ${intervalMs / 1000} s`, fmt(pollingCpu), "-", fmt(pollingCpu), `${poll.polls} polls (${fmt(poll.perSec)}/s)`, fmt((1000 * pollingCpu) / n)],
      ],
    },
    ratios: [{ name: "sockets vs polling", value: `${fmt(ratio)} (1/${fmt(1 / ratio)}): ${fmt(socketsCpu)} vs ${fmt(pollingCpu)} CPU-s` }],
    targets: [{ name: "sockets vs polling", target: "≤ 1/10 of polling", value: `1/${fmt(1 / ratio)}`, pass: ratio <= 0.1 && connected === n && dropped === 0 }],
    notes: [
      "Challenges opened with the gateway's own openChallenge (no L2/scrypt). Pages and pollers run in their own processes; only the gateway's CPU is counted.",
      "Both paths warmed up first (a few hundred pages connect and drop, then poll for 4 s), so neither pays the JIT in its window.",
      `Sockets: socket.io-client over websocket, ${pageProcs} process(es); the count includes every handshake (rate limit, app, token lookups, room join, first status); ${dropped} dropped during the hold.`,
      `Polling: each page on its own keep-alive connection, from a random phase; ${poll.polls} of ${expectedPolls} expected polls were made (${poll.late} late by more than an interval), answers ${JSON.stringify(poll.codes)}, p50 ${fmt(poll.latency.p50)} ms, p99 ${fmt(poll.latency.p99)} ms.`,
      ...(poll.polls < 0.9 * expectedPolls ? ["The pollers could not keep the 2 s pace on this machine: polling CPU is understated, the ratio is conservative."] : []),
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
    data: { socketsCpu, connectCpu, socketsHoldCpu, pollingCpu, connected, dropped, poll },
  };
}

export const cpu: Scenario = { id: 5, name: "cpu", title: "gateway CPU: waiting on sockets vs polling", run };

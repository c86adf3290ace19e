import type { Child } from "../lib/child.js";
import { connectSeeder, nativeSettings, newDeployment } from "../lib/fixtures.js";
import { answerUrl, pingUrl } from "../lib/http.js";
import { startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { hold, say, ticker } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { distinctRsaKeys } from "../lib/rsa-key-pool.js";
import { fmt, sleep } from "../lib/stats.js";

interface PollStats {
  total: number;
  inFlight: number;
  told: number;
  firstAt: number;
  lastAt: number;
  polls: number;
  codes: Record<string, number>;
}
interface ConnectResult {
  connected: number;
  failed: number;
  ms: number;
}
interface AnswerResult {
  startAt: number;
  endAt: number;
  statuses: Record<string, number>;
}
interface Side {
  held: number;
  rssIdle: number;
  rssHeld: number;
  heapIdle: number;
  heapHeld: number;
  rssPer: number;
  heapPer: number;
  told?: number;
  allToldSeconds?: number;
  polls?: number;
  codes?: Record<string, number>;
  answers?: Record<string, number>;
}

const WAIT_SECONDS = 25;
const TARGET_RSS_RATIO = 2;

/**
 * 9. Contract 2.11's long poll (L4 with `wait=`): N legacy pages each hold one request on one gateway process, vs
 * the same N pages on Socket.IO on a fresh gateway process of the same deployment: RSS and heap per held request
 * against per socket (each after a full GC, over the process's idle figure after a warm-up), then every login is
 * approved through L5 and each held request must answer Approved.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "longpoll";
  const n = ctx.quick ? 1000 : 10_000;
  const holdMs = ctx.quick ? 5000 : 15_000;
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);

  say(S, `making ${n} distinct RSA-2048 phone keys and seeding ${n} users`);
  const phones = await distinctRsaKeys(n);
  const seeder = await connectSeeder(d);
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(nativeSettings);
  // 200 more users for the warm-ups: opening a user's challenge supersedes the one before (1104).
  const all = await seeder.seedUsers(n + 200, phones);
  const users = all.slice(0, n);
  const warmUsers = all.slice(n);
  const phone = ctx.res.child(await startBenchChild(`${S}-phone`, "load/phone.ts"));
  await phone.call("loadKeys", { privateKeyPems: phones.map((p) => p.privateKeyPem) });

  const memOf = async (gw: Child) => gw.call<NodeJS.MemoryUsage>("mem");

  // Sockets: the same number of pages on the realtime channel of a fresh gateway process.
  say(S, `sockets: a fresh gateway, ${n} pages`);
  const socketSide = await (async (): Promise<Side> => {
    const logins = await seeder.openChallenges(users);
    const warm = await seeder.openChallenges(warmUsers);
    const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway-sockets`, "gateway", { exposeGc: true }));
    const procs = n > 2000 ? 2 : 1;
    const pages: Child[] = [];
    for (let i = 0; i < procs; i++) pages.push(ctx.res.child(await startBenchChild(`${S}-pages-${i}`, "load/pages.ts")));
    try {
      const auths = logins.map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token }));
      await pages[0]!.call("connect", { url: url(gw), auths: warm.map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token })), concurrency: 50 });
      await pages[0]!.call("close");
      await sleep(1000);
      const m0 = await memOf(gw);
      const conn = await Promise.all(pages.map((c, i) => c.call<ConnectResult>("connect", { url: url(gw), auths: auths.filter((_, k) => k % procs === i), concurrency: 100 })));
      const held = conn.reduce((s, c) => s + c.connected, 0);
      await hold(S, `sockets: holding ${held}`, holdMs);
      const m1 = await memOf(gw);
      await Promise.all(pages.map((c) => c.call("close")));
      return side(held, m0, m1);
    } finally {
      for (const c of pages) await c.stop();
      await gw.stop();
    }
  })();
  say(S, `sockets: ${kb(socketSide.rssPer)} KB RSS, ${kb(socketSide.heapPer)} KB heap per socket`);

  say(S, `long poll: a fresh gateway, ${n} pages each holding L4 with wait=${WAIT_SECONDS}`);
  const pollSide = await (async (): Promise<Side> => {
    const logins = await seeder.openChallenges(users);
    await phone.call("sign", { items: logins.map((l) => ({ handle: l.handle, key: l.key })) });
    const warm = await seeder.openChallenges(warmUsers);
    const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway-longpoll`, "gateway", { exposeGc: true }));
    const pollers = ctx.res.child(await startBenchChild(`${S}-pollers`, "load/long-pollers.ts"));
    try {
      // Warm-up: 200 held requests for 2 s, then gone, so code and buffers are in place before the idle figure.
      await pollers.call("hold", { urls: warm.map((l) => `${pingUrl(url(gw), d.apiKey, l.token)}&wait=2`), concurrency: 100 });
      await sleep(2500);
      await pollers.call("stop");
      await sleep(1000);
      const m0 = await memOf(gw);
      await pollers.call("hold", { urls: logins.map((l) => `${pingUrl(url(gw), d.apiKey, l.token)}&wait=${WAIT_SECONDS}`), concurrency: 200 });
      const t = ticker(S, () => "long poll: holding", 5000);
      await sleep(holdMs);
      t.stop();
      const s1 = await pollers.call<PollStats>("stats");
      const m1 = await memOf(gw);
      say(S, `long poll: ${s1.inFlight}/${n} held (${s1.polls} answered so far: ${JSON.stringify(s1.codes)}); approving all`);
      const [ans, told] = await Promise.all([
        phone.call<AnswerResult>("answer", { items: logins.map((l) => ({ url: answerUrl(url(gw), d.apiKey, l.handle), handle: l.handle })), concurrency: 64 }),
        pollers.call<PollStats>("waitTold", { timeoutMs: 120_000 }),
      ]);
      await pollers.call("stop");
      return { ...side(s1.inFlight, m0, m1), told: told.told, allToldSeconds: (told.lastAt - ans.startAt) / 1000, polls: told.polls, codes: told.codes, answers: ans.statuses };
    } finally {
      await pollers.stop();
      await gw.stop();
    }
  })();
  say(S, `long poll: ${kb(pollSide.rssPer)} KB RSS, ${kb(pollSide.heapPer)} KB heap per held request; ${pollSide.told}/${n} told`);

  const rssRatio = pollSide.rssPer / socketSide.rssPer;
  // Below a few thousand pages RSS moves by whole V8 pages and allocator arenas: no per-page ratio.
  const measurable = socketSide.rssHeld - socketSide.rssIdle > 16 * 2 ** 20;
  const heapRatio = pollSide.heapPer / socketSide.heapPer;
  const mb = (b: number) => fmt(b / 2 ** 20);
  const row = (label: string, x: Side) => [label, String(x.held), mb(x.rssIdle), mb(x.rssHeld), kb(x.rssPer), kb(x.heapPer), x.told === undefined ? "-" : `${x.told}/${n}`, x.allToldSeconds === undefined ? "-" : fmt(x.allToldSeconds)];
  return {
    id: 9,
    name: S,
    title: `${n.toLocaleString("en-US")} long-polling pages (L4 with wait=) held on one gateway process vs as many sockets`,
    params: { pages: n, holdSeconds: holdMs / 1000, waitSeconds: WAIT_SECONDS, heldCapPerNode: 10_000 },
    table: {
      columns: ["waiting pages on", "held", "RSS idle MB", "RSS held MB", "RSS KB each", "heap KB each", "told Approved", "approvals: first L5 → last told, s"],
      rows: [row("Socket.IO (the realtime channel)", socketSide), row(`L4 with wait=${WAIT_SECONDS} (long poll)`, pollSide)],
    },
    ratios: [
      { name: "RSS per held request vs per socket", value: `${fmt(rssRatio)}× (${kb(pollSide.rssPer)} / ${kb(socketSide.rssPer)} KB)` },
      { name: "heap per held request vs per socket", value: `${fmt(heapRatio)}× (${kb(pollSide.heapPer)} / ${kb(socketSide.heapPer)} KB)` },
    ],
    targets: [
      { name: "held requests on one process", target: `${n.toLocaleString("en-US")} held, all told`, value: `${pollSide.held} held, ${pollSide.told}/${n} told Approved`, baseline: `sockets: ${socketSide.held} held`, pass: pollSide.held >= n && pollSide.told === n },
      { name: "RSS per held request", target: `≤ ${TARGET_RSS_RATIO}× a socket's`, value: measurable ? `${kb(pollSide.rssPer)} KB = ${fmt(rssRatio)}× a socket's` : `${kb(pollSide.rssPer)} KB (not comparable: the sockets' RSS grew under 16 MiB at this size)`, baseline: `a waiting socket on the same gateway: ${kb(socketSide.rssPer)} KB`, pass: measurable ? rssRatio <= TARGET_RSS_RATIO : null },
    ],
    notes: [
      "Two fresh gateway processes of one deployment, one after the other: one holds the pages' sockets, the other their long polls; challenges opened with openChallenge (no L2/scrypt).",
      `Long-polling pages (bench/load/long-pollers.ts): one keep-alive connection each, L4 with wait=${WAIT_SECONDS}, asking again at once when answered "still pending"; all in one load process.`,
      "RSS and heap per page: (held − idle after a warm-up of 200 pages), each after a full GC (--expose-gc), ÷ pages held. A held request is a TCP connection, Node's HTTP parser and request/response, Express's request state and the wait's listener on the challenge's room (a virtual member of the Socket.IO adapter's room, so it shares the room's channel subscription).",
      `The node's held-request cap (HELD_PINGS_PER_NODE) is 10,000: this scenario fills it. Answers to L5: ${JSON.stringify(pollSide.answers ?? {})}; polls answered: ${JSON.stringify(pollSide.codes ?? {})}.`,
    ],
    chart: {
      title: `9. ${n.toLocaleString("en-US")} waiting pages on one process: long poll vs socket`,
      subtitle: `memory per waiting page, after a full GC (lower is better); L4 with wait=${WAIT_SECONDS}`,
      legend: { baseline: "Socket.IO page on the same gateway" },
      panels: [
        {
          title: "RSS per waiting page, KB",
          bars: [
            { label: "long poll (held L4)", value: pollSide.rssPer / 1024, text: `${kb(pollSide.rssPer)} KB (${fmt(rssRatio)}×)`, kind: "ours" },
            { label: "socket", value: socketSide.rssPer / 1024, text: `${kb(socketSide.rssPer)} KB`, kind: "baseline" },
          ],
          target: { value: (TARGET_RSS_RATIO * socketSide.rssPer) / 1024, label: `target ≤ ${TARGET_RSS_RATIO}× a socket` },
        },
        {
          title: "JS heap per waiting page, KB",
          bars: [
            { label: "long poll (held L4)", value: pollSide.heapPer / 1024, text: `${kb(pollSide.heapPer)} KB (${fmt(heapRatio)}×)`, kind: "ours" },
            { label: "socket", value: socketSide.heapPer / 1024, text: `${kb(socketSide.heapPer)} KB`, kind: "baseline" },
          ],
        },
      ],
    },
    data: { sockets: socketSide, longPoll: pollSide },
  };
}

function side(held: number, m0: NodeJS.MemoryUsage, m1: NodeJS.MemoryUsage): Side {
  return {
    held,
    rssIdle: m0.rss,
    rssHeld: m1.rss,
    heapIdle: m0.heapUsed,
    heapHeld: m1.heapUsed,
    rssPer: (m1.rss - m0.rss) / Math.max(1, held),
    heapPer: (m1.heapUsed - m0.heapUsed) / Math.max(1, held),
  };
}

const kb = (bytes: number): string => fmt(bytes / 1024);

export const longpoll: Scenario = { id: 9, name: "longpoll", title: "10k long-polling pages held on one process vs sockets", run };

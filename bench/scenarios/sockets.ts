import { randomUUID } from "node:crypto";
import type { Child } from "../lib/child.js";
import { connectSeeder, nativeSettings, newDeployment } from "../lib/fixtures.js";
import { answerUrl } from "../lib/http.js";
import { profiled, startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { hold, say, ticker } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { distinctRsaKeys } from "../lib/rsa-key-pool.js";
import { fmt, median, sleep } from "../lib/stats.js";

interface ConnectResult {
  connected: number;
  failed: number;
  errors: Record<string, number>;
  ms: number;
}
interface PageStats {
  total: number;
  told: number;
  withLogin: number;
  firstAt: number;
  lastAt: number;
  disconnected: number;
  other: number;
}
interface AnswerResult {
  startAt: number;
  endAt: number;
  statuses: Record<string, number>;
  latency: { p50: number; p99: number };
}

interface Side {
  connected: number;
  connectFailed: number;
  connectSeconds: number;
  droppedDuringHold: number;
  told: number;
  withLogin: number;
  approvalsPerSec: number;
  /** Server process CPU during the approvals ÷ pages told. */
  cpuMsPerApproval: number;
  answerStatuses: Record<string, number>;
  answerP50: number;
  rssIdle: number;
  rssHeld: number;
  heapIdle: number;
  heapHeld: number;
  rssPerSocket: number;
  /** JS heap used (after a full GC) per socket: what the process's own objects cost, without allocator slack. */
  heapPerSocket: number;
}

/** One round: the bare server, then the gateway, each in a fresh process, with the same pages and phones. */
interface Pair {
  bare: Side;
  gateway: Side;
}

/**
 * 3. N pages wait on one gateway process for a while, then all are approved (L5, through the same process), vs
 * the same sockets on a bare Socket.IO server (same adapter) whose rooms are emitted to by the same PUTs.
 * Interleaved rounds (bare, gateway, bare, gateway…), each server a fresh process, so that a noisy neighbour or
 * a drift in the machine hits both alike; the medians over the rounds are reported.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "sockets";
  const n = ctx.quick ? 1000 : 10_000;
  const holdMs = ctx.quick ? 10_000 : 60_000;
  const rounds = ctx.quick ? 2 : 3;
  const pageProcs = n > 2000 ? 2 : 1;
  const answerConcurrency = 64;
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);

  // Every user answers once per round, each with a key of its own, on a gateway process started for the round:
  // each answer parses its key (the parsed-key cache holds 10,000 and starts empty, so it cannot hit).
  say(S, `making ${n} distinct RSA-2048 phone keys`);
  const phones = await distinctRsaKeys(n);
  const seeder = await connectSeeder(d);
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(nativeSettings);
  say(S, `seeding ${n} users`);
  const users = await seeder.seedUsers(n, phones, { onProgress: (k) => k % 5000 === 0 && say(S, `  ${k} users`) });

  const phoneChild = ctx.res.child(await startBenchChild(`${S}-phone`, "load/phone.ts"));
  await phoneChild.call("loadKeys", { privateKeyPems: phones.map((p) => p.privateKeyPem) });

  const pagesChildren: Child[] = [];
  for (let i = 0; i < pageProcs; i++) pagesChildren.push(ctx.res.child(await startBenchChild(`${S}-pages-${i}`, "load/pages.ts")));
  const split = <T>(xs: T[]): T[][] => pagesChildren.map((_, i) => xs.filter((__, k) => k % pageProcs === i));
  const counts = new Map<Child, number>();
  const sumCounts = () => [...counts.values()].reduce((a, b) => a + b, 0);
  for (const c of pagesChildren) c.on("progress", (p) => counts.set(c, (p as { connected?: number; told?: number }).connected ?? (p as { told?: number }).told ?? 0));

  const side = async (name: string, server: Child, auths: Array<Record<string, unknown>>, answers: Array<{ url: string; handle: string }>, profile: boolean): Promise<Side> => {
    // Warm-up: connect and drop a few pages first, so code, pools and buffers are in place before the baseline RSS.
    const warm = auths.slice(0, Math.min(200, auths.length));
    await pagesChildren[0]!.call<ConnectResult>("connect", { url: url(server), auths: warm, concurrency: 50 });
    await pagesChildren[0]!.call("close");
    await sleep(1000);
    const mem0 = await server.call<NodeJS.MemoryUsage>("mem");
    say(S, `${name}: connecting ${n} pages from ${pageProcs} process(es)`);
    counts.clear();
    const t = ticker(S, () => `${name}: ${sumCounts()}/${n}`, 4000);
    const parts = split(auths);
    const conn = await Promise.all(pagesChildren.map((c, i) => c.call<ConnectResult>("connect", { url: url(server), auths: parts[i]!, concurrency: 100 })));
    t.stop();
    const connected = conn.reduce((s, c) => s + c.connected, 0);
    const connectFailed = conn.reduce((s, c) => s + c.failed, 0);
    const connectSeconds = Math.max(...conn.map((c) => c.ms)) / 1000;
    say(S, `${name}: ${connected} pages connected in ${fmt(connectSeconds)} s (${connectFailed} failed${connectFailed ? `: ${JSON.stringify(conn.map((c) => c.errors))}` : ""})`);
    await hold(S, `${name}: holding ${n} waiting pages`, holdMs);
    const mem1 = await server.call<NodeJS.MemoryUsage>("mem");
    const before = await Promise.all(pagesChildren.map((c) => c.call<PageStats>("stats")));
    const droppedDuringHold = before.reduce((s, x) => s + x.disconnected, 0);
    say(S, `${name}: approving all ${answers.length} (concurrency ${answerConcurrency})`);
    counts.clear();
    const t2 = ticker(S, () => `${name}: ${sumCounts()}/${connected} pages told`, 3000);
    const cpu0 = await server.call<NodeJS.CpuUsage>("cpu");
    const [ans, ...after] = await profiled(profile, server, `${S}-${name.split(" ")[0]}-approvals`, () =>
      Promise.all([
        phoneChild.call<AnswerResult>("answer", { items: answers, concurrency: answerConcurrency }),
        ...pagesChildren.map((c) => c.call<PageStats>("waitApproved", { timeoutMs: 180_000 })),
      ]),
    );
    const cpu1 = await server.call<NodeJS.CpuUsage>("cpu");
    t2.stop();
    const told = after.reduce((s, x) => s + x.told, 0);
    const lastAt = Math.max(...after.map((x) => x.lastAt));
    await Promise.all(pagesChildren.map((c) => c.call("close")));
    const approvalsPerSec = told / ((lastAt - ans!.startAt) / 1000);
    say(S, `${name}: ${told}/${connected} told, ${fmt(approvalsPerSec)} approvals/s, ${kb(mem1.rss - mem0.rss, connected)} KB RSS and ${kb(mem1.heapUsed - mem0.heapUsed, connected)} KB heap per socket`);
    return {
      connected,
      connectFailed,
      connectSeconds,
      droppedDuringHold,
      told,
      withLogin: after.reduce((s, x) => s + x.withLogin, 0),
      approvalsPerSec,
      cpuMsPerApproval: (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000 / Math.max(1, told),
      answerStatuses: ans!.statuses,
      answerP50: ans!.latency.p50,
      rssIdle: mem0.rss,
      rssHeld: mem1.rss,
      heapIdle: mem0.heapUsed,
      heapHeld: mem1.heapUsed,
      rssPerSocket: (mem1.rss - mem0.rss) / Math.max(1, connected),
      heapPerSocket: (mem1.heapUsed - mem0.heapUsed) / Math.max(1, connected),
    };
  };

  const bareRun = async (r: number): Promise<Side> => {
    say(S, `round ${r}/${rounds}: a fresh bare Socket.IO server`);
    const bare = ctx.res.child(await startBenchChild(`${S}-bare-r${r}`, "nodes/bare-socket-node.ts", [`${d.prefix}-bare:sio`], { exposeGc: true }));
    const rooms = users.map(() => `r-${randomUUID()}`);
    // The bare server checks nothing: its PUTs carry a dummy signature of the same length.
    const handles = users.map(() => randomUUID());
    try {
      return await side(`bare ${r}`, bare, rooms.map((room) => ({ room })), rooms.map((room, i) => ({ url: `${url(bare)}/emit?room=${encodeURIComponent(room)}`, handle: handles[i]! })), ctx.cpuProf && r === rounds);
    } finally {
      await bare.stop();
    }
  };

  const gatewayRun = async (r: number): Promise<Side> => {
    say(S, `round ${r}/${rounds}: opening ${n} challenges directly (openChallenge, no scrypt) and signing their answers (outside the measured window)`);
    const logins = await seeder.openChallenges(users, { onProgress: (k) => k % 5000 === 0 && say(S, `  ${k} challenges`) });
    await phoneChild.call("sign", { items: logins.map((l) => ({ handle: l.handle, key: l.key })) });
    say(S, `round ${r}/${rounds}: a fresh gateway process`);
    const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway-r${r}`, "gateway", { exposeGc: true }));
    try {
      return await side(
        `gateway ${r}`,
        gw,
        logins.map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token })),
        logins.map((l) => ({ url: answerUrl(url(gw), d.apiKey, l.handle), handle: l.handle })),
        ctx.cpuProf && r === rounds,
      );
    } finally {
      await gw.stop();
    }
  };

  const pairs: Pair[] = [];
  for (let r = 1; r <= rounds; r++) {
    const bare = await bareRun(r);
    pairs.push({ bare, gateway: await gatewayRun(r) });
  }

  /** A side's figure, the median over rounds. */
  const med = (side: keyof Pair, f: (s: Side) => number) => median(pairs.map((p) => f(p[side])));
  /** gateway ÷ bare, per round, then the median of those ratios. */
  const pairRatio = (f: (s: Side) => number) => median(pairs.map((p) => f(p.gateway) / f(p.bare)));
  const G = { approvalsPerSec: med("gateway", (s) => s.approvalsPerSec), cpuMsPerApproval: med("gateway", (s) => s.cpuMsPerApproval), rssPerSocket: med("gateway", (s) => s.rssPerSocket), heapPerSocket: med("gateway", (s) => s.heapPerSocket), answerP50: med("gateway", (s) => s.answerP50) };
  const B = { approvalsPerSec: med("bare", (s) => s.approvalsPerSec), cpuMsPerApproval: med("bare", (s) => s.cpuMsPerApproval), rssPerSocket: med("bare", (s) => s.rssPerSocket), heapPerSocket: med("bare", (s) => s.heapPerSocket) };
  const approvalsRatio = pairRatio((s) => s.approvalsPerSec);
  const rssRatio = pairRatio((s) => s.rssPerSocket);
  const heapRatio = pairRatio((s) => s.heapPerSocket);
  const expected = n * rounds;
  const gTold = pairs.reduce((a, p) => a + p.gateway.told, 0);
  const gWithLogin = pairs.reduce((a, p) => a + p.gateway.withLogin, 0);
  const bTold = pairs.reduce((a, p) => a + p.bare.told, 0);
  const toldPct = (100 * gTold) / expected;
  const bToldPct = (100 * bTold) / expected;
  const answerStatuses = pairs.reduce<Record<string, number>>((acc, p) => {
    for (const [k, v] of Object.entries(p.gateway.answerStatuses)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
  // Below a few thousand sockets RSS moves by whole V8 pages and allocator arenas: no per-socket figure.
  const measurable = pairs.every((p) => p.bare.rssHeld - p.bare.rssIdle > 16 * 2 ** 20);
  const mb = (b: number) => fmt(b / 2 ** 20);
  const perRound = (f: (p: Pair) => string) => pairs.map((p, i) => `${i + 1}: ${f(p)}`).join(", ");
  const row = (label: string, x: Side) => [label, String(x.connected), fmt(x.connectSeconds), String(x.droppedDuringHold), `${x.told} (${fmt((100 * x.told) / n)}%)`, fmt(x.approvalsPerSec), fmt(x.cpuMsPerApproval), mb(x.rssIdle), mb(x.rssHeld), kb(x.rssPerSocket), kb(x.heapPerSocket)];
  return {
    id: 3,
    name: S,
    title: `${n.toLocaleString("en-US")} waiting pages on one gateway process held ${holdMs / 1000} s, then all approved (median of ${rounds} interleaved rounds)`,
    params: { pages: n, holdSeconds: holdMs / 1000, rounds, order: "bare, gateway, … (fresh process each)", pageProcesses: pageProcs, answerConcurrency, transport: "websocket", distinctPhoneKeys: n, keyCacheHitRate: "0%" },
    table: {
      columns: ["run (in order)", "connected", "connect s", "dropped in hold", "told", "approvals/s", "CPU ms/approval", "RSS idle MB", "RSS held MB", "RSS KB/socket", "heap KB/socket"],
      rows: [
        ...pairs.flatMap((p, i) => [row(`${i + 1}. bare Socket.IO`, p.bare), row(`${i + 1}. gateway (1 process)`, p.gateway)]),
        ["median gateway", "", "", "", `${fmt(toldPct)}% (all rounds)`, fmt(G.approvalsPerSec), fmt(G.cpuMsPerApproval), "", "", kb(G.rssPerSocket), kb(G.heapPerSocket)],
        ["median bare", "", "", "", `${fmt(bToldPct)}% (all rounds)`, fmt(B.approvalsPerSec), fmt(B.cpuMsPerApproval), "", "", kb(B.rssPerSocket), kb(B.heapPerSocket)],
      ],
    },
    ratios: [
      { name: "told", value: `${gTold}/${expected} pages over ${rounds} rounds, ${gWithLogin} with the login response` },
      { name: "approvals/s", value: `median ${fmt(G.approvalsPerSec)}/s, bare emit ${fmt(B.approvalsPerSec)}/s; per round gateway ÷ bare ${perRound((p) => `${fmt((100 * p.gateway.approvalsPerSec) / p.bare.approvalsPerSec)}%`)}, median ${fmt(100 * approvalsRatio)}%` },
      {
        name: "RSS per socket",
        value: `median ${kb(G.rssPerSocket)} KB vs bare ${kb(B.rssPerSocket)} KB; ${measurable ? `per round ${perRound((p) => `${fmt(p.gateway.rssPerSocket / p.bare.rssPerSocket)}×`)}, median ${fmt(rssRatio)}× the bare server's` : "no ratio: the bare server's RSS grew under 16 MiB at this size"}`,
      },
      { name: "heap per socket", value: `median ${kb(G.heapPerSocket)} KB vs bare ${kb(B.heapPerSocket)} KB; per round ${perRound((p) => `${fmt(p.gateway.heapPerSocket / p.bare.heapPerSocket)}×`)}, median ${fmt(heapRatio)}× the bare server's` },
    ],
    targets: [
      { name: "told", target: "100% told", value: `${fmt(toldPct)}% (${gTold}/${expected} over ${rounds} rounds, ${gWithLogin} with the login)`, baseline: `bare: ${fmt(bToldPct)}%`, pass: gTold === expected && gWithLogin === expected },
      { name: "approvals/s", target: "≥ 1000 approvals/s", value: `${fmt(G.approvalsPerSec)}/s (${fmt(G.cpuMsPerApproval)} ms CPU each)`, baseline: `bare PUT → emit: ${fmt(B.approvalsPerSec)}/s (${fmt(B.cpuMsPerApproval)} ms CPU each)`, pass: G.approvalsPerSec >= 1000 },
      {
        name: "RSS per socket",
        target: "≤ 1.2× the bare server's",
        value: measurable ? `${kb(G.rssPerSocket)} KB = ${fmt(rssRatio)}× bare` : `${kb(G.rssPerSocket)} KB (not comparable: the bare server's RSS grew under 16 MiB at this size)`,
        baseline: `bare Socket.IO: ${kb(B.rssPerSocket)} KB per socket`,
        pass: measurable ? rssRatio <= 1.2 : null,
      },
      { name: "heap per socket", target: "report", value: `${kb(G.heapPerSocket)} KB = ${fmt(heapRatio)}× bare`, baseline: `bare Socket.IO: ${kb(B.heapPerSocket)} KB per socket`, pass: null },
    ],
    notes: [
      "Challenges opened with the gateway's own openChallenge (no L2/scrypt); every approval is a real signed L5 PUT to the same gateway process.",
      `Rounds interleaved: bare, gateway, bare, gateway…, each server a fresh process (its own warm-up); figures are medians over the ${rounds} rounds, ratios the median of each round's gateway ÷ bare.`,
      `Phone keys: ${n} distinct RSA-2048 keys, one per user; each round's gateway process starts with an empty parsed-key cache and sees each key once: the cache is designed to hit 0% of answers (every answer parses its key).`,
      `Approvals/s: from the first L5 sent to the last page told; answers at concurrency ${answerConcurrency}, signatures made beforehand. Answers: ${JSON.stringify(answerStatuses)}, L5 p50 ${fmt(G.answerP50)} ms (median of rounds).`,
      "RSS and heap per socket: (after the hold − before, after a warm-up of 200 pages connected and dropped), each after a full GC (--expose-gc), ÷ connected pages. Heap is V8's heapUsed (the process's own objects); RSS adds buffers and allocator slack.",
      `Server CPU per approval (process CPU during the approvals ÷ pages told): gateway ${fmt(G.cpuMsPerApproval)} ms, bare ${fmt(B.cpuMsPerApproval)} ms; one core would then cap approvals at about ${fmt(1000 / G.cpuMsPerApproval)}/s (bare ${fmt(1000 / B.cpuMsPerApproval)}/s).`,
      `Pages: socket.io-client, websocket transport only, ${pageProcs} process(es), no reconnection (a drop counts).`,
    ],
    chart: {
      title: `3. ${n.toLocaleString("en-US")} waiting pages on one process, then all approved`,
      subtitle: `held ${holdMs / 1000} s; the same sockets on a bare Socket.IO server (same sharded adapter) as baseline; medians of ${rounds} interleaved rounds`,
      panels: [
        {
          title: "approvals per second, first answer → last page told (higher is better)",
          bars: [
            { label: "gateway: L5 → page", value: G.approvalsPerSec, text: `${fmt(G.approvalsPerSec)}/s`, kind: "ours" },
            { label: "bare: PUT → emit → page", value: B.approvalsPerSec, text: `${fmt(B.approvalsPerSec)}/s`, kind: "baseline" },
          ],
          target: { value: 1000, label: "target ≥ 1000/s" },
        },
        {
          title: "RSS per waiting socket, KB (lower is better)",
          bars: [
            { label: "gateway", value: G.rssPerSocket / 1024, text: `${kb(G.rssPerSocket)} KB (${fmt(rssRatio)}×)`, kind: "ours" },
            { label: "bare Socket.IO", value: B.rssPerSocket / 1024, text: `${kb(B.rssPerSocket)} KB`, kind: "baseline" },
          ],
          target: { value: (1.2 * B.rssPerSocket) / 1024, label: "target ≤ 1.2× bare" },
        },
        {
          title: "JS heap per waiting socket after GC, KB (lower is better)",
          bars: [
            { label: "gateway", value: G.heapPerSocket / 1024, text: `${kb(G.heapPerSocket)} KB (${fmt(heapRatio)}×)`, kind: "ours" },
            { label: "bare Socket.IO", value: B.heapPerSocket / 1024, text: `${kb(B.heapPerSocket)} KB`, kind: "baseline" },
          ],
        },
        {
          title: "pages told Approved (%)",
          bars: [
            { label: "gateway", value: toldPct, text: `${fmt(toldPct)}% (${gTold}/${expected})`, kind: "ours" },
            { label: "bare Socket.IO", value: bToldPct, text: `${fmt(bToldPct)}%`, kind: "baseline" },
          ],
        },
      ],
    },
    data: { rounds: pairs, median: { gateway: G, bare: B, approvalsRatio, rssRatio, heapRatio } },
  };
}

/** Bytes per socket as KB for a table (`per` sockets when the bytes are a total). */
const kb = (bytes: number, per = 1): string => fmt(bytes / Math.max(1, per) / 1024);

export const sockets: Scenario = { id: 3, name: "sockets", title: "10k waiting pages, held, then all approved", run };

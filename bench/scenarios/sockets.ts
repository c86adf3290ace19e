import { randomUUID } from "node:crypto";
import type { Child } from "../lib/child.js";
import { connectSeeder, nativeSettings, newDeployment, newPhone } from "../lib/fixtures.js";
import { answerUrl } from "../lib/http.js";
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
  heapPerSocket: number;
}

/**
 * 3. N pages wait on one gateway process for a while, then all are approved (L5, through the same process), vs
 * the same sockets on a bare Socket.IO server (same adapter) whose rooms are emitted to by the same PUTs.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "sockets";
  const n = ctx.quick ? 1000 : 10_000;
  const holdMs = ctx.quick ? 10_000 : 60_000;
  const pageProcs = n > 2000 ? 2 : 1;
  const answerConcurrency = 64;
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);
  const phone = newPhone();

  const seeder = await connectSeeder(d);
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(nativeSettings);
  say(S, `seeding ${n} users`);
  const users = await seeder.seedUsers(n, phone, { onProgress: (k) => k % 5000 === 0 && say(S, `  ${k} users`) });
  say(S, `opening ${n} challenges directly (openChallenge, no scrypt)`);
  const logins = await seeder.openChallenges(users, { onProgress: (k) => k % 2000 === 0 && say(S, `  ${k} challenges`) });

  const phoneChild = ctx.res.child(await startBenchChild(`${S}-phone`, "load/phone.ts"));
  say(S, `signing ${n} answers ahead of time (RSA-2048, outside the measured window)`);
  const bareHandles = logins.map(() => randomUUID());
  // The bare server checks nothing: its PUTs carry a dummy signature of the same length.
  await phoneChild.call("sign", { privateKeyPem: phone.privateKeyPem, handles: logins.map((l) => l.handle) });

  const pagesChildren: Child[] = [];
  for (let i = 0; i < pageProcs; i++) pagesChildren.push(ctx.res.child(await startBenchChild(`${S}-pages-${i}`, "load/pages.ts")));
  const split = <T>(xs: T[]): T[][] => pagesChildren.map((_, i) => xs.filter((__, k) => k % pageProcs === i));

  const side = async (name: string, server: Child, auths: Array<Record<string, unknown>>, answers: Array<{ url: string; handle: string }>): Promise<Side> => {
    // Warm-up: connect and drop a few pages first, so code, pools and buffers are in place before the baseline RSS.
    const warm = auths.slice(0, Math.min(200, auths.length));
    await pagesChildren[0]!.call<ConnectResult>("connect", { url: url(server), auths: warm, concurrency: 50 });
    await pagesChildren[0]!.call("close");
    await sleep(1000);
    const mem0 = await server.call<NodeJS.MemoryUsage>("mem");
    say(S, `${name}: connecting ${n} pages from ${pageProcs} process(es)`);
    const counts = new Map<Child, number>();
    for (const c of pagesChildren) c.on("progress", (p) => counts.set(c, (p as { connected?: number; told?: number }).connected ?? (p as { told?: number }).told ?? 0));
    const t = ticker(S, () => `${name}: ${[...counts.values()].reduce((a, b) => a + b, 0)}/${n}`, 4000);
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
    const t2 = ticker(S, () => `${name}: ${[...counts.values()].reduce((a, b) => a + b, 0)}/${connected} pages told`, 3000);
    const cpu0 = await server.call<NodeJS.CpuUsage>("cpu");
    const [ans, ...after] = await profiled(ctx.cpuProf, server, `${S}-${name}-approvals`, () =>
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
    say(S, `${name}: ${told}/${connected} told, ${fmt(approvalsPerSec)} approvals/s`);
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

  say(S, "starting the gateway (one process)");
  const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway`, "gateway", { exposeGc: true }));
  const G = await side(
    "gateway",
    gw,
    logins.map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token })),
    logins.map((l) => ({ url: answerUrl(url(gw), d.apiKey, l.handle), handle: l.handle })),
  );
  await gw.stop();

  say(S, "starting the bare Socket.IO server");
  const bare = ctx.res.child(await startBenchChild(`${S}-bare`, "nodes/bare-socket-node.ts", [`${d.prefix}-bare:sio`], { exposeGc: true }));
  const rooms = logins.map(() => `r-${randomUUID()}`);
  const B = await side(
    "bare",
    bare,
    rooms.map((room) => ({ room })),
    rooms.map((room, i) => ({ url: `${url(bare)}/emit?room=${encodeURIComponent(room)}`, handle: bareHandles[i]! })),
  );
  await bare.stop();

  const toldPct = (100 * G.told) / n;
  const rssRatio = G.rssPerSocket / B.rssPerSocket;
  // Below a few thousand sockets RSS moves by whole V8 pages and allocator arenas: no per-socket figure.
  const measurable = B.rssHeld - B.rssIdle > 16 * 2 ** 20;
  const kb = (b: number) => fmt(b / 1024);
  const mb = (b: number) => fmt(b / 2 ** 20);
  return {
    id: 3,
    name: S,
    title: `${n.toLocaleString("en-US")} waiting pages on one gateway process held ${holdMs / 1000} s, then all approved`,
    params: { pages: n, holdSeconds: holdMs / 1000, pageProcesses: pageProcs, answerConcurrency, transport: "websocket" },
    table: {
      columns: ["server", "connected", "connect s", "dropped in hold", "told", "approvals/s", "RSS idle MB", "RSS held MB", "RSS KB/socket", "heap KB/socket"],
      rows: [
        ["gateway (1 process)", String(G.connected), fmt(G.connectSeconds), String(G.droppedDuringHold), `${G.told} (${fmt(toldPct)}%)`, fmt(G.approvalsPerSec), mb(G.rssIdle), mb(G.rssHeld), kb(G.rssPerSocket), kb(G.heapPerSocket)],
        ["bare Socket.IO", String(B.connected), fmt(B.connectSeconds), String(B.droppedDuringHold), `${B.told} (${fmt((100 * B.told) / n)}%)`, fmt(B.approvalsPerSec), mb(B.rssIdle), mb(B.rssHeld), kb(B.rssPerSocket), kb(B.heapPerSocket)],
      ],
    },
    ratios: [
      { name: "told", value: `${G.told}/${n} pages, ${G.withLogin} with the login response` },
      { name: "approvals/s", value: `${fmt(G.approvalsPerSec)} (bare emit ${fmt(B.approvalsPerSec)}/s: ${fmt((100 * G.approvalsPerSec) / B.approvalsPerSec)}%)` },
      { name: "RSS per socket", value: `${fmt(rssRatio)}× the bare server's (${kb(G.rssPerSocket)} / ${kb(B.rssPerSocket)} KB)` },
    ],
    targets: [
      { name: "told", target: "100% told", value: `${fmt(toldPct)}% (${G.told}/${n}, ${G.withLogin} with the login)`, baseline: `bare: ${fmt((100 * B.told) / n)}%`, pass: G.told === n && G.withLogin === n },
      { name: "approvals/s", target: "≥ 1000 approvals/s", value: `${fmt(G.approvalsPerSec)}/s (${fmt(G.cpuMsPerApproval)} ms CPU each)`, baseline: `bare PUT → emit: ${fmt(B.approvalsPerSec)}/s (${fmt(B.cpuMsPerApproval)} ms CPU each)`, pass: G.approvalsPerSec >= 1000 },
      {
        name: "RSS per socket",
        target: "≤ 1.5× the bare server's",
        value: measurable ? `${kb(G.rssPerSocket)} KB = ${fmt(rssRatio)}× bare` : `${kb(G.rssPerSocket)} KB (not comparable: the bare server's RSS grew under 16 MiB at this size)`,
        baseline: `bare Socket.IO: ${kb(B.rssPerSocket)} KB per socket`,
        pass: measurable ? rssRatio <= 1.5 : null,
      },
    ],
    notes: [
      "Challenges opened with the gateway's own openChallenge (no L2/scrypt); every approval is a real signed L5 PUT to the same gateway process.",
      `Approvals/s: from the first L5 sent to the last page told; answers at concurrency ${answerConcurrency}, signatures made beforehand. Answers: ${JSON.stringify(G.answerStatuses)}, L5 p50 ${fmt(G.answerP50)} ms.`,
      "RSS per socket: (RSS after the hold − RSS before, after a warm-up of 200 pages connected and dropped), each after a full GC (--expose-gc), ÷ connected pages.",
      `Server CPU per approval (process CPU during the approvals ÷ pages told): gateway ${fmt(G.cpuMsPerApproval)} ms, bare ${fmt(B.cpuMsPerApproval)} ms; one core would then cap approvals at about ${fmt(1000 / G.cpuMsPerApproval)}/s (bare ${fmt(1000 / B.cpuMsPerApproval)}/s).`,
      `Pages: socket.io-client, websocket transport only, ${pageProcs} process(es), no reconnection (a drop counts).`,
    ],
    chart: {
      title: `3. ${n.toLocaleString("en-US")} waiting pages on one process, then all approved`,
      subtitle: `held ${holdMs / 1000} s; the same sockets on a bare Socket.IO server (same sharded adapter) as baseline`,
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
          target: { value: (1.5 * B.rssPerSocket) / 1024, label: "target ≤ 1.5× bare" },
        },
        {
          title: "pages told Approved (%)",
          bars: [
            { label: "gateway", value: toldPct, text: `${fmt(toldPct)}% (${G.told}/${n})`, kind: "ours" },
            { label: "bare Socket.IO", value: (100 * B.told) / n, text: `${fmt((100 * B.told) / n)}%`, kind: "baseline" },
          ],
        },
      ],
    },
    data: { gateway: G, bare: B },
  };
}

export const sockets: Scenario = { id: 3, name: "sockets", title: "10k waiting pages, held, then all approved", run };

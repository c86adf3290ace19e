import type { Child } from "../lib/child.js";
import { connectSeeder, nativeSettings, newDeployment, newPhone } from "../lib/fixtures.js";
import { answerUrl } from "../lib/http.js";
import { coreTimes, coresBusy, redisCpuMs } from "../lib/machine-cpu.js";
import { startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { say } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { distinctRsaKeys } from "../lib/rsa-key-pool.js";
import { readSlope } from "../lib/slope.js";
import { fmt, sleep } from "../lib/stats.js";
import { randomUUID } from "node:crypto";
import { pushesVsWorkers } from "./growth-pushes.js";

interface ConnectResult {
  connected: number;
  failed: number;
  ms: number;
}
interface PageStats {
  total: number;
  told: number;
  lastAt: number;
}
interface AnswerResult {
  startAt: number;
  statuses: Record<string, number>;
}
interface MemStep {
  pages: number;
  gatewayRss: number;
  gatewayHeap: number;
  bareRss: number;
  bareHeap: number;
}
interface ScaleStep {
  gateways: number;
  approvals: number;
  told: number;
  approvalsPerSec: number;
  /** All gateway processes' CPU during the approvals ÷ pages told. */
  cpuMsPerApproval: number;
  /** Redis's CPU (INFO cpu) over the same window ÷ pages told. */
  redisCpuMsPerApproval: number;
  /** Cores busy on average over the window (/proc/stat). */
  coresBusy: number;
  statuses: Record<string, number>;
}

/**
 * 11. Growth: (a) approvals/s as gateway processes are added (1, 2, 3 on this machine's 2 cores), each page on one
 * process and its phone's L5 on another (any process serves any answer), every process fresh with a cold
 * parsed-key cache; (b) pushes/s through SNS as worker processes are added (1, 2, 4; growth-pushes.ts); (c) memory
 * of one gateway process as waiting pages grow (1k … 18k), beside a bare Socket.IO server holding as many; the
 * slope between steps is the per-page cost. Beside each rate, the CPU per item of the processes, of Redis, and how
 * many of the cores were busy: where a curve bends, that says whether the cores ran out.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "growth";
  const approvals = ctx.quick ? 1000 : 4000;
  const scale = [1, 2, 3];
  const workerCounts = [1, 2, 4];
  const pushes = ctx.quick ? 1000 : 4000;
  // 18,000 at most: this container's hard limit on open files is 20,000 per process (not raisable here), and a page is one.
  const steps = ctx.quick ? [500, 1000, 2000] : [1000, 2000, 5000, 10_000, 18_000];
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);
  const seeder = await connectSeeder(d);
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(nativeSettings);

  const pagesChildren: Child[] = [];
  for (let i = 0; i < 2; i++) pagesChildren.push(ctx.res.child(await startBenchChild(`${S}-pages-${i}`, "load/pages.ts")));

  // (a) approvals/s vs gateway processes.
  say(S, `approvals: ${approvals} users with distinct keys`);
  const phones = await distinctRsaKeys(approvals);
  const users = await seeder.seedUsers(approvals, phones);
  const phone = ctx.res.child(await startBenchChild(`${S}-phone`, "load/phone.ts"));
  await phone.call("loadKeys", { privateKeyPems: phones.map((p) => p.privateKeyPem) });
  const scaleSteps: ScaleStep[] = [];
  for (const g of scale) {
    const logins = await seeder.openChallenges(users);
    await phone.call("sign", { items: logins.map((l) => ({ handle: l.handle, key: l.key })) });
    const gws: Child[] = [];
    for (let i = 0; i < g; i++) gws.push(ctx.res.child(await startGatewayNode(d, `${S}-gateway-${g}x${i}`, "gateway")));
    try {
      // Page k on gateway k % g, split over the two page processes; its phone answers on the next gateway.
      await Promise.all(
        pagesChildren.map((c, pi) =>
          (async () => {
            for (let gi = 0; gi < g; gi++) {
              const auths = logins.filter((_, k) => k % g === gi && k % 2 === pi).map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token }));
              await c.call<ConnectResult>("connect", { url: url(gws[gi]!), auths, concurrency: 100 });
            }
          })(),
        ),
      );
      await sleep(1000);
      const cpu = async () => (await Promise.all(gws.map((w) => w.call<NodeJS.CpuUsage>("cpu")))).reduce((s, c) => s + c.user + c.system, 0);
      const c0 = await cpu();
      const r0 = await redisCpuMs(seeder.services.redis);
      const k0 = coreTimes();
      const [ans, ...after] = await Promise.all([
        phone.call<AnswerResult>("answer", { items: logins.map((l, k) => ({ url: answerUrl(url(gws[(k + 1) % g]!), d.apiKey, l.handle), handle: l.handle })), concurrency: 64 }),
        ...pagesChildren.map((c) => c.call<PageStats>("waitApproved", { timeoutMs: 120_000 })),
      ]);
      const k1 = coreTimes();
      const r1 = await redisCpuMs(seeder.services.redis);
      const c1 = await cpu();
      const told = after.reduce((s, x) => s + x.told, 0);
      const lastAt = Math.max(...after.map((x) => x.lastAt));
      await Promise.all(pagesChildren.map((c) => c.call("close")));
      const step: ScaleStep = {
        gateways: g, approvals, told, approvalsPerSec: told / ((lastAt - ans!.startAt) / 1000), cpuMsPerApproval: (c1 - c0) / 1000 / Math.max(1, told),
        redisCpuMsPerApproval: (r1 - r0) / Math.max(1, told), coresBusy: coresBusy(k0, k1), statuses: ans!.statuses,
      };
      say(S, `  ${g} gateway process(es): ${fmt(step.approvalsPerSec)} approvals/s, ${fmt(step.cpuMsPerApproval)} ms gateway CPU + ${fmt(step.redisCpuMsPerApproval)} ms Redis each, ${fmt(step.coresBusy)} cores busy, ${told}/${approvals} told`);
      scaleSteps.push(step);
    } finally {
      for (const w of gws) await w.stop();
    }
  }

  // (b) pushes/s vs worker processes, on a deployment of its own.
  say(S, `pushes: ${pushes} per step through the SNS stand-in, worker processes ${workerCounts.join(", ")}`);
  const push = await pushesVsWorkers(ctx, S, workerCounts, pushes);
  const pushSteps = push.steps;

  // (c) memory vs waiting pages, one gateway process and one bare Socket.IO server, pages added step by step.
  const max = steps[steps.length - 1]!;
  say(S, `memory: ${max} users (one shared key: nobody answers)`);
  const memUsers = await seeder.seedUsers(max, newPhone(), { onProgress: (k) => k % 5000 === 0 && say(S, `  ${k} users`) });
  const memLogins = await seeder.openChallenges(memUsers, { onProgress: (k) => k % 5000 === 0 && say(S, `  ${k} challenges`) });
  const curve = async (server: Child, auths: Array<Record<string, unknown>>): Promise<Array<{ rss: number; heap: number }>> => {
    await pagesChildren[0]!.call("connect", { url: url(server), auths: auths.slice(0, 200), concurrency: 50 });
    await pagesChildren[0]!.call("close");
    await sleep(1000);
    const m0 = await server.call<NodeJS.MemoryUsage>("mem");
    const out: Array<{ rss: number; heap: number }> = [{ rss: m0.rss, heap: m0.heapUsed }];
    let have = 0;
    for (const target of steps) {
      const add = auths.slice(have, target);
      await Promise.all(pagesChildren.map((c, i) => c.call<ConnectResult>("connect", { url: url(server), auths: add.filter((_, k) => k % 2 === i), concurrency: 100 })));
      have = target;
      await sleep(2000);
      const m = await server.call<NodeJS.MemoryUsage>("mem");
      out.push({ rss: m.rss, heap: m.heapUsed });
      say(S, `  ${target} pages: RSS ${fmt(m.rss / 2 ** 20)} MB, heap ${fmt(m.heapUsed / 2 ** 20)} MB`);
    }
    await Promise.all(pagesChildren.map((c) => c.call("close")));
    return out;
  };
  say(S, "memory: a fresh gateway process");
  const gw = ctx.res.child(await startGatewayNode(d, `${S}-gateway-mem`, "gateway", { exposeGc: true }));
  const gCurve = await curve(gw, memLogins.map((l) => ({ apikey: d.apiKey, secondfactorauthenticationtoken: l.token }))).finally(() => gw.stop());
  say(S, "memory: a fresh bare Socket.IO server");
  const bare = ctx.res.child(await startBenchChild(`${S}-bare`, "nodes/bare-socket-node.ts", [`${d.prefix}-bare:sio`], { exposeGc: true }));
  const bCurve = await curve(bare, memLogins.map(() => ({ room: `r-${randomUUID()}` }))).finally(() => bare.stop());
  const memSteps: MemStep[] = steps.map((pages, i) => ({ pages, gatewayRss: gCurve[i + 1]!.rss - gCurve[0]!.rss, gatewayHeap: gCurve[i + 1]!.heap - gCurve[0]!.heap, bareRss: bCurve[i + 1]!.rss - bCurve[0]!.rss, bareHeap: bCurve[i + 1]!.heap - bCurve[0]!.heap }));
  /** KB per page between two steps (the slope), and over the whole range. */
  const slope = (f: (m: MemStep) => number, i: number) => (f(memSteps[i]!) - (i ? f(memSteps[i - 1]!) : 0)) / (memSteps[i]!.pages - (i ? memSteps[i - 1]!.pages : 0)) / 1024;
  const last = memSteps.length - 1;
  const whole = (f: (m: MemStep) => number) => f(memSteps[last]!) / memSteps[last]!.pages / 1024;
  const one = scaleSteps[0]!;
  const best = scaleSteps.reduce((a, b) => (b.approvalsPerSec > a.approvalsPerSec ? b : a));
  const mb = (b: number) => fmt(b / 2 ** 20);
  const onePush = pushSteps[0]!;
  const bestPush = pushSteps.reduce((a, b) => (b.pushesPerSec > a.pushesPerSec ? b : a));
  const cores = onePush.cores;
  const plural = (n: number, what: string) => `${n} ${what} process${n > 1 ? "es" : ""}`;
  const pushSlope = pushSteps.map((p) => ({
    n: p.workers, perSec: p.pushesPerSec, coresBusy: p.coresBusy,
    costs: [{ name: "worker", msEach: p.workerCpuMsPerPush, processes: p.workers }, { name: "Redis", msEach: p.redisCpuMsPerPush, processes: 1 }, { name: "SNS stand-in", msEach: p.standInCpuMsPerPush, processes: 1 }],
  }));
  const approvalSlope = scaleSteps.map((a) => ({
    n: a.gateways, perSec: a.approvalsPerSec, coresBusy: a.coresBusy,
    costs: [{ name: "gateway", msEach: a.cpuMsPerApproval, processes: a.gateways }, { name: "Redis", msEach: a.redisCpuMsPerApproval, processes: 1 }],
  }));

  return {
    id: 11,
    name: S,
    title: "approvals/s vs gateway processes (1–3), pushes/s vs worker processes (1, 2, 4), memory vs waiting pages",
    params: { approvalsPerStep: approvals, gatewayProcesses: scale, pushesPerStep: pushes, workerProcesses: workerCounts, workerConcurrency: push.concurrency, warmUpPushesPerWorker: push.warmUpPerWorker, pushRatePerApp: push.pushRatePerApp, snsLatencyMs: 1, pageSteps: steps, answerConcurrency: 64, cores },
    table: {
      columns: ["step", "approvals/s or pushes/s", "gateway or worker CPU ms each", "Redis CPU ms each", `cores busy (of ${cores})`, "told or published", "RSS growth MB (gateway / bare)", "heap growth MB (gateway / bare)", "KB per page since the previous step (gateway / bare RSS)"],
      rows: [
        ...scaleSteps.map((s) => [plural(s.gateways, "gateway"), fmt(s.approvalsPerSec), fmt(s.cpuMsPerApproval), fmt(s.redisCpuMsPerApproval), fmt(s.coresBusy, 2), `${s.told}/${s.approvals}`, "", "", ""]),
        ...pushSteps.map((p) => [plural(p.workers, "worker"), fmt(p.pushesPerSec), fmt(p.workerCpuMsPerPush), fmt(p.redisCpuMsPerPush), fmt(p.coresBusy, 2), `${p.published}/${p.pushes}`, "", "", ""]),
        ...memSteps.map((m, i) => [`${m.pages.toLocaleString("en-US")} waiting pages`, "", "", "", "", "", `${mb(m.gatewayRss)} / ${mb(m.bareRss)}`, `${mb(m.gatewayHeap)} / ${mb(m.bareHeap)}`, `${fmt(slope((x) => x.gatewayRss, i))} / ${fmt(slope((x) => x.bareRss, i))}`]),
      ],
    },
    ratios: [
      { name: "approvals/s vs 1 process", value: scaleSteps.map((s) => `${s.gateways}: ${fmt(s.approvalsPerSec / one.approvalsPerSec)}×`).join(", ") },
      { name: "pushes/s vs 1 worker process", value: pushSteps.map((p) => `${p.workers}: ${fmt(p.pushesPerSec / onePush.pushesPerSec)}×`).join(", ") },
      { name: "RSS per page over 0 → " + max.toLocaleString("en-US"), value: `gateway ${fmt(whole((x) => x.gatewayRss))} KB, bare ${fmt(whole((x) => x.bareRss))} KB (${fmt(whole((x) => x.gatewayRss) / whole((x) => x.bareRss))}×); heap ${fmt(whole((x) => x.gatewayHeap))} vs ${fmt(whole((x) => x.bareHeap))} KB` },
    ],
    targets: [
      { name: "approvals/s vs gateway processes", target: "report (the slope)", value: scaleSteps.map((s) => `${s.gateways}: ${fmt(s.approvalsPerSec)}/s`).join(", "), baseline: `1 process: ${fmt(one.approvalsPerSec)}/s; best ${best.gateways}`, pass: null },
      { name: "pushes/s vs worker processes", target: "report (the slope)", value: pushSteps.map((p) => `${p.workers}: ${fmt(p.pushesPerSec)}/s`).join(", "), baseline: `1 process: ${fmt(onePush.pushesPerSec)}/s; best ${bestPush.workers}`, pass: null },
      { name: "RSS per waiting page, 1k → " + `${max / 1000}k`, target: "report (the slope)", value: `${fmt(whole((x) => x.gatewayRss))} KB per page over the range`, baseline: `bare Socket.IO ${fmt(whole((x) => x.bareRss))} KB`, pass: null },
    ],
    notes: [
      `Approvals: ${approvals} logins per step, opened with openChallenge; page k on gateway k mod g, its signed L5 PUT to gateway (k+1) mod g (so with 2 or 3 processes every answer crosses the sharded Redis adapter); answers at concurrency 64 from one phone process; from the first L5 to the last page told. Every process fresh per step (cold parsed-key cache, distinct keys). Answers: ${scaleSteps.map((s) => JSON.stringify(s.statuses)).join(", ")}.`,
      `The machine has ${cores} cores shared by Redis, the gateway or worker processes and the load processes (phone, pages, SNS stand-in): a curve flattens (or falls) where the cores run out, not where the design does. Cores busy is machine-wide (/proc/stat), so it counts the load processes too.`,
      readSlope(approvalSlope, { what: "gateway", items: "approvals", item: "approval", cores, uncounted: "the phone and page processes" }),
      `Pushes: a deployment of its own on AWS SNS settings pointed at the sns scenario's local SNS stand-in (real SDK, SigV4, 1 ms added latency); ${pushes} users with one Android device and endpoint each; per step N fresh \`npm run worker\` processes (WORKER_CONCURRENCY ${push.concurrency} each, PUSH_RATE_PER_APP raised to ${push.pushRatePerApp} so the app limiter runs but never caps), warmed up with ${push.warmUpPerWorker} pushes each, then the push queue paused while one send per user is queued through openChallenge, then resumed; rate from the stand-in's first accepted Publish to its last. Worker CPU: every worker process's own from its first job to its last; Redis: INFO cpu (sys + user); the stand-in's SigV4 check and XML are work AWS would do, here on the same cores; cores busy: /proc/stat over the drain. Outcomes: ${pushSteps.map((p) => JSON.stringify(p.outcomes) + (Object.keys(p.failures).length ? ` failures ${JSON.stringify(p.failures)}` : "")).join(", ")}.`,
      readSlope(pushSlope, { what: "worker", items: "pushes", item: "push", cores }),
      "Memory: one gateway process and one bare Socket.IO server (same sharded adapter), each fresh, pages added step by step from two page processes (websocket transport); after each step a full GC (--expose-gc) and RSS/heap read; growth over the idle figure after a warm-up of 200 pages.",
    ],
    chart: {
      title: "11. Growth: approvals/s vs gateways, pushes/s vs workers, memory vs waiting pages",
      subtitle: `${cores} cores shared by everything; ${approvals} approvals and ${pushes} pushes per step; memory after a full GC`,
      legend: { baseline: "bare Socket.IO server" },
      panels: [
        {
          title: "approvals per second, first L5 → last page told (higher is better)",
          bars: scaleSteps.map((s) => ({ label: `${s.gateways} gateway process${s.gateways > 1 ? "es" : ""}`, value: s.approvalsPerSec, text: `${fmt(s.approvalsPerSec)}/s (${fmt(s.cpuMsPerApproval)} ms CPU each)`, kind: "ours" as const })),
          target: { value: 1000, label: "1,000/s" },
        },
        {
          title: `pushes per second through SNS, first → last Publish at the stand-in (${pushes} per step; higher is better)`,
          bars: pushSteps.map((p) => ({ label: plural(p.workers, "worker"), value: p.pushesPerSec, text: `${fmt(p.pushesPerSec)}/s (${fmt(p.workerCpuMsPerPush)} ms worker CPU each; ${fmt(p.coresBusy, 2)} of ${cores} cores busy)`, kind: "ours" as const })),
        },
        {
          title: "RSS growth over idle, MB (lower is better)",
          bars: memSteps.flatMap((m) => [
            { label: `${m.pages.toLocaleString("en-US")} pages: gateway`, value: m.gatewayRss / 2 ** 20, text: `${mb(m.gatewayRss)} MB`, kind: "ours" as const },
            { label: `${m.pages.toLocaleString("en-US")} pages: bare`, value: m.bareRss / 2 ** 20, text: `${mb(m.bareRss)} MB`, kind: "baseline" as const },
          ]),
        },
        {
          title: "JS heap growth over idle, MB (lower is better)",
          bars: memSteps.flatMap((m) => [
            { label: `${m.pages.toLocaleString("en-US")} pages: gateway`, value: m.gatewayHeap / 2 ** 20, text: `${mb(m.gatewayHeap)} MB`, kind: "ours" as const },
            { label: `${m.pages.toLocaleString("en-US")} pages: bare`, value: m.bareHeap / 2 ** 20, text: `${mb(m.bareHeap)} MB`, kind: "baseline" as const },
          ]),
        },
      ],
    },
    data: { scale: scaleSteps, pushes: pushSteps, memory: memSteps, gatewayCurve: gCurve, bareCurve: bCurve },
  };
}

export const growth: Scenario = { id: 11, name: "growth", title: "approvals/s vs gateways, pushes/s vs workers, memory vs waiting pages", run };

import { ANDROID_PLATFORM_ARN, connectSeeder, newDeployment, newPhone, snsSettings } from "../lib/fixtures.js";
import { profiled, startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { say } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { untilDrained } from "../lib/sns-drain.js";
import { fmt } from "../lib/stats.js";

interface BareRun {
  n: number;
  ms: number;
  cpuMs: number;
}
interface SdkRun {
  n: number;
  perSec: number;
  cpuMsPerCall: number;
}
/** One worker's drain of a backlog: its rate, its CPU per push, what the fake SNS received. */
interface Drain {
  perSec: number;
  cpuMsPerPush: number;
  completed: number;
  published: number;
  outcomes: Record<string, number>;
  failures: Record<string, number>;
}
interface Row {
  concurrency: number;
  sdkPerSec: number;
  sdkCpuMsPerCall: number;
  /** PUSH_RATE_PER_APP raised out of the way: what the worker's code can do. */
  gatewayPerSec: number;
  gatewayCpuMsPerPush: number;
  /** PUSH_RATE_PER_APP left at its default: what one app gets out of a deployment as shipped. */
  atDefaultLimit: Drain;
  barePerSec: number;
  bareCpuMsPerJob: number;
  ratio: number;
  published: number;
  outcomes: Record<string, number>;
  failures: Record<string, number>;
}

/** The worker's pushes/s against the SDK's Publish alone (issue 17 target 4). */
const TARGET_VS_SDK = 0.8;

/**
 * 4. Pushes/s through the worker's SNS provider (the real @aws-sdk/client-sns against the local SNS-compatible
 * fake with 1 ms added latency) at several worker concurrencies, vs the SDK's Publish alone (the same provider and
 * SDK client in a process of their own, nothing else per push) and, as an extra, bare BullMQ no-op jobs, each at the
 * same concurrency.
 * Each run drains a backlog queued beforehand: N logins' sends, one per device, each device with its endpoint.
 * Twice per concurrency: with PUSH_RATE_PER_APP raised out of the way (the worker's own speed), then at its
 * default (what one app gets from a deployment as shipped), so the table never shows only the flattering figure.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "sns";
  const n = ctx.quick ? 1000 : 5000;
  // At the default per-app limit the drain runs at the limit: a shorter backlog shows that rate as well.
  const nDefault = ctx.quick ? 500 : 2000;
  const concurrencies = ctx.quick ? [50, 200] : [50, 100, 200];
  const raisedLimit = 100_000;
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);
  ctx.res.prefix(`${d.prefix}-bare`);

  say(S, "starting the fake SNS (1 ms latency) and the bare BullMQ node");
  const fake = ctx.res.child(await startBenchChild(`${S}-fake-sns`, "nodes/fake-sns-node.ts", ["1"]));
  const bare = ctx.res.child(await startBenchChild(`${S}-bare-bullmq`, "nodes/bare-bullmq-node.ts", [`${d.prefix}-bare:bull`]));
  const sdk = ctx.res.child(await startBenchChild(`${S}-sdk-alone`, "load/sns-sdk.ts"));

  const seeder = await connectSeeder(d, { snsEndpoint: url(fake) });
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings(snsSettings);
  say(S, `seeding ${n} users, each with an Android device and its SNS endpoint`);
  const arns = await fake.call<string[]>("createEndpoints", { platformArn: ANDROID_PLATFORM_ARN, tokens: Array.from({ length: n }, (_, i) => `fcm-bench-${i}`) });
  const users = await seeder.seedUsers(n, newPhone(), { endpointArns: arns });
  const defaultLimit = seeder.config.PUSH_RATE_PER_APP;

  /** Queue one send per user (openChallenge), then let a fresh worker process drain them all. */
  const drain = async (c: number, who: typeof users, limit: "raised" | "default", profile: boolean): Promise<Drain> => {
    const count = who.length;
    say(S, `concurrency ${c}, ${limit} PUSH_RATE_PER_APP (${limit === "raised" ? raisedLimit : defaultLimit}/s): opening ${count} challenges (one send job each), then starting a worker`);
    await seeder.openChallenges(who);
    await fake.call("forget");
    const worker = ctx.res.child(
      await startGatewayNode(d, `${S}-worker-c${c}-${limit}`, "worker", {
        env: { WORKER_CONCURRENCY: String(c), SNS_ENDPOINT: url(fake), ...(limit === "raised" && { PUSH_RATE_PER_APP: String(raisedLimit) }) },
      }),
    );
    const g = await profiled(profile, worker, `${S}-worker-c${c}-${limit}`, () => untilDrained([worker], count, { scenario: S, label: `worker c=${c} (${limit} limit)` }));
    await worker.stop();
    const published = (await fake.call<{ published: number }>("stats")).published;
    return {
      perSec: (g.completed * 1000) / (g.lastEndAt - g.firstActiveAt),
      cpuMsPerPush: g.cpuMs / Math.max(1, g.completed),
      completed: g.completed,
      published,
      outcomes: g.outcomes,
      failures: g.failures,
    };
  };

  const rows: Row[] = [];
  for (const c of concurrencies) {
    say(S, `concurrency ${c}: bare BullMQ, ${n} no-op jobs`);
    const b = await bare.call<BareRun>("run", { n, concurrency: c, queue: `{noop-${c}}` });
    say(S, `  ${fmt((n * 1000) / b.ms)} jobs/s`);
    say(S, `concurrency ${c}: the SNS provider's Publish alone (same SDK client), ${n} calls`);
    const lastC = c === concurrencies[concurrencies.length - 1];
    const sdkRun = await profiled(ctx.cpuProf && lastC, sdk, `${S}-sdk-alone-c${c}`, () => sdk.call<SdkRun>("run", { endpoint: url(fake), endpointArns: arns, n, concurrency: c }));
    say(S, `  ${fmt(sdkRun.perSec)} publishes/s, ${fmt(sdkRun.cpuMsPerCall)} ms CPU each`);

    const raised = await drain(c, users, "raised", ctx.cpuProf && lastC);
    const barePerSec = (n * 1000) / b.ms;
    say(S, `  ${fmt(raised.perSec)} pushes/s (${raised.published} published), ${fmt((100 * raised.perSec) / barePerSec)}% of bare`);
    const atDefaultLimit = await drain(c, users.slice(0, nDefault), "default", false);
    say(S, `  at the default limit: ${fmt(atDefaultLimit.perSec)} pushes/s (${atDefaultLimit.published} published)`);
    rows.push({
      concurrency: c,
      sdkPerSec: sdkRun.perSec,
      sdkCpuMsPerCall: sdkRun.cpuMsPerCall,
      gatewayPerSec: raised.perSec,
      gatewayCpuMsPerPush: raised.cpuMsPerPush,
      atDefaultLimit,
      barePerSec,
      bareCpuMsPerJob: b.cpuMs / n,
      ratio: raised.perSec / barePerSec,
      published: raised.published,
      outcomes: raised.outcomes,
      failures: raised.failures,
    });
  }

  const worst = Math.min(...rows.map((r) => r.ratio));
  const worstVsSdk = Math.min(...rows.map((r) => r.gatewayPerSec / r.sdkPerSec));
  const top = rows[rows.length - 1]!;
  const allSent = rows.every((r) => r.published >= n && (r.outcomes.sent ?? 0) >= n && r.atDefaultLimit.published >= nDefault && (r.atDefaultLimit.outcomes.sent ?? 0) >= nDefault);
  const atDefault = (r: Row) => `${fmt(r.atDefaultLimit.perSec)}/s`;
  return {
    id: 4,
    name: S,
    title: "pushes/s through the SNS provider (local SNS endpoint, 1 ms added latency)",
    params: { pushesPerRun: n, pushesAtDefaultLimit: nDefault, concurrencies, snsLatencyMs: 1, pushRatePerApp: raisedLimit, defaultPushRatePerApp: defaultLimit },
    table: {
      columns: ["concurrency", "gateway pushes/s", `at default limit (${defaultLimit}/s)`, "bare BullMQ jobs/s", "ratio", "SDK Publish alone/s", "worker CPU ms/push", "at default: CPU ms/push", "bare CPU ms/job", "SDK CPU ms/call", "published", "outcomes"],
      rows: rows.map((r) => [
        String(r.concurrency), fmt(r.gatewayPerSec), fmt(r.atDefaultLimit.perSec), fmt(r.barePerSec), `${fmt(r.ratio * 100)}%`, fmt(r.sdkPerSec), fmt(r.gatewayCpuMsPerPush), fmt(r.atDefaultLimit.cpuMsPerPush), fmt(r.bareCpuMsPerJob), fmt(r.sdkCpuMsPerCall),
        `${r.published} + ${r.atDefaultLimit.published}`,
        JSON.stringify(r.outcomes) + (Object.keys(r.failures).length ? ` failures ${JSON.stringify(r.failures)}` : "") +
          (Object.keys(r.atDefaultLimit.failures).length ? ` at default: failures ${JSON.stringify(r.atDefaultLimit.failures)}` : ""),
      ]),
    },
    ratios: [
      { name: "pushes/s vs bare BullMQ", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.ratio * 100)}%`).join(", ") },
      { name: `pushes/s at the default PUSH_RATE_PER_APP (${defaultLimit}/s)`, value: rows.map((r) => `c=${r.concurrency}: ${atDefault(r)} (${fmt(r.atDefaultLimit.cpuMsPerPush)} ms CPU/push)`).join(", ") },
      { name: "pushes/s vs the SDK's Publish alone", value: rows.map((r) => `c=${r.concurrency}: ${fmt((100 * r.gatewayPerSec) / r.sdkPerSec)}%`).join(", ") },
      { name: "the SDK's Publish alone vs bare BullMQ", value: rows.map((r) => `c=${r.concurrency}: ${fmt((100 * r.sdkPerSec) / r.barePerSec)}%`).join(", ") },
      { name: "SDK CPU per Publish", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.sdkCpuMsPerCall)} ms`).join(", ") },
    ],
    // Issue 17 target 4: the worker's pushes against what the AWS SDK's Publish alone does against the same
    // endpoint. Bare BullMQ stays a reported ratio: nothing that calls the SDK (about 1 ms of CPU per Publish)
    // can come near no-op jobs.
    targets: [{
      name: "pushes/s vs the SDK's Publish alone",
      target: `≥ ${TARGET_VS_SDK * 100}% of the SDK's Publish alone at every concurrency, every push sent`,
      value: `${rows.map((r) => `c=${r.concurrency}: ${fmt(r.gatewayPerSec)}/s (${fmt((100 * r.gatewayPerSec) / r.sdkPerSec)}%)`).join(", ")}; at the default PUSH_RATE_PER_APP (${defaultLimit}/s): ${rows.map(atDefault).join(", ")}`,
      baseline: `SDK Publish alone ${rows.map((r) => `${fmt(r.sdkPerSec)}/s`).join(", ")}; bare BullMQ no-op ${rows.map((r) => `${fmt(r.barePerSec)}/s`).join(", ")} (${fmt(worst * 100)}% at worst)`,
      pass: worstVsSdk >= TARGET_VS_SDK && allSent }],
    notes: [
      "Sends queued beforehand by openChallenge (one per login and device, as L2 queues them); the worker process (`npm run worker`'s runtime) drains them; rate from its first job start to its last job end.",
      `Each push: load challenge, delivered-key check, device (+ open-socket presence), app, settings (secrets opened), app rate limit (PUSH_RATE_PER_APP raised to ${raisedLimit} so it does not cap; its Redis call still runs), SNS Publish through the real SDK (SigV4, XML), delivered mark, delivery state + page notification.`,
      `At the default PUSH_RATE_PER_APP (${defaultLimit}/s, what a deployment ships with): the same worker drains ${nDefault} sends of one app; sends over the app's budget go back to "delayed" until the next window (plus up to 1 s of jitter), so one app's rate is capped near ${defaultLimit}/s whatever the concurrency. It protects the app's SNS quota; raise it (or run more apps) for more.`,
      "Bare: BullMQ Queue + Worker in their own process, the same job options, a processor that returns at once.",
      "SDK Publish alone: the worker's own createSnsClient/createSnsProvider publishing in a process of its own, nothing else per call: the floor the AWS SDK sets on this machine.",
      `Where a push's worker CPU goes (c=${top.concurrency}): ${fmt(top.gatewayCpuMsPerPush)} ms ≈ SDK Publish ${fmt(top.sdkCpuMsPerCall)} ms + BullMQ ${fmt(top.bareCpuMsPerJob)} ms + the rest (Redis reads and writes, secrets, logging) ${fmt(top.gatewayCpuMsPerPush - top.sdkCpuMsPerCall - top.bareCpuMsPerJob)} ms.`,
    ],
    chart: {
      title: "4. Pushes per second through SNS vs the AWS SDK's Publish alone (and bare BullMQ no-op jobs)",
      subtitle: `${n} sends per run (${nDefault} at the default per-app limit), local SNS-compatible endpoint with 1 ms latency (higher is better)`,
      legend: { baseline: "bare BullMQ no-op", other: "the AWS SDK's Publish alone" },
      panels: rows.map((r) => ({
        title: `worker concurrency ${r.concurrency}`,
        bars: [
          { label: "gateway worker → SNS", value: r.gatewayPerSec, text: `${fmt(r.gatewayPerSec)}/s (${fmt(r.ratio * 100)}%)`, kind: "ours" as const },
          { label: `… at the default ${defaultLimit}/s per app`, value: r.atDefaultLimit.perSec, text: `${atDefault(r)}`, kind: "ours" as const },
          { label: "bare BullMQ no-op", value: r.barePerSec, text: `${fmt(r.barePerSec)}/s`, kind: "baseline" as const },
          { label: "SDK Publish alone", value: r.sdkPerSec, text: `${fmt(r.sdkPerSec)}/s`, kind: "other" as const },
        ],
        target: { value: TARGET_VS_SDK * r.sdkPerSec, label: `target ≥ ${TARGET_VS_SDK * 100}% of SDK alone` },
      })),
    },
    data: { rows },
  };
}

export const sns: Scenario = { id: 4, name: "sns", title: "pushes/s through SNS vs the SDK's Publish alone", run };

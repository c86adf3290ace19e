import { ANDROID_PLATFORM_ARN, connectSeeder, newDeployment, newPhone } from "../lib/fixtures.js";
import { profiled, startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { say, ticker } from "../lib/progress.js";
import type { ScenarioReport } from "../lib/report.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";
import { fmt, sleep } from "../lib/stats.js";

interface PushStats {
  firstActiveAt: number;
  lastEndAt: number;
  completed: number;
  failed: number;
  cpuAtFirstActive: number;
  cpuAtLastEnd: number;
  outcomes: Record<string, number>;
  failures: Record<string, number>;
}
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
interface Row {
  concurrency: number;
  sdkPerSec: number;
  sdkCpuMsPerCall: number;
  gatewayPerSec: number;
  gatewayCpuMsPerPush: number;
  barePerSec: number;
  bareCpuMsPerJob: number;
  ratio: number;
  published: number;
  outcomes: Record<string, number>;
  failures: Record<string, number>;
}

/**
 * 4. Pushes/s through the worker's SNS provider (the real @aws-sdk/client-sns against the local SNS-compatible
 * fake with 1 ms added latency) at several worker concurrencies, vs bare BullMQ no-op jobs at the same concurrency.
 * Each run drains a backlog queued beforehand: N logins' sends, one per device, each device with its endpoint.
 */
async function run(ctx: ScenarioContext): Promise<ScenarioReport> {
  const S = "sns";
  const n = ctx.quick ? 1000 : 5000;
  const concurrencies = ctx.quick ? [50, 200] : [50, 100, 200];
  const d = newDeployment(S);
  ctx.res.prefix(d.prefix);
  ctx.res.prefix(`${d.prefix}-bare`);

  say(S, "starting the fake SNS (1 ms latency) and the bare BullMQ node");
  const fake = ctx.res.child(await startBenchChild(`${S}-fake-sns`, "nodes/fake-sns-node.ts", ["1"]));
  const bare = ctx.res.child(await startBenchChild(`${S}-bare-bullmq`, "nodes/bare-bullmq-node.ts", [`${d.prefix}-bare:bull`]));
  const sdk = ctx.res.child(await startBenchChild(`${S}-sdk-alone`, "load/sns-sdk.ts"));

  const seeder = await connectSeeder(d, { snsEndpoint: url(fake) });
  ctx.res.onRelease("close seeder", () => seeder.close());
  await seeder.putSettings({
    IsEnabled: true,
    CustomAppName: "Bench Authenticator",
    NotificationService: "AWS",
    AWSsettings: { AccessKeyId: "AKIABENCH", SecretAccessKey: "bench-secret-access-key", Region: "us-east-1" },
    AndroidSettings: { Enabled: true, PlatformARN: ANDROID_PLATFORM_ARN },
    IOSsettings: { Enabled: false, PlatformARN: "" },
    ChallengeTtlSeconds: 900,
    NumberMatching: "Off",
  });
  say(S, `seeding ${n} users, each with an Android device and its SNS endpoint`);
  const arns = await fake.call<string[]>("createEndpoints", { platformArn: ANDROID_PLATFORM_ARN, tokens: Array.from({ length: n }, (_, i) => `fcm-bench-${i}`) });
  const users = await seeder.seedUsers(n, newPhone(), { endpointArns: arns });

  const rows: Row[] = [];
  for (const c of concurrencies) {
    say(S, `concurrency ${c}: bare BullMQ, ${n} no-op jobs`);
    const b = await bare.call<BareRun>("run", { n, concurrency: c, queue: `{noop-${c}}` });
    say(S, `  ${fmt((n * 1000) / b.ms)} jobs/s`);
    say(S, `concurrency ${c}: the SNS provider's Publish alone (same SDK client), ${n} calls`);
    const lastC = c === concurrencies[concurrencies.length - 1];
    const sdkRun = await profiled(ctx.cpuProf && lastC, sdk, `${S}-sdk-alone-c${c}`, () => sdk.call<SdkRun>("run", { endpoint: url(fake), endpointArns: arns, n, concurrency: c }));
    say(S, `  ${fmt(sdkRun.perSec)} publishes/s, ${fmt(sdkRun.cpuMsPerCall)} ms CPU each`);

    say(S, `concurrency ${c}: opening ${n} challenges (one send job each), then starting a worker`);
    await seeder.openChallenges(users);
    await fake.call("forget");
    const worker = ctx.res.child(
      await startGatewayNode(d, `${S}-worker-c${c}`, "worker", {
        env: { WORKER_CONCURRENCY: String(c), SNS_ENDPOINT: url(fake), PUSH_RATE_PER_APP: "100000" },
      }),
    );
    let last: PushStats | undefined;
    const t = ticker(S, () => `  worker c=${c}: ${last?.completed ?? 0}/${n} sent${last?.failed ? `, ${last.failed} failed` : ""}`, 3000);
    await profiled(ctx.cpuProf && lastC, worker, `${S}-worker-c${c}`, async () => {
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        last = await worker.call<PushStats>("pushStats");
        if (last.completed + last.failed >= n || Date.now() > deadline) break;
        await sleep(250);
      }
    });
    t.stop();
    const g = last!;
    await worker.stop();
    const published = (await fake.call<{ published: number }>("stats")).published;
    const gatewayPerSec = (g.completed * 1000) / (g.lastEndAt - g.firstActiveAt);
    const barePerSec = (n * 1000) / b.ms;
    rows.push({
      concurrency: c,
      sdkPerSec: sdkRun.perSec,
      sdkCpuMsPerCall: sdkRun.cpuMsPerCall,
      gatewayPerSec,
      gatewayCpuMsPerPush: (g.cpuAtLastEnd - g.cpuAtFirstActive) / 1000 / Math.max(1, g.completed),
      barePerSec,
      bareCpuMsPerJob: b.cpuMs / n,
      ratio: gatewayPerSec / barePerSec,
      published,
      outcomes: g.outcomes,
      failures: g.failures,
    });
    say(S, `  ${fmt(gatewayPerSec)} pushes/s (${published} published), ${fmt((100 * gatewayPerSec) / barePerSec)}% of bare`);
  }

  const worst = Math.min(...rows.map((r) => r.ratio));
  const top = rows[rows.length - 1]!;
  const allSent = rows.every((r) => r.published >= n && (r.outcomes.sent ?? 0) >= n);
  return {
    id: 4,
    name: S,
    title: "pushes/s through the SNS provider (local SNS endpoint, 1 ms added latency)",
    params: { pushesPerRun: n, concurrencies, snsLatencyMs: 1, pushRatePerApp: 100000 },
    table: {
      columns: ["concurrency", "gateway pushes/s", "bare BullMQ jobs/s", "ratio", "SDK Publish alone/s", "worker CPU ms/push", "bare CPU ms/job", "SDK CPU ms/call", "published", "outcomes"],
      rows: rows.map((r) => [
        String(r.concurrency), fmt(r.gatewayPerSec), fmt(r.barePerSec), `${fmt(r.ratio * 100)}%`, fmt(r.sdkPerSec), fmt(r.gatewayCpuMsPerPush), fmt(r.bareCpuMsPerJob), fmt(r.sdkCpuMsPerCall), String(r.published),
        JSON.stringify(r.outcomes) + (Object.keys(r.failures).length ? ` failures ${JSON.stringify(r.failures)}` : ""),
      ]),
    },
    ratios: [{ name: "pushes/s vs bare BullMQ", value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.ratio * 100)}%`).join(", ") }],
    targets: [{
      name: "pushes/s vs bare BullMQ",
      target: "≥ 50% of bare BullMQ at every concurrency",
      value: rows.map((r) => `c=${r.concurrency}: ${fmt(r.gatewayPerSec)}/s (${fmt(r.ratio * 100)}%)`).join(", "),
      baseline: `bare BullMQ no-op ${rows.map((r) => `${fmt(r.barePerSec)}/s`).join(", ")}; SDK Publish alone ${rows.map((r) => `${fmt(r.sdkPerSec)}/s`).join(", ")}`,
      pass: worst >= 0.5 && allSent }],
    notes: [
      "Sends queued beforehand by openChallenge (one per login and device, as L2 queues them); the worker process (`npm run worker`'s runtime) drains them; rate from its first job start to its last job end.",
      "Each push: load challenge, delivered-key check, device (+ open-socket presence), app, settings (secrets opened), app rate limit (PUSH_RATE_PER_APP raised to 100000 so it does not cap; its Redis call still runs), SNS Publish through the real SDK (SigV4, XML), delivered mark, delivery state + page notification.",
      "Bare: BullMQ Queue + Worker in their own process, the same job options, a processor that returns at once.",
      "SDK Publish alone: the worker's own createSnsClient/createSnsProvider publishing in a process of its own, nothing else per call: the floor the AWS SDK sets on this machine.",
      `Where a push's worker CPU goes (c=${top.concurrency}): ${fmt(top.gatewayCpuMsPerPush)} ms ≈ SDK Publish ${fmt(top.sdkCpuMsPerCall)} ms + BullMQ ${fmt(top.bareCpuMsPerJob)} ms + the rest (Redis reads and writes, secrets, logging) ${fmt(top.gatewayCpuMsPerPush - top.sdkCpuMsPerCall - top.bareCpuMsPerJob)} ms.`,
    ],
    chart: {
      title: "4. Pushes per second through SNS vs bare BullMQ no-op jobs",
      subtitle: `${n} sends per run, local SNS-compatible endpoint with 1 ms latency (higher is better)`,
      legend: { baseline: "bare BullMQ no-op", other: "the AWS SDK's Publish alone" },
      panels: rows.map((r) => ({
        title: `worker concurrency ${r.concurrency}`,
        bars: [
          { label: "gateway worker → SNS", value: r.gatewayPerSec, text: `${fmt(r.gatewayPerSec)}/s (${fmt(r.ratio * 100)}%)`, kind: "ours" as const },
          { label: "bare BullMQ no-op", value: r.barePerSec, text: `${fmt(r.barePerSec)}/s`, kind: "baseline" as const },
          { label: "SDK Publish alone", value: r.sdkPerSec, text: `${fmt(r.sdkPerSec)}/s`, kind: "other" as const },
        ],
        target: { value: 0.5 * r.barePerSec, label: "target ≥ 50%" },
      })),
    },
    data: { rows },
  };
}

export const sns: Scenario = { id: 4, name: "sns", title: "pushes/s through SNS vs bare BullMQ", run };

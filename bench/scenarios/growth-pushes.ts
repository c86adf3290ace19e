import type { Child } from "../lib/child.js";
import { ANDROID_PLATFORM_ARN, connectSeeder, newDeployment, newPhone, snsSettings } from "../lib/fixtures.js";
import { coreTimes, coresBusy, redisCpuMs } from "../lib/machine-cpu.js";
import { startBenchChild, startGatewayNode, url } from "../lib/nodes.js";
import { say } from "../lib/progress.js";
import type { ScenarioContext } from "../lib/scenario.js";
import { untilDrained } from "../lib/sns-drain.js";
import { fmt, sleep } from "../lib/stats.js";

/** One step of growth (b): `workers` processes drain the same backlog of SNS pushes. */
export interface PushStep {
  workers: number;
  pushes: number;
  /** Publishes the SNS stand-in accepted. */
  published: number;
  /** Accepted by the stand-in per second, from its first Publish to its last. */
  pushesPerSec: number;
  /** All worker processes' CPU, each from its first job to its last, ÷ pushes sent. */
  workerCpuMsPerPush: number;
  /** Redis's CPU (INFO cpu, sys + user) over the drain ÷ pushes sent. */
  redisCpuMsPerPush: number;
  /** The stand-in's own CPU (SigV4 check, XML) ÷ pushes sent: work AWS does, here on the same cores. */
  standInCpuMsPerPush: number;
  /** Cores busy on average over the drain (/proc/stat), of `cores`. */
  coresBusy: number;
  cores: number;
  outcomes: Record<string, number>;
  failures: Record<string, number>;
}

export interface PushScaling {
  steps: PushStep[];
  /** WORKER_CONCURRENCY of each worker process (the default). */
  concurrency: number;
  pushRatePerApp: number;
  warmUpPerWorker: number;
}

const RAISED_PUSH_RATE = 100_000;
/** Pushes per worker process before a step's timed drain: JIT and connections warm, as in a running deployment. */
const WARM_UP_PER_WORKER = 250;
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

/**
 * Growth (b): pushes/s as worker processes are added. A fresh deployment on AWS SNS settings pointed at the
 * local SNS stand-in of the sns scenario (1 ms added latency); `pushes` users, each one Android device with its
 * endpoint. Per step: start N fresh worker processes (as `npm run worker`, default concurrency, PUSH_RATE_PER_APP
 * raised out of the way), warm them up with WARM_UP_PER_WORKER pushes each, pause the push queue, queue one send
 * per user through openChallenge, then resume and wait until every send ended. Every step drains the same number
 * of pushes, so with more processes each sends fewer.
 */
export async function pushesVsWorkers(ctx: ScenarioContext, S: string, workerCounts: readonly number[], pushes: number): Promise<PushScaling> {
  const d = newDeployment(`${S}-push`);
  ctx.res.prefix(d.prefix);
  const fake = ctx.res.child(await startBenchChild(`${S}-fake-sns`, "nodes/fake-sns-node.ts", ["1"]));
  const seeder = await connectSeeder(d, { snsEndpoint: url(fake) });
  ctx.res.onRelease("close the push seeder", () => seeder.close());
  await seeder.putSettings(snsSettings);
  say(S, `pushes: seeding ${pushes} users, each with an Android device and its SNS endpoint`);
  const arns = await fake.call<string[]>("createEndpoints", { platformArn: ANDROID_PLATFORM_ARN, tokens: Array.from({ length: pushes }, (_, i) => `fcm-bench-${i}`) });
  const users = await seeder.seedUsers(pushes, newPhone(), { endpointArns: arns });
  const queue = seeder.services.queues.push;
  const redis = seeder.services.redis;

  const steps: PushStep[] = [];
  for (const n of workerCounts) {
    const workers: Child[] = [];
    for (let i = 0; i < n; i++) {
      workers.push(ctx.res.child(await startGatewayNode(d, `${S}-worker-${n}x${i}`, "worker", { env: { SNS_ENDPOINT: url(fake), PUSH_RATE_PER_APP: String(RAISED_PUSH_RATE) } })));
    }
    try {
      const warm = users.slice(0, WARM_UP_PER_WORKER * n);
      say(S, `${n} worker process(es): warming up with ${warm.length} pushes`);
      await seeder.openChallenges(warm);
      await untilDrained(workers, warm.length, { scenario: S, label: `${n} worker process(es), warm-up` });
      await Promise.all(workers.map((w) => w.call("pushStatsReset")));
      // Paused, so that every worker is up and idle before the first job: none drains part of it alone.
      await queue.pause();
      say(S, `${n} worker process(es): opening ${pushes} challenges (one send job each) on the paused queue`);
      await seeder.openChallenges(users);
      await fake.call("forget");
      await sleep(1000);
      const [r0, f0] = await Promise.all([redisCpuMs(redis), fake.call<NodeJS.CpuUsage>("cpu")]);
      const k0 = coreTimes();
      await queue.resume();
      const g = await untilDrained(workers, pushes, { scenario: S, label: `${n} worker process(es)` });
      const k1 = coreTimes();
      const [r1, f1, st] = await Promise.all([redisCpuMs(redis), fake.call<NodeJS.CpuUsage>("cpu"), fake.call<{ published: number; spanMs: number }>("stats")]);
      const sent = Math.max(1, g.completed);
      const step: PushStep = {
        workers: n,
        pushes,
        published: st.published,
        pushesPerSec: (st.published * 1000) / Math.max(1, st.spanMs),
        workerCpuMsPerPush: g.cpuMs / sent,
        redisCpuMsPerPush: (r1 - r0) / sent,
        standInCpuMsPerPush: (cpuMs(f1) - cpuMs(f0)) / sent,
        coresBusy: coresBusy(k0, k1),
        cores: k1.cores,
        outcomes: g.outcomes,
        failures: g.failures,
      };
      say(S, `  ${n} worker process(es): ${fmt(step.pushesPerSec)} pushes/s, ${fmt(step.workerCpuMsPerPush)} ms worker CPU + ${fmt(step.redisCpuMsPerPush)} ms Redis each, ${fmt(step.coresBusy)} of ${step.cores} cores busy, ${st.published}/${pushes} published`);
      steps.push(step);
    } finally {
      await queue.resume().catch(() => undefined);
      for (const w of workers) await w.stop();
    }
  }
  return { steps, concurrency: seeder.config.WORKER_CONCURRENCY, pushRatePerApp: RAISED_PUSH_RATE, warmUpPerWorker: WARM_UP_PER_WORKER };
}

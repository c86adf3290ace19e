import { createSnsClient, createSnsProvider } from "../../workers/providers/sns.js";
import type { PushMessage } from "../../src/delivery/push-provider.js";
import { emit, probes, serve } from "../lib/serve.js";
import { mapLimit, nowMs } from "../lib/stats.js";
import { sendAsTheWorker } from "../lib/as-the-worker-sends.js";

/**
 * Scenario 4's "where the time goes": the worker's own SNS provider (createSnsClient + createSnsProvider, the
 * real AWS SDK) publishing alone, nothing else per push, at the same concurrency against the same endpoint.
 */
async function run(a: { endpoint: string; endpointArns: string[]; n: number; concurrency: number }) {
  const client = createSnsClient({ accessKeyId: "AKIABENCH", secretAccessKey: "bench-secret-access-key", region: "us-east-1", endpoint: a.endpoint });
  const provider = createSnsProvider({ client });
  const message = (i: number): PushMessage => ({
    deliveryId: `send.c${i}.d.1`,
    device: { token: `fcm-bench-${i}`, type: "android", endpointArn: a.endpointArns[i % a.endpointArns.length]! },
    data: {
      secondfactorauthenticationtoken: "00000000-0000-4000-8000-000000000000", identifier: `bench-${i}@example.com`, browser: "Chrome on Linux",
      location: "IP 127.0.0.1", timestamp: String(Math.floor(Date.now() / 1000)), apikey: "00000000-0000-4000-8000-000000000001", expiresAt: new Date().toISOString(),
    },
    notification: { title: "Bench Authenticator", body: "Approve the sign-in from Chrome on Linux?" },
    ttlSeconds: 600,
  });
  // Warm-up (connections, JIT), as the worker has warmed up after its first jobs.
  await mapLimit(Array.from({ length: Math.min(200, a.n) }, (_, i) => i), a.concurrency, (i) => sendAsTheWorker(provider, message(i)));
  let done = 0;
  const timer = setInterval(() => emit("progress", { done }), 2000);
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  await mapLimit(Array.from({ length: a.n }, (_, i) => i), a.concurrency, async (i) => {
    await sendAsTheWorker(provider, message(i));
    done++;
  });
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(c0);
  clearInterval(timer);
  client.destroy();
  return { n: a.n, perSec: (a.n * 1000) / ms, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / a.n };
}

serve({ ...probes, run: run as (a: never) => unknown });

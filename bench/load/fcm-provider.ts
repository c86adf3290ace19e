import { Agent, request } from "node:http";
import type { PushMessage } from "../../src/delivery/push-provider.js";
import { createOutboundGuard } from "../../src/outbound/outbound-guard.js";
import { createFcmProvider, type FcmServiceAccount } from "../../workers/providers/fcm.js";
import { createFcmTokenSource } from "../../workers/providers/fcm-token.js";
import { emit, probes, serve } from "../lib/serve.js";
import { mapLimit, nowMs } from "../lib/stats.js";
import { sendAsTheWorker } from "../lib/as-the-worker-sends.js";

/**
 * The FCM scenario's two clients, each in this process alone, at the same concurrency against the same stand-in:
 * - "provider": the worker's own createFcmProvider (cached OAuth token, contract 2.5's message, FCM's answer
 *   read and classified), one send per push;
 * - "bare": node:http with a keep-alive agent POSTing the same JSON body with a bearer token fetched once
 *   beforehand, reading nothing but the status: the floor the stand-in and the network set on this machine.
 */
interface RunArgs {
  mode: "provider" | "bare";
  serviceAccount: FcmServiceAccount;
  endpoint: string;
  tokens: string[];
  n: number;
  concurrency: number;
}

const message = (token: string, i: number): PushMessage => ({
  deliveryId: `send.c${i}.d.1`,
  device: { token, type: "android" },
  data: {
    secondfactorauthenticationtoken: "00000000-0000-4000-8000-000000000000", identifier: `bench-${i}@example.com`, browser: "Chrome on Linux",
    location: "IP 127.0.0.1", timestamp: String(Math.floor(Date.now() / 1000)), apikey: "00000000-0000-4000-8000-000000000001", expiresAt: new Date().toISOString(),
  },
  notification: { title: "Bench Authenticator", body: "Please approve the sign-in request" },
  ttlSeconds: 600,
});

/** The bare client: one POST, resolved with the status once the answer has been read to its end. */
function barePost(url: URL, agent: Agent, accessToken: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      agent,
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json; charset=UTF-8", "content-length": String(Buffer.byteLength(body)) },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function run(a: RunArgs) {
  const guard = createOutboundGuard({ allowPrivate: true });
  const provider = createFcmProvider({ serviceAccount: a.serviceAccount, endpoint: a.endpoint, guard });
  const url = new URL(`${a.endpoint}/v1/projects/${encodeURIComponent(a.serviceAccount.project_id)}/messages:send`);
  const agent = new Agent({ keepAlive: true });
  const accessToken = a.mode === "bare" ? await createFcmTokenSource({ serviceAccount: a.serviceAccount, guard }).accessToken(AbortSignal.timeout(10_000)) : "";
  let failed = 0;
  const one = async (i: number) => {
    const token = a.tokens[i % a.tokens.length]!;
    if (a.mode === "provider") {
      await sendAsTheWorker(provider, message(token, i)).catch(() => failed++);
      return;
    }
    const m = message(token, i);
    const body = JSON.stringify({
      message: { token, data: m.data, notification: m.notification, android: { priority: "HIGH", ttl: `${m.ttlSeconds}s` } },
    });
    if ((await barePost(url, agent, accessToken, body)) !== 200) failed++;
  };
  // Warm-up (connections, the token, JIT), as a worker has warmed up after its first jobs.
  await mapLimit(Array.from({ length: Math.min(200, a.n) }, (_, i) => i), a.concurrency, one);
  failed = 0;
  let done = 0;
  const timer = setInterval(() => emit("progress", { done }), 2000);
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  await mapLimit(Array.from({ length: a.n }, (_, i) => i), a.concurrency, async (i) => {
    await one(i);
    done++;
  });
  const ms = nowMs() - t0;
  const cpu = process.cpuUsage(c0);
  clearInterval(timer);
  provider.close();
  agent.destroy();
  guard.destroy();
  return { n: a.n, failed, perSec: (a.n * 1000) / ms, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / a.n };
}

serve({ ...probes, run: run as (a: never) => unknown });

import { Agent } from "node:https";
import webPush from "web-push";
import type { PushMessage } from "../../src/delivery/push-provider.js";
import { createOutboundGuard } from "../../src/outbound/outbound-guard.js";
import { createWebPushProvider } from "../../workers/providers/web-push.js";
import { webPushPayloadOf, webPushTopicOf } from "../../workers/providers/web-push-payload.js";
import { probes, serve } from "../lib/serve.js";
import { timedSends, type SendRun } from "../lib/timed-sends.js";
import { sendAsTheWorker } from "../lib/as-the-worker-sends.js";

/**
 * The webpush scenario's two clients against the same push-service stand-in, in one process of their own so their
 * CPU is theirs alone: the worker's Web Push provider (createWebPushProvider: payload sized, `aes128gcm` under the
 * subscription's keys, a VAPID token, TTL/Urgency/Topic, the request through the outbound guard's agent, the answer
 * classified) and the baseline, the `web-push` library's own `sendNotification` with the same key, payload and
 * options over a keep-alive agent trusting the same CA. Both encrypt and sign every push: that is the protocol.
 */
interface Target {
  url: string;
  caPem: string;
  subscriptions: string[];
  vapid: { publicKey: string; privateKey: string };
  n: number;
  concurrency: number;
}


const SUBJECT = "mailto:bench@example.com";
const DATA = {
  secondfactorauthenticationtoken: "00000000-0000-4000-8000-000000000000",
  identifier: "bench@example.com",
  browser: "Firefox on Linux",
  location: "IP 127.0.0.1",
  timestamp: String(Math.floor(Date.now() / 1000)),
  apikey: "00000000-0000-4000-8000-000000000001",
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
};
const NOTIFICATION = { title: "Bench Authenticator", body: "Please approve the sign-in request" };

const message = (a: Target, i: number): PushMessage => ({
  deliveryId: `send.c${i}.d.1`,
  challengeId: `c${i}`,
  device: { token: a.subscriptions[i % a.subscriptions.length]!, type: "web" },
  data: DATA,
  notification: NOTIFICATION,
  ttlSeconds: 600,
});

async function provider(a: Target): Promise<SendRun> {
  const guard = createOutboundGuard({ allowPrivate: true }, { ca: a.caPem });
  const p = createWebPushProvider({ vapid: async () => a.vapid, subject: SUBJECT, guard });
  try {
    return await timedSends(a.n, a.concurrency, (i) => sendAsTheWorker(p, message(a, i)));
  } finally {
    guard.destroy();
  }
}

async function bare(a: Target): Promise<SendRun> {
  const agent = new Agent({ keepAlive: true, ca: a.caPem });
  try {
    return await timedSends(a.n, a.concurrency, async (i) => {
      const m = message(a, i);
      await webPush.sendNotification(JSON.parse(m.device.token) as webPush.PushSubscription, JSON.stringify(webPushPayloadOf(m)), {
        vapidDetails: { subject: SUBJECT, ...a.vapid },
        TTL: m.ttlSeconds,
        urgency: "high",
        topic: webPushTopicOf(m),
        contentEncoding: "aes128gcm",
        agent,
        timeout: 10_000,
      });
    });
  } finally {
    agent.destroy();
  }
}

serve({ ...probes, vapidKeys: () => webPush.generateVAPIDKeys(), provider: provider as (a: never) => unknown, bare: bare as (a: never) => unknown });

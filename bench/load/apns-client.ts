import { connect, type ClientHttp2Session } from "node:http2";
import { createPrivateKey } from "node:crypto";
import { SignJWT } from "jose";
import type { PushMessage } from "../../src/delivery/push-provider.js";
import { createApnsProvider } from "../../workers/providers/apns.js";
import { probes, serve } from "../lib/serve.js";
import { timedSends, type SendRun } from "../lib/timed-sends.js";
import { sendAsTheWorker } from "../lib/as-the-worker-sends.js";

/**
 * The apns scenario's two clients against the same APNs stand-in, in one process of their own so their CPU is
 * theirs alone: the worker's APNs provider (createApnsProvider: one HTTP/2 session, a cached ES256 token, the
 * contract's headers and payload, answers classified), and the baseline, a bare node:http2 client sending the same
 * requests over one session with one token signed beforehand and nothing else.
 */
interface Target {
  url: string;
  caPem: string;
  key: string;
  keyId: string;
  teamId: string;
  bundleId: string;
  tokens: string[];
  n: number;
  concurrency: number;
}


const DATA = {
  secondfactorauthenticationtoken: "00000000-0000-4000-8000-000000000000",
  identifier: "bench@example.com",
  browser: "Safari on macOS",
  location: "IP 127.0.0.1",
  timestamp: String(Math.floor(Date.now() / 1000)),
  apikey: "00000000-0000-4000-8000-000000000001",
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
};
const NOTIFICATION = { title: "Bench Authenticator", body: "Please approve the sign-in request" };

async function provider(a: Target): Promise<SendRun> {
  const p = createApnsProvider({
    bundleId: a.bundleId,
    environment: "Production",
    endpoint: a.url,
    auth: { kind: "token", key: a.key, keyId: a.keyId, teamId: a.teamId },
    ca: a.caPem,
  });
  const message = (i: number): PushMessage => ({
    deliveryId: `send.c${i}.d.1`,
    device: { token: a.tokens[i % a.tokens.length]!, type: "ios" },
    data: DATA,
    notification: NOTIFICATION,
    ttlSeconds: 600,
  });
  try {
    return await timedSends(a.n, a.concurrency, (i) => sendAsTheWorker(p, message(i)));
  } finally {
    p.close();
  }
}

function post(session: ClientHttp2Session, path: string, headers: Record<string, string>, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": path, ...headers });
    let status = 0;
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", () => undefined);
    req.on("error", reject);
    req.on("close", () => (status === 200 ? resolve() : reject(new Error(`status ${status}`))));
    req.end(body);
  });
}

async function bare(a: Target): Promise<SendRun> {
  const session = connect(a.url, { ca: a.caPem });
  const jwt = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: a.keyId }).setIssuer(a.teamId).setIssuedAt().sign(createPrivateKey(a.key));
  const expiration = String(Math.floor(Date.now() / 1000) + 600);
  try {
    return await timedSends(a.n, a.concurrency, (i) =>
      post(
        session,
        `/3/device/${a.tokens[i % a.tokens.length]!}`,
        { authorization: `bearer ${jwt}`, "apns-topic": a.bundleId, "apns-push-type": "alert", "apns-priority": "10", "apns-expiration": expiration, "apns-collapse-id": `c${i}` },
        JSON.stringify({ aps: { alert: NOTIFICATION, sound: "default" }, ...DATA }),
      ),
    );
  } finally {
    session.close();
  }
}

serve({ ...probes, provider: provider as (a: never) => unknown, bare: bare as (a: never) => unknown });

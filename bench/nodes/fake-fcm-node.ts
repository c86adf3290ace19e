import { startFakeFcm } from "../../test/support/fake-fcm.js";
import { startFakeOAuthToken } from "../../test/support/fake-oauth-token.js";
import { probes, serve } from "../lib/serve.js";

/**
 * The FCM side of the FCM scenario: the tests' token endpoint and FCM v1 stand-ins (RS256 assertion verified,
 * bearer token, message shape and TTL checked) with an added latency per FCM answer. argv: latency in ms.
 */
const oauth = await startFakeOAuthToken();
const fcm = await startFakeFcm(oauth);
fcm.latencyMs = Number(process.argv[2] ?? "1");

serve(
  {
    ...probes,
    /** A service account of `projectId` the token endpoint knows (its JSON, private key included: a bench key). */
    serviceAccount: (a: { projectId: string }) => oauth.newServiceAccount(a.projectId),
    /** `n` registration tokens of app instances of `projectId`. */
    registerDevices: (a: { projectId: string; n: number }) => Array.from({ length: a.n }, () => fcm.registerDevice(a.projectId)),
    stats: () => {
      const byStatus: Record<string, number> = {};
      for (const r of fcm.requests) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      return { delivered: fcm.delivered.length, requests: fcm.requests.length, tokenRequests: oauth.requests.length, byStatus };
    },
    /** Forget what was recorded (keeps accounts and devices), so a long run does not grow without bound. */
    forget: () => {
      fcm.delivered.length = 0;
      fcm.requests.length = 0;
      oauth.requests.length = 0;
    },
  },
  { url: fcm.url },
  async () => {
    await fcm.close();
    await oauth.close();
  },
);

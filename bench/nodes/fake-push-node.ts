import { makeApnsTestPki } from "../../test/support/apns-pki.js";
import { FakePushService } from "../../test/support/fake-push-service.js";
import { probes, serve } from "../lib/serve.js";

/**
 * The browser push service of the webpush scenario: the tests' RFC 8030 stand-in over HTTPS (every VAPID token
 * verified, every `aes128gcm` body decrypted with the subscriber's keys), its test CA made at start. The load
 * generator gets the CA to trust and the subscriptions; it tells the stand-in which VAPID key it signs with.
 */
const pki = makeApnsTestPki();
const service = await new FakePushService(pki.server).start();

serve(
  {
    ...probes,
    /** `n` browsers subscribed at this service: their subscriptions as `PushSubscription.toJSON()` gives them. */
    subscribe: (a: { n: number }) => Array.from({ length: a.n }, () => service.subscribe().deviceToken),
    /** The VAPID public key the senders sign with (the stand-in refuses any other `k`). */
    expectKey: (a: { publicKey: string }) => {
      service.expectedKey = a.publicKey;
    },
    stats: () => {
      const byStatus: Record<string, number> = {};
      for (const r of service.requests) {
        const key = r.problem ? `${r.status} ${r.problem.slice(0, 60)}` : String(r.status);
        byStatus[key] = (byStatus[key] ?? 0) + 1;
      }
      return { requests: service.requests.length, clean: service.requests.filter((r) => !r.problem && r.payload).length, byStatus };
    },
    /** Forget recorded requests (keeps the subscribers). */
    forget: () => {
      service.requests.length = 0;
    },
  },
  { url: service.url, caPem: pki.caPem },
  async () => {
    await service.close();
    pki.remove();
  },
);

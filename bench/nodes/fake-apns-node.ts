import { makeApnsTestPki } from "../../test/support/apns-pki.js";
import { startFakeApns } from "../../test/support/fake-apns.js";
import { probes, serve } from "../lib/serve.js";

/**
 * The APNs endpoint of the apns scenario: the tests' stand-in (HTTP/2 over TLS, provider tokens verified with the
 * .p8's public key, every header and the payload checked) with an added latency per answer, its test CA and keys
 * made at start. argv: latency in ms. Its ready message hands the load generator what a tenant's settings would
 * hold: the CA to trust, the .p8 key, its key id and team, the bundle id.
 */
const BUNDLE_ID = "com.bench.authenticator";
const KEY_ID = "BENCHKEY01";
const TEAM_ID = "BENCHTEAM1";

const pki = makeApnsTestPki();
const fake = await startFakeApns({ pki, latencyMs: Number(process.argv[2] ?? "1") });
const p8 = pki.signingKey();
fake.addSigningKey({ keyId: KEY_ID, teamId: TEAM_ID, publicKey: p8.publicKey, topics: [BUNDLE_ID] });

serve(
  {
    ...probes,
    /** Device tokens registered for the bench's app, as iOS would have handed them to enrolling phones. */
    devices: (a: { n: number }) => Array.from({ length: a.n }, () => fake.registerDevice(BUNDLE_ID)),
    stats: () => {
      const byStatus: Record<string, number> = {};
      for (const r of fake.requests) {
        const key = r.reason ? `${r.status} ${r.reason}` : String(r.status);
        byStatus[key] = (byStatus[key] ?? 0) + 1;
      }
      return { requests: fake.requests.length, byStatus, sessions: fake.sessions };
    },
    /** Forget recorded requests (keeps devices, keys and the session count). */
    forget: () => fake.reset(),
  },
  { url: fake.url, caPem: pki.caPem, key: p8.pem, keyId: KEY_ID, teamId: TEAM_ID, bundleId: BUNDLE_ID },
  async () => {
    await fake.close();
    pki.remove();
  },
);

import { randomUUID } from "node:crypto";
import { startFakeSns } from "../../test/support/fake-sns.js";
import { probes, serve } from "../lib/serve.js";

/**
 * The SNS endpoint of scenario 4: the tests' SNS-compatible fake (real Query protocol and XML, parsed by the real
 * SDK) with an added latency per answer. argv: latency in ms.
 */
const fake = await startFakeSns();
fake.latencyMs = Number(process.argv[2] ?? "1");

serve(
  {
    ...probes,
    /** Platform endpoints for these device tokens, as enrollment would have made them. */
    createEndpoints: (a: { platformArn: string; tokens: string[] }) =>
      a.tokens.map((token) => {
        const arn = `${a.platformArn.replace(":app/", ":endpoint/")}/${randomUUID()}`;
        fake.endpoints.set(arn, { token, enabled: true, platformArn: a.platformArn });
        return arn;
      }),
    /** Counts since the last `forget`, and the ms between its first and last accepted Publish (the delivery span). */
    stats: () => {
      const byAction: Record<string, number> = {};
      for (const r of fake.requests) byAction[r.action] = (byAction[r.action] ?? 0) + 1;
      const p = fake.published;
      const spanMs = p.length > 1 ? p[p.length - 1]!.receivedAt - p[0]!.receivedAt : 0;
      return { published: p.length, spanMs, requests: fake.requests.length, byAction };
    },
    /** Forget what was recorded (keeps endpoints), so a long run does not grow without bound. */
    forget: () => {
      fake.published.length = 0;
      fake.requests.length = 0;
    },
  },
  { url: fake.url },
  () => fake.close(),
);

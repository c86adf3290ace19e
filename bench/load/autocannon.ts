import autocannon from "autocannon";
import { probes, serve } from "../lib/serve.js";

/** Scenario 2's load generator: autocannon (keep-alive connections, no pipelining) against one URL. */
async function run(a: { url: string; connections: number; durationSec: number }) {
  const r = await autocannon({ url: a.url, connections: a.connections, duration: a.durationSec, pipelining: 1 });
  return {
    requestsPerSec: r.requests.average,
    total: r.requests.total,
    latency: { p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.mean },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodeStats: r.statusCodeStats ?? {},
    seconds: r.duration,
  };
}

serve({ ...probes, run: run as (a: never) => unknown });

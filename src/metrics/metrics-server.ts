import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Queue } from "bullmq";
import type { Metrics } from "./metrics.js";
import { metricsText } from "./exposition.js";

export interface MetricsServerOptions {
  port: number;
  host: string;
  metrics: Metrics;
  queues: Queue[];
  /** METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Redis answers and the process is not draining. */
  isReady: () => Promise<boolean>;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

const digest = (v: string) => createHash("sha256").update(v, "utf8").digest();

/**
 * For a worker-only process (METRICS_PORT), which has no Express app: /metrics (its pushes and expiries are
 * counted here, not on any gateway), /healthz and /readyz for the orchestrator. JSON answers, as the gateway's.
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const expected = o.token ? digest(`Bearer ${o.token}`) : null;
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!.toLowerCase();
    if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { Status: "method not allowed" });
    if (path === "/healthz") return json(res, 200, { Status: "ok" });
    if (path === "/readyz") {
      void o.isReady().then((ready) => json(res, ready ? 200 : 503, { Status: ready ? "ready" : "unavailable" }));
      return;
    }
    if (path !== "/metrics") return json(res, 404, { Status: "not found" });
    if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ""), expected)) return json(res, 403, { Status: "METRICS_TOKEN required" });
    metricsText(o.metrics, o.queues).then(
      (text) => res.writeHead(200, { "content-type": o.metrics.registry.contentType }).end(text),
      () => json(res, 503, { Status: "metrics unavailable" }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The product's metrics, on a registry of its own (no global state, so several runtimes in one test process do
 * not collide). Served at /metrics together with BullMQ's own queue metrics.
 */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<"method" | "route" | "status">;
  challenges: Counter<"outcome">;
  pushes: Counter<"provider" | "outcome">;
  /**
   * Password hashes computed by L2: one per attempt whatever its outcome (known, unknown or locked identifier),
   * which is what keeps the answer's timing from telling them apart.
   */
  passwordChecks: Counter;
  /** Sockets connected to this node: `page` (waiting logins, namespace "/") and `device` (open phone apps). */
  socketsConnected: Gauge<"kind">;
  /**
   * Seconds from the phone's answer (the challenge's `endedAt`, AnsweredAt on the wire) to a page that was waiting
   * being told: observed on the node holding the page's socket as the Approved/Denied packet leaves for it.
   */
  answerToPage: Histogram;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: "push-mfa-gateway" });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "pmg_" });
  return {
    registry,
    httpDuration: new Histogram({
      name: "pmg_http_request_duration_seconds",
      help: "HTTP request duration by route pattern",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    challenges: new Counter({
      name: "pmg_challenges_total",
      help: "Challenges by outcome (started, approved, denied, fraud, expired, cancelled)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    pushes: new Counter({
      name: "pmg_pushes_total",
      help: "Push send attempts by provider (webhook, sns, socket; none: skipped before one was chosen) and outcome (sent, failed, retrying, skipped)",
      labelNames: ["provider", "outcome"] as const,
      registers: [registry],
    }),
    passwordChecks: new Counter({
      name: "pmg_password_checks_total",
      help: "Password hashes computed by logins (one per attempt: known, unknown or locked identifier alike)",
      registers: [registry],
    }),
    socketsConnected: new Gauge({
      name: "pmg_sockets_connected",
      help: "Sockets connected to this node, by kind (page: a login page waiting; device: an open phone app)",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    answerToPage: new Histogram({
      name: "pmg_answer_to_page_seconds",
      help: "Time from the phone's answer to a waiting page being told (across nodes: includes their clock difference)",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}

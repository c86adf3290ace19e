import { z } from "zod";
import { sentenceOf } from "./validation.js";
import { parseRange, type AddressRange } from "./http/address-ranges.js";

/**
 * Process configuration (contract 2.3), parsed once at start. Nothing else reads `process.env`.
 * Every bad variable is named in one error.
 */

const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .transform((v) => v === "1" || v === "true" || v === "yes");

/**
 * CORS_ORIGINS: "*" or a comma-separated list of origins (scheme://host[:port], no path), normalised as browsers
 * send them in the Origin header.
 */
const corsOrigins = z.string().transform((raw, ctx): "*" | string[] => {
  const items = raw.split(",").map((o) => o.trim()).filter(Boolean);
  if (items.includes("*")) {
    if (items.length > 1) ctx.addIssue({ code: "custom", message: '"*" cannot be combined with other origins' });
    return "*";
  }
  const origins: string[] = [];
  for (const item of items) {
    // The shape first (so "https://a.example/path" or credentials are refused), then URL for normalisation.
    const url = /^https?:\/\/[^/?#@\s]+\/?$/i.test(item) && URL.canParse(item) ? new URL(item) : null;
    if (!url) ctx.addIssue({ code: "custom", message: `"${item}" is not an origin like https://login.example.com (scheme, host, optional port; no path)` });
    else origins.push(url.origin);
  }
  return origins;
});

/**
 * TRUSTED_ORIGIN_IP_SOURCES: comma-separated addresses or CIDRs (`10.0.0.0/8, 2001:db8::/32, 192.0.2.7`) of the
 * backends whose `X-Origin-IP` header is believed without credentials.
 */
const addressRanges = z.string().transform((raw, ctx): AddressRange[] => {
  const ranges: AddressRange[] = [];
  for (const item of raw.split(",").map((v) => v.trim()).filter(Boolean)) {
    const range = parseRange(item);
    if (!range) ctx.addIssue({ code: "custom", message: `"${item.slice(0, 60)}" is not an IP address or CIDR like 10.0.0.0/8` });
    else ranges.push(range);
  }
  return ranges;
});

/** An http(s) base URL, kept without its trailing slashes so paths can be appended. */
const baseUrl = z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, ""));

const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)");

const schema = z.object({
  /** Production unless explicitly "development" (which `npm start` sets): the demo pages and dev defaults need asking for. */
  NODE_ENV: z.enum(["development", "production"]).default("production"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  /** Proxy hops to trust for the client IP (X-Forwarded-For), as Express's "trust proxy". */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** Backends whose `X-Origin-IP` (the end user's address) is believed without an apisecret (contract 1.6). */
  TRUSTED_ORIGIN_IP_SOURCES: addressRanges.default([]),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"),
  REDIS_CLUSTER: bool.default(false),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, "must be letters, digits, _ . or - only, at most 40 characters").default("pmg"),
  BOOTSTRAP_API_KEY: z.uuid().optional(),
  BOOTSTRAP_API_SECRET: z.string().min(16).max(200).optional(),
  MASTER_KEY: base64Key.optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  SNS_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** Base of the FCM HTTP v1 API (contract 2.5); the operator's own, trusted as given (no SSRF guard). */
  FCM_ENDPOINT: baseUrl.default("https://fcm.googleapis.com"),
  /** APNs base URL (contract 2.6) for every app, e.g. a local stand-in; unset: Apple's, by each app's Environment. */
  APNS_ENDPOINT: baseUrl.optional(),
  ALLOW_PRIVATE_WEBHOOKS: bool.optional(),
  /**
   * The VAPID `sub` claim of Web Push (contract 2.7): how a push service reaches the operator, a `mailto:` address or
   * an `https:` URL. Unset: PUBLIC_URL when it is https (and not localhost), else `mailto:webpush@<its host>`.
   */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/[^\s/]+\S*)$/, "must be a mailto: address (mailto:ops@example.com) or an https URL")
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Seconds a resend must wait after the previous send. */
  RESEND_MIN_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(3600).default(20),
  /** Resends allowed per challenge. */
  RESEND_MAX: z.coerce.number().int().min(0).max(100).default(3),
  /** Seconds an approved login keeps answering pings with the same login response. */
  FINALIZE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Lifetime of access tokens, seconds. */
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(31_536_000).default(3600),
  ENROLLMENT_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  /** A named admin's console session ends after this long without a request (docs/CONSOLE-ADMINS.md). */
  CONSOLE_SESSION_IDLE_SECONDS: z.coerce.number().int().min(60).max(86_400).default(8 * 3600),
  /** ...and this long after its sign-in, used or not. */
  CONSOLE_SESSION_MAX_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(24 * 3600),
  /** Seconds pushes and logins stay locked after a "not me" answer. */
  FRAUD_LOCK_SECONDS: z.coerce.number().int().min(0).max(86_400 * 30).default(900),
  /** Audit events kept per app. */
  AUDIT_MAX_EVENTS: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  /** Optional: every audit event is also POSTed here, signed like the push webhook. */
  AUDIT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUDIT_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** When set, /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Wrong passwords per account before it is locked (error 1198) for LOGIN_LOCK_SECONDS. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_LOCK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Attempts per push, the first included; retries stop earlier at the challenge's deadline. */
  PUSH_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** Delay before the first retry, in ms; it doubles on each later one, with jitter. */
  PUSH_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(500),
  /** Pushes per second per app across every worker (SNS quotas are per account and region); 0 = no limit. */
  PUSH_RATE_PER_APP: z.coerce.number().int().min(0).max(100_000).default(100),
  /** Job lock, in ms: a worker that dies mid-send has its job taken over about this long after. */
  WORKER_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** Seconds a SIGTERM'd process may take to drain (jobs in flight finish; an SNS request times out after 10). */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  /**
   * Origins whose pages may call the REST API and open the socket cross-origin: a comma-separated list, or "*".
   * Unset: "*" in development, none (same origin only) in production.
   */
  CORS_ORIGINS: corsOrigins.optional(),
  /** Mounts the queue dashboard at /admin/queues, behind this token (Bearer, or HTTP Basic password). Unset: not mounted. */
  ADMIN_TOKEN: z.string().min(24).max(512).regex(/^\S+$/, "must not contain spaces").optional(),
  /** A worker-only process (npm run worker) serves /metrics, /healthz and /readyz on this port. Unset: none. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /**
   * Socket.IO's Redis adapter: "sharded" (Redis 7 SPUBLISH, a room's message reaches only the nodes that hold it)
   * or "classic" (PUBLISH to every node; for Redis before 7 or a proxy without sharded pub/sub).
   */
  SOCKET_ADAPTER: z.enum(["sharded", "classic"]).default("sharded"),
  /**
   * Page handshakes one gateway node admits per second (a burst of one second's worth), counted in memory; over it a
   * handshake is refused with 429 and a `RetryAfter` hint, so a reconnect storm cannot swamp the node. 0: no limit.
   */
  SOCKET_HANDSHAKES_PER_SECOND: z.coerce.number().int().min(0).max(1_000_000).default(500),
  /**
   * Page sockets one gateway node holds per challenge token (a page and a few reloads or tabs need a handful); over
   * it the handshake is refused with 429 and a `RetryAfter` hint. 0: no limit.
   */
  SOCKETS_PER_TOKEN: z.coerce.number().int().min(0).max(1_000_000).default(20),
  /**
   * Page sockets one gateway node holds per client address (an IPv6 client counted by its /64); room for a busy
   * NAT's logins waiting at once. Over it: 429 with `RetryAfter`. 0: no limit.
   */
  SOCKETS_PER_ADDRESS: z.coerce.number().int().min(0).max(1_000_000).default(200),
});

type Env = z.infer<typeof schema>;

/** Every variable the process reads (.env.example documents each; a test checks it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config extends Omit<Env, "PUBLIC_URL" | "ALLOW_PRIVATE_WEBHOOKS" | "CORS_ORIGINS"> {
  PUBLIC_URL: string;
  /** False when PUBLIC_URL is the default, which then follows the port actually bound. */
  PUBLIC_URL_SET: boolean;
  ALLOW_PRIVATE_WEBHOOKS: boolean;
  /** "*" (any origin) or the allowed origins; an empty list allows same-origin pages only. */
  CORS_ORIGINS: "*" | string[];
  isDev: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parse the environment; throws one ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most twelve-factor apps.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${sentenceOf(i.path.join("."), i.message)}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const isDev = e.NODE_ENV === "development";
  if (!isDev && !e.MASTER_KEY) {
    // One line, as the process prints it before exiting: what is missing, how to make one, and the other way out.
    throw new ConfigError(
      "MASTER_KEY is required in production (the default when NODE_ENV is unset): set it to 32 random bytes, base64 (openssl rand -base64 32), or set NODE_ENV=development on a laptop",
    );
  }
  if ((e.AUDIT_WEBHOOK_URL === undefined) !== (e.AUDIT_WEBHOOK_SECRET === undefined)) {
    throw new ConfigError("invalid configuration:\n  AUDIT_WEBHOOK_URL, AUDIT_WEBHOOK_SECRET: set both or neither");
  }
  if ((e.BOOTSTRAP_API_KEY === undefined) !== (e.BOOTSTRAP_API_SECRET === undefined)) {
    throw new ConfigError("invalid configuration:\n  BOOTSTRAP_API_KEY, BOOTSTRAP_API_SECRET: set both or neither");
  }
  return {
    ...e,
    isDev,
    PUBLIC_URL: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    PUBLIC_URL_SET: e.PUBLIC_URL !== undefined,
    ALLOW_PRIVATE_WEBHOOKS: e.ALLOW_PRIVATE_WEBHOOKS ?? isDev,
    CORS_ORIGINS: e.CORS_ORIGINS ?? (isDev ? "*" : []),
  };
}

import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";
import { createKeys, type Keys } from "./keys.js";
import type { Sealer } from "./crypto/sealed.js";
import { createAppStore, type AppStore } from "./apps/app-store.js";
import { createAccountStore, type AccountStore } from "./accounts/account-store.js";
import { createSessionStore, type SessionStore } from "./sessions/session-store.js";
import { createSettingsStore, type SettingsStore } from "./settings/settings-store.js";
import { createDeviceStore, type DeviceStore } from "./devices/device-store.js";
import { createChallengeStore, type ChallengeStore } from "./challenge/challenge-store.js";
import { createEnrollment, type Enrollment } from "./enrollment/enrollment.js";
import { createRateLimits, defaultRateLimits, RATE_LIMIT_WINDOW_SECONDS, type RateLimitOptions, type RateLimits } from "./rate-limits.js";
import type { PushQueues } from "./delivery/queues.js";
import type { Notifier } from "./realtime/notifier.js";
import { createVapidKeys, type VapidKeys } from "./crypto/vapid-key.js";
import { createAuditLog, type AuditLog } from "./audit/audit-log.js";
import { createGuessBudget, type GuessBudget } from "./guess-budget.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import { createOutboundGuard } from "./outbound/outbound-guard.js";
import { createServerKeys, type ServerKeys } from "./crypto/server-key.js";
import { createBackupCodeStore, type BackupCodeStore } from "./backup-codes/backup-code-store.js";
import { createManagementTokens, type ManagementTokens } from "./apps/management-tokens.js";

/**
 * The composition root's product: every store and service a request handler or worker needs, built from
 * explicit dependencies (no singletons), so a test builds its own with its own Redis prefix and clock.
 */
export interface Services {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  keys: Keys;
  sealer: Sealer;
  apps: AppStore;
  /** (ext) Management bearer tokens traded for the apisecret (contract 1.6). */
  managementTokens: ManagementTokens;
  accounts: AccountStore;
  sessions: SessionStore;
  settings: SettingsStore;
  devices: DeviceStore;
  challenges: ChallengeStore;
  enrollment: Enrollment;
  /** Each user's backup codes, kept as keyed hashes (L13–L16). */
  backupCodes: BackupCodeStore;
  limits: RateLimits;
  /** Each address's budget of failed guesses (1103, 902, 905). */
  guesses: GuessBudget;
  audit: AuditLog;
  /** Each app's key that signs push data (contract 2.9). */
  serverKeys: ServerKeys;
  /** The deployment's VAPID key of Web Push (contract 2.7). */
  vapid: VapidKeys;
  metrics: Metrics;
  queues: PushQueues;
  notifier: Notifier;
  now: () => number;
  /**
   * What L4 reads through: the same challenges and guess budget (the same keys) on the pollers' auto-pipelined
   * client, so many polls at once share socket writes while the answer path (and the long poll) keep the plain one.
   */
  pollers: Pick<Services, "challenges" | "guesses" | "sealer" | "now">;
}

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  /** The pollers' client (auto-pipelined); `redis` when absent. */
  pollRedis?: RedisClient;
  sealer: Sealer;
  queues: PushQueues;
  notifier: Notifier;
  rateLimits?: Partial<RateLimitOptions>;
  /** Shared by the roles of one process; a fresh registry when absent. */
  metrics?: Metrics;
  now?: () => number;
}

export function createServices(deps: ServiceDeps): Services {
  const now = deps.now ?? Date.now;
  const date = () => new Date(now());
  const keys = createKeys(deps.config.REDIS_PREFIX);
  const rateLimits = { ...defaultRateLimits, ...deps.rateLimits };
  const limits = createRateLimits(deps.redis, keys, rateLimits);
  const apps = createAppStore(deps.redis, keys, deps.sealer, date);
  const pollRedis = deps.pollRedis ?? deps.redis;
  const challengesOn = (redis: RedisClient) =>
    createChallengeStore(redis, keys, { points: rateLimits.pingPerToken, windowMs: RATE_LIMIT_WINDOW_SECONDS * 1000 });
  const challenges = challengesOn(deps.redis);
  const guesses = createGuessBudget(limits.failedGuessesPerIp);
  const shared = pollRedis === deps.redis;
  return {
    config: deps.config,
    logger: deps.logger,
    redis: deps.redis,
    keys,
    sealer: deps.sealer,
    apps,
    managementTokens: createManagementTokens(deps.redis, keys, apps, now),
    accounts: createAccountStore(deps.redis, keys, date),
    sessions: createSessionStore(deps.redis, keys, deps.config.SESSION_TTL_SECONDS, date),
    settings: createSettingsStore(deps.redis, keys, deps.sealer, { allowPrivateWebhooks: deps.config.ALLOW_PRIVATE_WEBHOOKS }),
    devices: createDeviceStore(deps.redis, keys, deps.sealer, date),
    challenges,
    enrollment: createEnrollment(deps.redis, keys, deps.sealer, { publicUrl: deps.config.PUBLIC_URL, ttlSeconds: deps.config.ENROLLMENT_TTL_SECONDS }, date),
    backupCodes: createBackupCodeStore(deps.redis, keys, deps.sealer),
    limits,
    guesses,
    audit: createAuditLog(deps.redis, keys, deps.logger, {
      maxLength: deps.config.AUDIT_MAX_EVENTS,
      webhook:
        deps.config.AUDIT_WEBHOOK_URL && deps.config.AUDIT_WEBHOOK_SECRET
          ? { url: deps.config.AUDIT_WEBHOOK_URL, secret: deps.config.AUDIT_WEBHOOK_SECRET, guard: createOutboundGuard({ allowPrivate: deps.config.ALLOW_PRIVATE_WEBHOOKS }) }
          : undefined,
    }),
    serverKeys: createServerKeys(deps.redis, keys, deps.sealer),
    vapid: createVapidKeys(deps.redis, keys, deps.sealer),
    metrics: deps.metrics ?? createMetrics({ defaultMetrics: false }),
    queues: deps.queues,
    notifier: deps.notifier,
    now,
    pollers: {
      challenges: shared ? challenges : challengesOn(pollRedis),
      guesses: shared ? guesses : createGuessBudget(createRateLimits(pollRedis, keys, rateLimits).failedGuessesPerIp),
      sealer: deps.sealer,
      now,
    },
  };
}

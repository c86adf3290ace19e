import { generateKeyPairSync, randomBytes, randomUUID, scryptSync, sign, type KeyObject } from "node:crypto";
import { Redis } from "ioredis";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createKeys } from "../../src/keys.js";
import { createRedis, waitForRedis, type RedisClient } from "../../src/redis.js";
import { createSealer } from "../../src/crypto/sealed.js";
import { hashPassword } from "../../src/crypto/passwords.js";
import { createPushQueues, type PushQueues } from "../../src/delivery/queues.js";
import { createServices, type Services } from "../../src/services.js";
import { createNotifier } from "../../src/realtime/notifier.js";
import { createRoomEmitter } from "../../src/realtime/emitters.js";
import { openChallenge } from "../../src/challenge/open-challenge.js";
import type { AppRecord } from "../../src/apps/app-store.js";
import type { Profile } from "../../src/accounts/account-store.js";
import type { RateLimitOptions } from "../../src/rate-limits.js";
import { mapLimit } from "./stats.js";

export const REDIS_URL = "redis://127.0.0.1:6379";
export const BENCH_PASSWORD = "correct horse battery staple";

/**
 * Rate limits high enough that a benchmark's load from 127.0.0.1 is never refused, while every limiter still runs
 * (its Redis call is part of what is measured).
 */
export const benchLimits: RateLimitOptions = {
  loginPerIp: 1e9, loginPerAccount: 1e9, pingPerToken: 1e9, answerFailuresPerHandleIp: 1e9, strangerPerIp: 1e9, handshakePerIp: 1e9, failedGuessesPerIp: 1e9,
};

/** One deployment of the gateway for one scenario: its own Redis prefix, master key and app. */
export interface Deployment {
  prefix: string;
  masterKey: string;
  apiKey: string;
  apiSecret: string;
}

export function newDeployment(scenario: string): Deployment {
  return {
    prefix: `bench-${scenario}-${randomBytes(3).toString("hex")}`,
    masterKey: randomBytes(32).toString("base64"),
    apiKey: randomUUID(),
    apiSecret: randomBytes(24).toString("base64url"),
  };
}

/** The environment of a gateway or worker process of this deployment (production mode, as deployed). */
export function deploymentEnv(d: Deployment, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "production",
    PORT: "0",
    HOST: "127.0.0.1",
    REDIS_URL,
    REDIS_PREFIX: d.prefix,
    MASTER_KEY: d.masterKey,
    BOOTSTRAP_API_KEY: d.apiKey,
    BOOTSTRAP_API_SECRET: d.apiSecret,
    ALLOW_PRIVATE_WEBHOOKS: "true",
    SOCKET_ADAPTER: "sharded",
    // The per-node handshake admission (a reconnect-storm guard) still runs, but never refuses the bench's bursts.
    SOCKET_HANDSHAKES_PER_SECOND: "1000000",
    // The bench's thousands of pages all come from loopback: no per-address socket cap.
    SOCKETS_PER_ADDRESS: "0",
    LOG_LEVEL: "info",
    ...extra,
  };
}

/** Delete every key of a prefix (SCAN, never KEYS). Returns how many were deleted. */
export async function deletePrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 2000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A bench phone's key: RSA-2048, as the LoginRadius Android SDK makes. */
export interface BenchPhone {
  publicKeyHex: string;
  privateKeyPem: string;
}

/**
 * One freshly generated key: for scenarios whose users never answer (every user may share it, since no signature
 * is checked); scenarios that answer give each user its own key (rsa-key-pool.ts).
 */
export function newPhone(): BenchPhone {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    publicKeyHex: pair.publicKey.export({ format: "der", type: "spki" }).toString("hex"),
    privateKeyPem: pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/** hex(SHA256withRSA(verify + handle)), contract 1.4. */
export const signAnswer = (key: KeyObject, verify: "Yes" | "No", handle: string): string =>
  sign("sha256", Buffer.from(verify + handle, "utf8"), key).toString("hex");

export interface BenchUser {
  uid: string;
  email: string;
  profile: Profile;
  /** Index of the user's phone key in the pool given to `seedUsers` (0 when one phone was given). */
  key: number;
}

/** A challenge opened for the bench: the browser's token and the handle the push would carry. */
export interface OpenedLogin {
  uid: string;
  token: string;
  handle: string;
  /** The user's phone key (BenchUser.key): what the answer must be signed with. */
  key: number;
}

export interface Seeder {
  services: Services;
  app: AppRecord;
  config: Config;
  /** Settings through the settings store (validated and sealed as L10 stores them). */
  putSettings(settings: Record<string, unknown>): Promise<void>;
  /**
   * Accounts and one active device each, written in bulk (see `connectSeeder` below for why not via L1). User i's
   * device registers phones[i % phones.length]: a pool as large as the users makes every key distinct.
   */
  seedUsers(n: number, phones: BenchPhone | readonly BenchPhone[], o?: { endpointArns?: string[]; passwordHash?: string; onProgress?: (done: number) => void }): Promise<BenchUser[]>;
  /** Open one challenge per user with the gateway's own `openChallenge` (what L2 does after the password). */
  openChallenges(users: BenchUser[], o?: { concurrency?: number; onProgress?: (done: number) => void }): Promise<OpenedLogin[]>;
  close(): Promise<void>;
}

/**
 * The bench's own view of a deployment: the same Services a gateway builds (stores, queues, a Redis emitter as
 * notifier), in the orchestrator process, to create users and challenges without paying scrypt for each.
 * L2 costs one scrypt (N=2^17, ~0.3 s of CPU): 10,000 logins through it would take longer than the scenario they
 * prepare. Scenarios that are not about L2 therefore open challenges by calling `openChallenge` directly, then
 * answer them through real HTTP L5 with real signatures; the login scenario goes through L2.
 */
export async function connectSeeder(d: Deployment, o: { snsEndpoint?: string } = {}): Promise<Seeder> {
  const config = loadConfig({
    ...deploymentEnv(d),
    ...(o.snsEndpoint && { SNS_ENDPOINT: o.snsEndpoint }),
    LOG_LEVEL: "warn",
  });
  const logger = createLogger("warn", process.stderr);
  const clients: RedisClient[] = [];
  const client = (blocking = false) => {
    const c = createRedis(config, { blocking });
    c.on("error", () => undefined);
    clients.push(c);
    return c;
  };
  const redis = client();
  await waitForRedis(redis, 3000);
  const sealer = createSealer(Buffer.from(d.masterKey, "base64"));
  const queues: PushQueues = createPushQueues(client(true), createKeys(config.REDIS_PREFIX), { attempts: config.PUSH_ATTEMPTS, backoffMs: config.PUSH_BACKOFF_MS });
  const emitter = createRoomEmitter(client(), config.SOCKET_ADAPTER, config.REDIS_PREFIX);
  const services = createServices({ config, logger, redis, sealer, queues, notifier: createNotifier(emitter, sealer), rateLimits: benchLimits });
  const app = await services.apps.ensure(d.apiKey, d.apiSecret, "Bench app");
  const passwordHash = await hashPassword(BENCH_PASSWORD);

  return {
    services,
    app,
    config,
    async putSettings(settings) {
      await services.settings.put(app.apiKey, app.name, settings);
    },
    async seedUsers(n, phones, so = {}) {
      const pool: readonly BenchPhone[] = Array.isArray(phones) ? phones : [phones as BenchPhone];
      if (!pool.length) throw new Error("seedUsers: no phone key");
      const users: BenchUser[] = [];
      const keys = services.keys;
      const batch = 500;
      for (let start = 0; start < n; start += batch) {
        const pipe = redis.pipeline();
        const part: BenchUser[] = [];
        for (let i = start; i < Math.min(n, start + batch); i++) {
          const uid = randomUUID().replaceAll("-", "");
          const email = `bench-${i}-${uid.slice(0, 8)}@example.com`;
          const profile: Profile = {
            Uid: uid, ID: randomUUID().replaceAll("-", ""), Email: [{ Type: "Primary", Value: email }], EmailVerified: true,
            IsActive: true, IsDeleted: false, UserName: null, PhoneId: null, FirstName: null,
            CreatedDate: new Date().toISOString(), Identities: null, IsPasswordBreached: false,
          };
          // The account as L1 stores it (account-store.ts), with one precomputed scrypt hash shared by every user.
          pipe.set(keys.identity(app.apiKey, "email", email.toLowerCase()), uid);
          pipe.hset(keys.profile(app.apiKey, uid), { profile: JSON.stringify(profile), password: so.passwordHash ?? passwordHash });
          part.push({ uid, email, profile, key: i % pool.length });
        }
        await pipe.exec();
        await mapLimit(part, 64, async (u, i) => {
          const device = await services.devices.add(app.apiKey, u.uid, {
            name: "Bench phone", type: "android", publicKey: pool[u.key]!.publicKeyHex, token: `fcm-bench-${u.uid}`,
          });
          const arn = so.endpointArns?.[start + i];
          if (arn) await services.devices.patch(app.apiKey, u.uid, device.id, { endpointArn: arn, endpointPlatformArn: ANDROID_PLATFORM_ARN });
        });
        users.push(...part);
        so.onProgress?.(users.length);
      }
      return users;
    },
    async openChallenges(users, oo = {}) {
      const settings = await services.settings.get(app.apiKey, app.name);
      let done = 0;
      return mapLimit(users, oo.concurrency ?? 32, async (u) => {
        const { token, challenge } = await openChallenge(services, app, settings, u.uid, u.profile, {
          browser: "Chrome on Linux", location: "IP 127.0.0.1",
        });
        if (++done % 500 === 0) oo.onProgress?.(done);
        return { uid: u.uid, token, handle: sealer.open(challenge.handleSealed, `handle:${challenge.id}`), key: u.key };
      });
    },
    async close() {
      await queues.close().catch(() => undefined);
      await Promise.allSettled(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** The fake SNS's GCM platform application (test/support/fake-sns.ts knows it from the start). */
export const ANDROID_PLATFORM_ARN = "arn:aws:sns:us-east-1:123456789012:app/GCM/push-mfa";

/** Settings for scenarios whose workers push through SNS: the keys the local SNS stand-in (fake-sns-node) knows. */
export const snsSettings = {
  IsEnabled: true,
  CustomAppName: "Bench Authenticator",
  NotificationService: "AWS",
  AWSsettings: { AccessKeyId: "AKIABENCH", SecretAccessKey: "bench-secret-access-key", Region: "us-east-1" },
  AndroidSettings: { Enabled: true, PlatformARN: ANDROID_PLATFORM_ARN },
  IOSsettings: { Enabled: false, PlatformARN: "" },
  ChallengeTtlSeconds: 900,
  NumberMatching: "Off",
};

/** Settings for scenarios without a worker: push on, the Native provider (never called), a long challenge life. */
export const nativeSettings = {
  IsEnabled: true,
  CustomAppName: "Bench Authenticator",
  NotificationService: "Native",
  NativeSettings: { WebhookUrl: "http://127.0.0.1:9/push", SigningSecret: "bench-signing-secret-0123456789" },
  ChallengeTtlSeconds: 900,
  NumberMatching: "Off",
};

/**
 * A stored password hash in passwords.ts's format (`scrypt$N$r$p$salt$key`) with a chosen N. verifyPassword reads
 * N from the stored hash, so accounts seeded with a small N let L2 run everything but the expensive scrypt: the
 * login scenario's measure of what a login costs besides its password check.
 */
export function passwordHashWithN(password: string, N: number): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize("NFKC"), salt, 32, { N, r: 8, p: 1 });
  return ["scrypt", N, 8, 1, salt.toString("base64"), key.toString("base64")].join("$");
}

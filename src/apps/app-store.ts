import { randomBytes } from "node:crypto";
import { hashToken, newToken, sameDigest } from "../crypto/tokens.js";
import type { Sealer } from "../crypto/sealed.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";

/** An app (tenant): its apikey identifies it, its apisecret (kept only as a hash) authorises management calls. */
export interface AppRecord {
  apiKey: string;
  name: string;
  createdAt: string;
  /**
   * Set only on the gateway's own app whose accounts are the console's admins (src/console/admin-app.ts): never
   * listed among the tenants, and its pushes reach devices over the device channel or the signed pull only.
   */
  internal?: true;
}

export interface AppStore {
  get(apiKey: string): Promise<AppRecord | null>;
  /** Create a new app; the secret is returned once and never stored in clear. */
  create(name: string): Promise<{ app: AppRecord; apiSecret: string }>;
  /**
   * Make sure this app exists with this secret (BOOTSTRAP_API_KEY/SECRET); idempotent. `internal`: the console
   * admins' app, kept out of `list()`.
   */
  ensure(apiKey: string, apiSecret: string, name: string, options?: { internal?: boolean }): Promise<AppRecord>;
  verifySecret(apiKey: string, apiSecret: string): Promise<boolean>;
  rotateSecret(apiKey: string): Promise<string | null>;
  /**
   * The secret itself, for checking a signed request (HMAC keyed by the apisecret, contract 1.6): stored sealed
   * under the master key beside its hash. Null for an unknown app, or one whose secret was set before sealed copies
   * were kept (rotate it, or restart with its BOOTSTRAP_API_SECRET, to enable signing).
   */
  signingSecret(apiKey: string): Promise<string | null>;
  /** A short fingerprint of the current secret (of its hash), which changes when the secret rotates; null: no app. */
  secretVersion(apiKey: string): Promise<string | null>;
  /** Every tenant's apikey (the internal app is not one). */
  list(): Promise<string[]>;
}

/** How long a found app record is reused in-process: every REST call and handshake names its app. */
const APP_CACHE_MS = 5000;
const APP_CACHE_MAX = 10_000;

export function createAppStore(redis: RedisClient, keys: Keys, sealer: Sealer, now: () => Date = () => new Date()): AppStore {
  const newSecret = () => randomBytes(24).toString("base64url");
  const sealContext = (apiKey: string) => `app-secret:${apiKey}`;
  /** The hash that checks a presented secret and the sealed copy that keys request signatures, always written together. */
  const secretFields = (apiKey: string, apiSecret: string) => ({
    secretHash: hashToken(apiSecret),
    secretSealed: sealer.seal(apiSecret, sealContext(apiKey)),
  });
  // Only found apps are cached (apps are never deleted, and the secret is always checked in Redis), so an
  // unknown apikey costs a lookup every time and cannot fill the cache.
  const cache = new Map<string, { app: AppRecord; until: number }>();

  async function read(apiKey: string): Promise<AppRecord | null> {
    const [name, createdAt, internal] = await redis.hmget(keys.app(apiKey), "name", "createdAt", "internal");
    if (name == null || createdAt == null) return null;
    return internal === "1" ? { apiKey, name, createdAt, internal: true } : { apiKey, name, createdAt };
  }

  async function get(apiKey: string): Promise<AppRecord | null> {
    const hit = cache.get(apiKey);
    if (hit && hit.until > Date.now()) return hit.app;
    const app = await read(apiKey);
    if (!app) return null;
    if (cache.size >= APP_CACHE_MAX) cache.clear();
    cache.set(apiKey, { app, until: Date.now() + APP_CACHE_MS });
    return app;
  }

  async function write(apiKey: string, apiSecret: string, name: string, internal = false): Promise<AppRecord> {
    const createdAt = now().toISOString();
    await redis.hset(keys.app(apiKey), { name, createdAt, ...secretFields(apiKey, apiSecret), ...(internal && { internal: "1" }) });
    if (internal) return { apiKey, name, createdAt, internal: true };
    await redis.sadd(keys.apps(), apiKey);
    return { apiKey, name, createdAt };
  }

  return {
    get,
    async create(name) {
      const apiSecret = newSecret();
      const app = await write(newToken(), apiSecret, name);
      return { app, apiSecret };
    },
    async ensure(rawKey, apiSecret, name, options = {}) {
      const apiKey = rawKey.toLowerCase();
      const existing = await read(apiKey);
      if (existing) {
        await redis.hset(keys.app(apiKey), secretFields(apiKey, apiSecret));
        return existing;
      }
      return write(apiKey, apiSecret, name, options.internal);
    },
    async verifySecret(apiKey, apiSecret) {
      const stored = await redis.hget(keys.app(apiKey), "secretHash");
      return stored != null && sameDigest(stored, hashToken(apiSecret));
    },
    async rotateSecret(apiKey) {
      if (!(await read(apiKey))) return null;
      const apiSecret = newSecret();
      await redis.hset(keys.app(apiKey), secretFields(apiKey, apiSecret));
      return apiSecret;
    },
    async signingSecret(apiKey) {
      const sealed = await redis.hget(keys.app(apiKey), "secretSealed");
      return sealed == null ? null : sealer.open(sealed, sealContext(apiKey));
    },
    async secretVersion(apiKey) {
      const stored = await redis.hget(keys.app(apiKey), "secretHash");
      return stored == null ? null : hashToken(stored).slice(0, 16);
    },
    list: () => redis.smembers(keys.apps()),
  };
}

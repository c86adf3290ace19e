import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { z } from "zod";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import type { Sealer } from "./sealed.js";

/**
 * Each app's server key (contract 2.9): an ECDSA P-256 key pair the gateway signs push data with, so an app can
 * check that a request came from this gateway before it shows it. Created on first use, stored sealed under the
 * master key, never rotated (apps are never deleted, so a process keeps a key it has loaded).
 */

/** The public key as contract 2.9 publishes it: a bare JWK, `kid` its RFC 7638 thumbprint. */
export const serverPublicJwkSchema = z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string(), kid: z.string() });
export type ServerPublicJwk = z.infer<typeof serverPublicJwkSchema>;

export interface ServerKey {
  publicJwk: ServerPublicJwk;
  /** base64url of the ECDSA P-256 SHA-256 signature of `text` (UTF-8), IEEE P1363 (r||s, 64 bytes). */
  sign(text: string): string;
}

export interface ServerKeys {
  /** The app's key, made now if it has none. Two nodes making it at once agree on one (SET NX, then read). */
  of(appId: string): Promise<ServerKey>;
}

interface PrivateJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  d: string;
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
const thumbprint = (jwk: Pick<PrivateJwk, "crv" | "kty" | "x" | "y">): string =>
  createHash("sha256").update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }), "utf8").digest("base64url");

function serverKeyOf(privateKey: KeyObject): ServerKey {
  const jwk = privateKey.export({ format: "jwk" }) as PrivateJwk;
  return {
    publicJwk: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, kid: thumbprint(jwk) },
    sign: (text) => sign("sha256", Buffer.from(text, "utf8"), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url"),
  };
}

export function createServerKeys(redis: RedisClient, keys: Keys, sealer: Sealer): ServerKeys {
  // The promise, not the key: concurrent first uses in one process read Redis once.
  const loaded = new Map<string, Promise<ServerKey>>();
  const context = (appId: string) => `server-key:${appId}`;

  async function load(appId: string): Promise<ServerKey> {
    const key = keys.serverKey(appId);
    let sealed = await redis.get(key);
    if (!sealed) {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const candidate = sealer.seal(JSON.stringify(privateKey.export({ format: "jwk" })), context(appId));
      // NX: whichever node stores first wins, and every node reads back that one key.
      await redis.set(key, candidate, "NX");
      sealed = await redis.get(key);
      if (!sealed) throw new Error("the app's server key could not be kept in Redis");
    }
    const jwk = JSON.parse(sealer.open(sealed, context(appId))) as PrivateJwk;
    return serverKeyOf(createPrivateKey({ key: { ...jwk }, format: "jwk" }));
  }

  return {
    of(appId) {
      let key = loaded.get(appId);
      if (!key) {
        key = load(appId);
        loaded.set(appId, key);
        // A failure (Redis down) is not remembered: the next use tries again.
        key.catch(() => loaded.delete(appId));
      }
      return key;
    },
  };
}

import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import type { Sealer } from "./sealed.js";

/**
 * The deployment's VAPID key pair (RFC 8292, contract 2.7): one P-256 key for every app, since a browser holds one
 * push subscription, made under one application server key, for every account of every app in the authenticator.
 * Created on first use, stored sealed under the master key, never rotated (rotating it would orphan every
 * subscription: browsers bind a subscription to the key it was made with).
 */
export interface VapidKey {
  /** base64url of the uncompressed P-256 point (65 bytes): the browser's `applicationServerKey`. */
  publicKey: string;
  /** base64url of the 32-byte private scalar, as web-push's `vapidDetails.privateKey` takes it. */
  privateKey: string;
}

export interface VapidKeys {
  /** The key, made now if there is none. Two nodes making it at once agree on one (SET NX, then read). */
  get(): Promise<VapidKey>;
}

interface PrivateJwk {
  x: string;
  y: string;
  d: string;
}

/** The point and scalar of a P-256 private JWK, as web-push and browsers take them. */
function vapidKeyOf(jwk: PrivateJwk): VapidKey {
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  return { publicKey: point.toString("base64url"), privateKey: jwk.d };
}

const CONTEXT = "vapid-key";

export function createVapidKeys(redis: RedisClient, keys: Keys, sealer: Sealer): VapidKeys {
  // The promise, not the key: concurrent first uses in one process read Redis once.
  let loaded: Promise<VapidKey> | undefined;

  async function load(): Promise<VapidKey> {
    const key = keys.vapidKey();
    let sealed = await redis.get(key);
    if (!sealed) {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const candidate = sealer.seal(JSON.stringify(privateKey.export({ format: "jwk" })), CONTEXT);
      // NX: whichever node stores first wins, and every node reads back that one key.
      await redis.set(key, candidate, "NX");
      sealed = await redis.get(key);
      if (!sealed) throw new Error("the VAPID key could not be kept in Redis");
    }
    const jwk = JSON.parse(sealer.open(sealed, CONTEXT)) as PrivateJwk;
    // Read back through OpenSSL: a stored value that is not a P-256 key fails here, not at the first push.
    createPrivateKey({ key: { kty: "EC", crv: "P-256", ...jwk }, format: "jwk" });
    return vapidKeyOf(jwk);
  }

  return {
    get() {
      if (!loaded) {
        const attempt = load();
        loaded = attempt;
        // A failure (Redis down) is not remembered: the next use tries again.
        attempt.catch(() => {
          if (loaded === attempt) loaded = undefined;
        });
      }
      return loaded;
    },
  };
}

/**
 * The VAPID `sub` claim (RFC 8292 §2.1): VAPID_SUBJECT, else PUBLIC_URL when push services accept it (https, not
 * localhost: Apple's refuses a localhost subject), else a mailto: at PUBLIC_URL's host.
 */
export function vapidSubjectOf(config: { VAPID_SUBJECT?: string | undefined; PUBLIC_URL: string }): string {
  if (config.VAPID_SUBJECT) return config.VAPID_SUBJECT;
  const url = new URL(config.PUBLIC_URL);
  if (url.protocol === "https:" && url.hostname !== "localhost") return url.origin;
  return `mailto:webpush@${url.hostname}`;
}

import { createPrivateKey, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { ConfigDeliveryError } from "../../src/delivery/delivery-errors.js";

export interface ApnsTokenKey {
  /** The .p8 file's text (PKCS#8 PEM, P-256). */
  key: string;
  keyId: string;
  teamId: string;
}

/** The provider authentication tokens of one .p8 key. */
export interface ApnsProviderTokens {
  /** The token to send now: the cached one while it is younger than the refresh age, else a new one. */
  current(): Promise<string>;
  /** APNs said `jwt` expired: forget it (once, however many pushes in flight say so), so the next is new. */
  expired(jwt: string): void;
}

/**
 * Apple accepts a token for an hour and refuses one renewed more often than every 20 minutes
 * (TooManyProviderTokenUpdates): renewing at 40 minutes stays inside both with room for clock skew.
 */
export const TOKEN_REFRESH_MS = 40 * 60_000;

/**
 * Signs APNs provider tokens (ES256 JWT, header `{ alg, kid }`, claims `{ iss: teamId, iat }`) with jose, one at a
 * time: every push of the app shares the cached token, and concurrent pushes wait for the same signing rather than
 * each making one. A key that is not a P-256 private key is a configuration error, reported at the first push.
 */
export function createApnsProviderTokens(k: ApnsTokenKey, now: () => number = Date.now): ApnsProviderTokens {
  let key: KeyObject | undefined;
  let cached: { jwt: string; issuedAtMs: number } | undefined;
  let signing: Promise<string> | undefined;

  function signingKey(): KeyObject {
    if (key) return key;
    let parsed: KeyObject;
    try {
      parsed = createPrivateKey(k.key);
    } catch {
      throw new ConfigDeliveryError("ApnsKey does not open as a private key (expected the .p8 file's PEM text)");
    }
    if (parsed.asymmetricKeyType !== "ec" || parsed.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new ConfigDeliveryError("ApnsKey is not a P-256 (ES256) private key");
    }
    key = parsed;
    return key;
  }

  async function sign(): Promise<string> {
    const issuedAtMs = now();
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: k.keyId })
      .setIssuer(k.teamId)
      .setIssuedAt(Math.floor(issuedAtMs / 1000))
      .sign(signingKey());
    cached = { jwt, issuedAtMs };
    return jwt;
  }

  return {
    current() {
      if (cached && now() - cached.issuedAtMs < TOKEN_REFRESH_MS) return Promise.resolve(cached.jwt);
      signing ??= sign().finally(() => (signing = undefined));
      return signing;
    },
    expired(jwt) {
      if (cached?.jwt === jwt) cached = undefined;
    },
  };
}

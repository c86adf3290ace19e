import { createPublicKey, verify } from "node:crypto";
import type { ServerPublicJwk } from "../../src/crypto/server-key.js";
import type { TestGateway } from "./gateway.js";
import { call } from "./http.js";
import type { TestPhone } from "./phone.js";

/**
 * What an enrolled phone calls with its key instead of a token (contract 2.8: the pull and the push-token update;
 * its own removal, ext) and how an app checks the server's signature on what it receives (2.9), written as an app
 * developer would, from the contract's words alone: none of the gateway's own code is used to sign or check.
 */

export const PENDING_PATH = "/identity/v2/auth/account/2fa/push/pending";
export const DEVICE_TOKEN_PATH = "/identity/v2/auth/account/2fa/push/device-token";
export const SERVER_KEY_PATH = "/identity/v2/auth/push/server-key";
export const SELF_REMOVAL_PATH = "/identity/v2/auth/account/2fa/push/device";

let lastTimestamp = 0;
/** Unix milliseconds now, never the same twice in this process: each (key, timestamp) is accepted once. */
export function freshTimestamp(): string {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  return String(lastTimestamp);
}

export interface SignedCallOptions {
  timestamp?: string;
  /** A signature to send instead of the phone's own over the contract's text. */
  signature?: string;
  /** The apikey sent (and signed). */
  apiKey?: string;
}

/** The text of a pull, as contract 2.8 spells it. */
export const pullText = (apiKey: string, timestamp: string) => `pending:${apiKey}:${timestamp}`;
/** The text of a push-token update, as contract 2.8 spells it. */
export const tokenText = (apiKey: string, timestamp: string, deviceToken: string) => `token:${apiKey}:${timestamp}:${deviceToken}`;

/** The text of a device's removal of itself (ext), spelled as 2.8's texts are. */
export const removalText = (apiKey: string, timestamp: string) => `remove:${apiKey}:${timestamp}`;

/** GET the pending pushes with `phone`'s key. */
export function pull(gw: TestGateway, phone: TestPhone, o: SignedCallOptions = {}) {
  const apiKey = o.apiKey ?? gw.apiKey;
  const timestamp = o.timestamp ?? freshTimestamp();
  const signature = o.signature ?? phone.sign(pullText(apiKey, timestamp));
  return call<{ Data: Array<Record<string, string>>; ErrorCode?: number; Description?: string }>(gw.url, "GET", PENDING_PATH, {
    query: { apikey: apiKey, publicKey: phone.publicKeyHex, timestamp, signature },
  });
}

/** PUT a new push token with `phone`'s key. */
export function updateToken(gw: TestGateway, phone: TestPhone, deviceToken: string, o: SignedCallOptions = {}) {
  const apiKey = o.apiKey ?? gw.apiKey;
  const timestamp = o.timestamp ?? freshTimestamp();
  const signature = o.signature ?? phone.sign(tokenText(apiKey, timestamp, deviceToken));
  return call<{ IsPosted?: boolean; ErrorCode?: number; Description?: string }>(gw.url, "PUT", DEVICE_TOKEN_PATH, {
    query: { apikey: apiKey },
    json: { publicKey: phone.publicKeyHex, deviceToken, timestamp, signature },
  });
}

/** DELETE the devices enrolled with `phone`'s key: the phone removes itself (ext). */
export function removeSelf(gw: { url: string; apiKey: string }, phone: TestPhone, o: SignedCallOptions = {}) {
  const apiKey = o.apiKey ?? gw.apiKey;
  const timestamp = o.timestamp ?? freshTimestamp();
  const signature = o.signature ?? phone.sign(removalText(apiKey, timestamp));
  return call<{ IsDeleted?: boolean; ErrorCode?: number; Description?: string }>(gw.url, "DELETE", SELF_REMOVAL_PATH, {
    query: { apikey: apiKey },
    json: { publicKey: phone.publicKeyHex, timestamp, signature },
  });
}

/** The app's server key, as the endpoint of contract 2.9 answers it. */
export async function serverKey(gw: TestGateway): Promise<ServerPublicJwk> {
  const res = await call<ServerPublicJwk>(gw.url, "GET", SERVER_KEY_PATH, { query: { apikey: gw.apiKey } });
  if (res.status !== 200) throw new Error(`server key refused: ${res.text}`);
  return res.body;
}

/**
 * RFC 8785 as an app would write it for push data (one level, string values): members sorted by name in UTF-16
 * code-unit order, no whitespace, strings as JSON.stringify writes them.
 */
export const canonicalPushData = (data: Record<string, string>): string =>
  `{${Object.keys(data)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(data[k])}`)
    .join(",")}}`;

/** Whether `data.serverSignature` signs the rest of `data` under the JWK: what an app checks before it shows a request. */
export function serverSignatureHolds(jwk: ServerPublicJwk, data: Record<string, string>): boolean {
  const { serverSignature, ...signed } = data;
  if (typeof serverSignature !== "string") return false;
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: "jwk" });
  return verify("sha256", Buffer.from(canonicalPushData(signed), "utf8"), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(serverSignature, "base64url"));
}

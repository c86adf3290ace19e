import { createHash, randomUUID, timingSafeEqual } from "node:crypto";

/** A new opaque secret, GUID-shaped as LoginRadius clients expect. */
export const newToken = (): string => randomUUID();

/**
 * What Redis keeps of a token, handle or API secret: its SHA-256. These secrets are 122 random bits, so a
 * fast hash is enough (no dictionary to guess from), and a Redis dump gives nobody a live credential.
 */
export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** Constant-time comparison of two hex digests of equal meaning. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (v: unknown): v is string => typeof v === "string" && GUID.test(v);

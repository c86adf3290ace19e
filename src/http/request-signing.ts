import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Request } from "express";
import { ApiError } from "../errors.js";

/**
 * LoginRadius's "API request signing" (contract 1.6): instead of the apisecret, a management call carries
 * `X-Request-Expires: <UTC time>` and `digest: SHA-256=<base64 HMAC-SHA256(apisecret, signing text)>`, the signing
 * text being `expires + ":" + lowercase(encodeURIComponent(decodeURIComponent(fullUrl)))`, plus `":" + rawBody` when
 * there is a body. A signature may be replayed until it expires (LoginRadius's design; where it mints a credential,
 * single-use-signature.ts makes it good once); it binds the method's URL and body, so it cannot be moved to another
 * call.
 */

/** How far ahead an expiry may lie: LoginRadius's SDKs sign for 60 minutes; 5 more for clock drift. */
export const SIGNATURE_MAX_AHEAD_MS = 65 * 60_000;

/** The raw bytes of each JSON body, kept by the body parser's `verify` hook for the signature check. */
const rawBodies = new WeakMap<IncomingMessage, Buffer>();

/** The body parser's `verify` hook: remember the bytes as read (already bounded by the parser's limit). */
export const keepRawBody = (req: IncomingMessage, _res: unknown, buf: Buffer): void => {
  rawBodies.set(req, buf);
};

/** Whether the request carries either signing header (so it means to be signed). */
export const isSigned = (req: Request): boolean => req.headers["x-request-expires"] !== undefined || req.headers.digest !== undefined;

/**
 * An `X-Request-Expires` value as Unix ms, read as UTC: "yyyy-MM-dd HH:mm:ss" (24-hour) or LoginRadius's
 * "yyyy-M-d h:m:s tt" (12-hour with AM/PM). Null when it is neither, or names no real moment (2026-2-30).
 */
export function parseExpires(text: string): number | null {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?: ?([AaPp][Mm]))?$/.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, tt] = m;
  let hour = Number(h);
  if (tt !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (tt.toUpperCase() === "PM" ? 12 : 0);
  } else if (hour > 23) return null;
  const [year, month, day, minute, second] = [Number(y), Number(mo), Number(d), Number(mi), Number(s)];
  if (minute > 59 || second > 59) return null;
  const at = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(at);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return null;
  return at;
}

/** The digest header's value a client computes: `SHA-256=<base64 HMAC>`. */
export function signDigest(secret: string, expires: string, fullUrl: string, body?: string): string {
  const text = `${expires}:${encodeURIComponent(decodeURIComponent(fullUrl)).toLowerCase()}${body ? `:${body}` : ""}`;
  return `SHA-256=${createHmac("sha256", secret).update(text, "utf8").digest("base64")}`;
}

/**
 * The absolute URLs the client may have signed: the path and query exactly as sent, behind PUBLIC_URL's origin or
 * behind the request's own host (on either scheme: behind a TLS-terminating proxy the gateway may see http).
 */
function candidateUrls(req: Request, publicUrl: string): string[] {
  const path = req.originalUrl;
  const urls = [`${new URL(publicUrl).origin}${path}`];
  const host = req.headers.host;
  if (typeof host === "string" && host) urls.push(`https://${host}${path}`, `http://${host}${path}`);
  return urls;
}

const refused = (why: string) => new ApiError(902, { description: `The request signature was not accepted: ${why}.` });

/** Check a signed request against the app's secret: 902 naming why when it is expired, too far ahead, or wrong. */
export function checkSignature(req: Request, secret: string, o: { now: number; publicUrl: string }): void {
  const expires = req.headers["x-request-expires"];
  const digest = req.headers.digest;
  if (typeof expires !== "string" || typeof digest !== "string") throw refused("both X-Request-Expires and digest are needed");
  const at = parseExpires(expires);
  if (at === null) throw refused('X-Request-Expires is not a UTC time like "2026-11-29 18:15:10" or "2026-11-29 6:15:10 PM"');
  if (at < o.now) throw refused("it has expired");
  if (at - o.now > SIGNATURE_MAX_AHEAD_MS) throw refused("X-Request-Expires lies more than 65 minutes ahead");
  const given = Buffer.from(digest.trim().replace(/^sha-256=/i, "SHA-256="), "utf8");
  const body = rawBodies.get(req)?.toString("utf8");
  // The method is not signed, and neither is an empty body: a signed PUT or PATCH without a body would take the
  // signature of a GET of the same URL (L10's read replayed as a write). LoginRadius's PUTs always carry one.
  if (!body && (req.method === "PUT" || req.method === "PATCH")) throw refused(`a signed ${req.method} needs its JSON body, signed with it`);
  const matches = candidateUrls(req, o.publicUrl).some((url) => {
    let expected: Buffer;
    try {
      expected = Buffer.from(signDigest(secret, expires, url, body), "utf8");
    } catch {
      return false; // a URL that is not valid percent-encoding cannot have been signed as the docs say
    }
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!matches) throw refused("the digest does not match this URL and body");
}

import type { IncomingHttpHeaders } from "node:http";
import type { RequestHandler } from "express";

/**
 * CORS for the REST API, so a login page on the customer's origin can call L2, L3 and L4 (the browser client's
 * polling fallback is L4, cross-origin). The API takes no cookie or other ambient credential (apikey, secret and
 * tokens travel in headers or the query), so no `Access-Control-Allow-Credentials` is ever sent; "*" exposes
 * nothing a server-side script could not call anyway. The same list guards Socket.IO handshakes (socket-server.ts).
 */

/** "*" (any origin), or the allowed origins as `URL#origin` spells them; empty: same-origin pages only. */
export type CorsOrigins = "*" | readonly string[];

export const CORS_METHODS = ["GET", "POST", "PUT", "DELETE"] as const;
/** Request headers a cross-origin page may send: the LoginRadius credentials, a bearer token, JSON bodies. */
export const CORS_ALLOWED_HEADERS = ["Content-Type", "Authorization", "X-LoginRadius-ApiKey", "X-LoginRadius-ApiSecret"] as const;
/** How long a browser may cache a granted preflight. */
const MAX_AGE_SECONDS = 600;

/**
 * Whether a request's Origin may use the API: every listed origin, and always the gateway's own (its Host header,
 * or PUBLIC_URL's origin behind a proxy), so the console and demo pages work whatever the list says.
 */
export function isOriginAllowed(origins: CorsOrigins, origin: string, headers: IncomingHttpHeaders, publicUrl: string): boolean {
  if (origins === "*") return true;
  const lower = origin.toLowerCase();
  if (origins.includes(lower)) return true;
  if (lower === new URL(publicUrl).origin) return true;
  const host = headers.host?.toLowerCase();
  return host !== undefined && (lower === `http://${host}` || lower === `https://${host}`);
}

export interface CorsOptions {
  origins: CorsOrigins;
  publicUrl: string;
  /**
   * Path prefixes left without CORS headers: the operator tools, which a browser may reach with ambient HTTP
   * Basic credentials. Matched case-insensitively, as routes are.
   */
  except?: string[];
}

/**
 * The middleware: grants an allowed Origin (echoed, or "*" when every origin is allowed) with `Vary: Origin`, and
 * answers preflights itself (204). A preflight from another origin gets 204 without any grant, which the browser
 * reports as a CORS failure; a simple request from it is served without the grant, so the page cannot read it.
 */
export function cors(o: CorsOptions): RequestHandler {
  const except = (o.except ?? []).map((p) => p.toLowerCase());
  const methods = CORS_METHODS.join(", ");
  const allowedHeaders = CORS_ALLOWED_HEADERS.join(", ");
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (typeof origin !== "string") return next();
    const path = req.path.toLowerCase();
    if (except.some((p) => path === p || path.startsWith(`${p}/`))) return next();
    res.vary("Origin");
    const allowed = isOriginAllowed(o.origins, origin, req.headers, o.publicUrl);
    if (allowed) {
      res.setHeader("Access-Control-Allow-Origin", o.origins === "*" ? "*" : origin);
      // A 429's Retry-After tells the page how long to back off.
      res.setHeader("Access-Control-Expose-Headers", "Retry-After");
    }
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      if (allowed) {
        res.setHeader("Access-Control-Allow-Methods", methods);
        res.setHeader("Access-Control-Allow-Headers", allowedHeaders);
        res.setHeader("Access-Control-Max-Age", String(MAX_AGE_SECONDS));
      }
      res.status(204).end();
      return;
    }
    next();
  };
}

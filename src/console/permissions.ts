import type { Request } from "express";
import { ApiError } from "../errors.js";
import type { Services } from "../services.js";
import { getAdmin, type ConsoleAdmin } from "./admin-store.js";
import { touchConsoleSession } from "./console-sessions.js";
import { consoleSessionOf } from "./session-cookie.js";

/**
 * A named admin's console session, as every request that carries its cookie checks it (contract 2.14): the
 * session itself (idle and absolute ends), its admin (still one), and, for a change, that it comes from the
 * console's own page. What the admin may then do is admin-access.ts's `requireAdmin`.
 */

/**
 * The named admin of the request's console session (905 when it is missing, unknown, over, or its admin was
 * removed). A request that changes something must come from the console's own pages (SameSite=Strict already
 * keeps the cookie off other sites' requests; this also stops a sibling origin of the same site).
 */
export async function requireSignedInAdmin(s: Pick<Services, "guesses" | "redis" | "keys" | "config" | "now">, req: Request): Promise<ConsoleAdmin> {
  const id = consoleSessionOf(req, s.config);
  const ended = () => new ApiError(905, { description: "The console session is missing or has ended; sign in again." });
  if (!id) throw ended();
  refuseCrossSiteChange(req, s.config.PUBLIC_URL);
  const ip = req.ip ?? "";
  await s.guesses.refuseIfGuessing(ip);
  const session = await touchConsoleSession(s, id, sessionTimesOf(s.config));
  if (!session) {
    await s.guesses.countGuess(ip);
    throw ended();
  }
  const admin = await getAdmin(s, session.uid);
  if (!admin) throw ended();
  return admin;
}

export const sessionTimesOf = (config: Services["config"]) => ({
  idleSeconds: config.CONSOLE_SESSION_IDLE_SECONDS,
  absoluteSeconds: config.CONSOLE_SESSION_MAX_SECONDS,
});

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF: a cookie-authenticated change (any method but GET/HEAD/OPTIONS) must say it comes from this gateway's own
 * pages: Fetch metadata `Sec-Fetch-Site: same-origin` when the browser sends it, and an Origin that is the
 * gateway's own (PUBLIC_URL's, or the Host the request came to, over https only when PUBLIC_URL is https). No
 * Origin at all is refused too: every browser sends Origin with such a request, so only a non-browser client lacks
 * it, and it can send one.
 */
export function refuseCrossSiteChange(req: Request, publicUrl: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  if (!isOwnOriginRequest(req, publicUrl)) {
    throw new ApiError(901, { description: "A console change must come from the console's own page (its Origin is not this gateway's)." });
  }
}

export function isOwnOriginRequest(req: Request, publicUrl: string): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return false;
  const origin = req.headers.origin;
  if (typeof origin !== "string") return false;
  const lower = origin.toLowerCase();
  const own = new URL(publicUrl);
  if (lower === own.origin) return true;
  const host = req.headers.host?.toLowerCase();
  if (host === undefined) return false;
  // Served over https (PUBLIC_URL says so), a page of the same host over plain http is another origin: a network
  // attacker can serve one, and browsers without schemeful same-site hand it the cookie. Only https is this
  // gateway's then; over http the gateway cannot tell a TLS-terminating proxy in front, so either scheme is.
  if (own.protocol === "https:") return lower === `https://${host}`;
  return lower === `http://${host}` || lower === `https://${host}`;
}

import type { Request, Response } from "express";
import type { Config } from "../config.js";

/**
 * The console session's cookie: an opaque id (its hash is the Redis key), httpOnly so no script reads it,
 * SameSite=Strict so no other site's request carries it, Secure with the `__Host-` prefix when the gateway is
 * served over https (then no subdomain can set or shadow it), Path=/ because the management API it opens is not
 * under /console.
 */
const secure = (config: Pick<Config, "PUBLIC_URL">) => config.PUBLIC_URL.startsWith("https:");

export const consoleCookieName = (config: Pick<Config, "PUBLIC_URL">): string => (secure(config) ? "__Host-pmg_console" : "pmg_console");

/** The session id the request's cookie holds, if any (the first cookie of that name). */
export function consoleSessionOf(req: Request, config: Pick<Config, "PUBLIC_URL">): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== "string" || header.length > 8192) return undefined;
  const name = consoleCookieName(config);
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const attributes = (config: Pick<Config, "PUBLIC_URL">) => `Path=/; HttpOnly; SameSite=Strict${secure(config) ? "; Secure" : ""}`;

/** Hand the browser its session (a session cookie: the server's idle and absolute limits end it). */
export function setConsoleCookie(res: Response, config: Pick<Config, "PUBLIC_URL">, id: string): void {
  res.append("Set-Cookie", `${consoleCookieName(config)}=${id}; ${attributes(config)}`);
}

/** Make the browser forget it. */
export function clearConsoleCookie(res: Response, config: Pick<Config, "PUBLIC_URL">): void {
  res.append("Set-Cookie", `${consoleCookieName(config)}=; ${attributes(config)}; Max-Age=0`);
}

import type { Request } from "express";
import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import type { Services } from "../services.js";
import { requireApp, requireAppWithSecret } from "../http/credentials.js";
import { credential } from "../http/request-input.js";
import { getAdmin, mayUseApp, type ConsoleAdmin, type Role } from "./admin-store.js";
import { touchConsoleSession } from "./console-sessions.js";
import { consoleSessionOf } from "./session-cookie.js";

/**
 * The one place that says whether a console or management call may go ahead: "can this session do X" (issue 16).
 * A call is made either with an app's apikey + apisecret (the `owner` of that one app, contract 2.14) or with a
 * named admin's console session cookie (their role, on the apps they were given). Every management route asks
 * here before it reads or changes anything; the console only hides what `can` says no to.
 */

/**
 * Everything a console or management call can do (the same names as the console panels' branch uses, so the two
 * meet in one vocabulary): "read" covers users, devices, dashboard, audit, settings (masked) and dead letters.
 */
export type ConsoleAction =
  | "read"
  | "audit.export"
  | "user.create"
  | "device.remove"
  | "devices.reset"
  | "user.unlock"
  | "backupcodes.issue"
  | "push.test"
  | "deadletter.retry"
  | "settings.change";

const READ: ConsoleAction[] = ["read", "audit.export"];
const OPERATE: ConsoleAction[] = [...READ, "user.create", "device.remove", "devices.reset", "user.unlock", "backupcodes.issue", "push.test", "deadletter.retry"];

/** What each role may do: owner everything, operator all but the settings, viewer read only. */
export const ROLE_ACTIONS: Record<Role, ReadonlySet<ConsoleAction>> = {
  owner: new Set<ConsoleAction>([...OPERATE, "settings.change"]),
  operator: new Set(OPERATE),
  viewer: new Set(READ),
};

export const can = (role: Role, action: ConsoleAction): boolean => ROLE_ACTIONS[role].has(action);

/** Who makes a call, as the audit names them. */
export type Actor =
  | { kind: "app"; role: "owner"; label: string }
  | { kind: "admin"; role: Role; label: string; admin: ConsoleAdmin };

export type ConsoleAccessDeps = Pick<Services, "apps" | "guesses" | "redis" | "keys" | "config" | "now">;

/**
 * The app a management call acts on and who makes it, once they may do `action` there. With an apisecret (or no
 * console cookie): the app's own secret, as before (922/920/901, 923/902). With a console session: the session
 * (905 when it ended; a change must come from the console's own pages), the admin's role (901 with the reason when
 * it does not allow `action`) and the app named by the apikey (901 when not theirs, as for an unknown one).
 */
export async function requireConsoleAccess(s: ConsoleAccessDeps, req: Request, action: ConsoleAction): Promise<{ app: AppRecord; actor: Actor }> {
  const secret = credential(req, "x-loginradius-apisecret", "apisecret");
  const sessionId = consoleSessionOf(req, s.config);
  if (secret !== undefined || sessionId === undefined) {
    const app = await requireAppWithSecret(s, req);
    // The internal admins' app is not a tenant: its secret was never shown, and it stays out of the console.
    if (app.internal) throw new ApiError(901);
    return { app, actor: { kind: "app", role: "owner", label: "apikey+apisecret" } };
  }
  const admin = await requireSignedInAdmin(s, req);
  if (!can(admin.role, action)) throw refusedByRole(admin.role, action);
  const app = await requireApp(s, req);
  if (!mayUseApp(admin, app)) throw new ApiError(901, { description: "This console admin was not given this app." });
  return { app, actor: { kind: "admin", role: admin.role, label: admin.email, admin } };
}

export const refusedByRole = (role: Role, action: ConsoleAction): ApiError =>
  new ApiError(901, { description: `The console role "${role}" may not do ${action}; ask an owner.` });

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
 * gateway's own (PUBLIC_URL's, or the Host the request came to). Neither header at all is refused too: every
 * browser sends Origin with such a request, so only a non-browser client lacks it, and it can send one.
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
  if (lower === new URL(publicUrl).origin) return true;
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && (lower === `http://${host}` || lower === `https://${host}`);
}

import type { Request } from "express";
import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import type { Services } from "../services.js";
import { hasManagementCredential, requireApp, requireAppWithSecret, type ManagementDeps } from "../http/credentials.js";
import { mayUseApp, type ConsoleAdmin, type Role } from "./admin-store.js";
import { requireSignedInAdmin } from "./permissions.js";
import { consoleSessionOf } from "./session-cookie.js";

/**
 * The one place that says what a console session may do. Every admin route asks `requireAdmin(…, action)`; the
 * console's pages ask the same question of their session to show only what it may do.
 *
 * A session is either the app's apikey + apisecret sign-in, which may do everything on its app (the `owner` of
 * that app alone, contract 2.14), or a named admin's console session cookie: their role says what they may do,
 * and they act only on the apps they were given (docs/CONSOLE-ADMINS.md).
 */

/**
 * What an admin can do from the console (and the admin HTTP API behind it). "read": users, devices, dashboard,
 * audit, dead letters, settings (secrets masked).
 */
export const ADMIN_ACTIONS = [
  "read", "audit.export", "user.create", "device.remove", "devices.reset", "user.unlock", "backupcodes.issue", "push.test", "deadletter.retry", "settings.change",
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

const READ: AdminAction[] = ["read", "audit.export"];
const OPERATE: AdminAction[] = [...READ, "user.create", "device.remove", "devices.reset", "user.unlock", "backupcodes.issue", "push.test", "deadletter.retry"];

/** What each role may do: owner everything (settings and secrets included), operator all but the settings, viewer read only. */
export const ROLE_ACTIONS: Record<Role, ReadonlySet<AdminAction>> = {
  owner: new Set<AdminAction>([...OPERATE, "settings.change"]),
  operator: new Set(OPERATE),
  viewer: new Set(READ),
};

/** Who is acting, as the audit names them (`name` is written in its `by`). */
export type AdminActor =
  | { kind: "app-secret"; name: string }
  | { kind: "admin"; name: string; role: Role; admin: ConsoleAdmin };

export interface AdminSession {
  app: AppRecord;
  actor: AdminActor;
}

/** The apikey + apisecret sign-in: the app's owner. */
export const APP_SECRET_ACTOR: AdminActor = { kind: "app-secret", name: "app secret" };

/** Whether this session may do `action`. */
export function can(session: AdminSession, action: AdminAction): boolean {
  switch (session.actor.kind) {
    case "app-secret":
      return ADMIN_ACTIONS.includes(action);
    case "admin":
      return ROLE_ACTIONS[session.actor.role].has(action);
  }
}

export type AdminAccessDeps = ManagementDeps & Pick<Services, "redis" | "keys">;

/**
 * The request's admin session. With a management credential (apisecret, signed request, management bearer), or
 * without a console cookie: the app's own credential, as for any management call (922/920/901, 923/902); the
 * internal admins' app is never a tenant (901). With a console
 * session cookie: the named admin (905 when the session ended; a change must come from the console's own page,
 * 901) on the app the apikey names, which must be one of theirs (901, as for an unknown apikey).
 */
async function sessionOf(s: AdminAccessDeps, req: Request): Promise<AdminSession> {
  if (hasManagementCredential(req) || consoleSessionOf(req, s.config) === undefined) {
    const app = await requireAppWithSecret(s, req);
    if (app.internal) throw new ApiError(901);
    return { app, actor: APP_SECRET_ACTOR };
  }
  const admin = await requireSignedInAdmin(s, req);
  const app = await requireApp(s, req);
  if (!mayUseApp(admin, app)) throw new ApiError(901, { description: "This console admin was not given this app." });
  return { app, actor: { kind: "admin", name: admin.email, role: admin.role, admin } };
}

/** The admin session of the request, once it is known to be allowed `action` (403 901 saying why when it is not). */
export async function requireAdmin(s: AdminAccessDeps, req: Request, action: AdminAction): Promise<AdminSession> {
  const session = await sessionOf(s, req);
  if (!can(session, action)) {
    const role = session.actor.kind === "admin" ? session.actor.role : "owner";
    throw new ApiError(901, { description: `The console role "${role}" may not do ${action}; ask an owner.` });
  }
  return session;
}

/** What a session may do, for the console to show only its own buttons. */
export const permissionsOf = (session: AdminSession): AdminAction[] => ADMIN_ACTIONS.filter((a) => can(session, a));

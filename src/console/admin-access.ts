import type { Request } from "express";
import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import { requireAppWithSecret, type ManagementDeps } from "../http/credentials.js";

/**
 * The one place that says what a console session may do. Every admin route asks `requireAdmin(…, action)`; the
 * console's pages ask the same question of their session (web/console/permissions.ts) to show only what it may do.
 *
 * Today the only session is the app's apikey + apisecret sign-in, which may do everything on its app (the `owner`
 * role of contract 2.14). Named admins with roles plug in here: `sessionOf` learns to read their session, and
 * `can` answers from their role.
 */

/** What an admin can do from the console (and the admin HTTP API behind it). */
export type AdminAction =
  | "read" // users, devices, dashboard, audit, dead letters
  | "audit.export"
  | "device.remove"
  | "devices.reset"
  | "user.unlock"
  | "backupcodes.issue"
  | "push.test"
  | "deadletter.retry"
  | "settings.change";

export const ADMIN_ACTIONS: readonly AdminAction[] = ["read", "audit.export", "device.remove", "devices.reset", "user.unlock", "backupcodes.issue", "push.test", "deadletter.retry", "settings.change"];

/** Who is acting, as the audit names them. */
export interface AdminActor {
  kind: "app-secret";
  /** The name written in the audit's `by`. */
  name: string;
}

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
  }
}

/** The request's admin session (today: the app's apikey + apisecret; 922/920/901, 923/902 as for any management call). */
async function sessionOf(s: ManagementDeps, req: Request): Promise<AdminSession> {
  return { app: await requireAppWithSecret(s, req), actor: APP_SECRET_ACTOR };
}

/** The admin session of the request, once it is known to be allowed `action` (902 when it is not). */
export async function requireAdmin(s: ManagementDeps, req: Request, action: AdminAction): Promise<AdminSession> {
  const session = await sessionOf(s, req);
  if (!can(session, action)) throw new ApiError(902, { description: `This console session may not do "${action}".` });
  return session;
}

/** What a session may do, for the console to show only its own buttons. */
export const permissionsOf = (session: AdminSession): AdminAction[] => ADMIN_ACTIONS.filter((a) => can(session, a));

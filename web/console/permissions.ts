/**
 * "Can this session do X?", asked in one place. The gateway answers it for the signed-in session
 * (GET /v2/manage/push/console-session, from src/console/admin-access.ts, which every admin route also asks), and
 * the panels show only the actions it allows. The app's apikey + apisecret session may do everything; a named
 * admin's console session (contract 2.14) what their role allows, through the same call.
 */
import { CONSOLE_SESSION_PATH } from "./paths.js";
import { api } from "./session.js";
import type { AdminAction } from "../shared/wire.js";

export type { AdminAction };


let allowed = new Set<string>();
let admin = "";

/** Ask the gateway what the session may do (at sign-in); nothing is allowed until it answered. */
export async function loadPermissions(): Promise<void> {
  const res = await api("GET", CONSOLE_SESSION_PATH);
  const body = (res.ok ? res.body : null) as { Admin?: string; Permissions?: string[] } | null;
  allowed = new Set(body?.Permissions ?? []);
  admin = body?.Admin ?? "";
}

export const can = (action: AdminAction): boolean => allowed.has(action);

/** Who the session is, as the audit names them ("app secret"). */
export const adminName = (): string => admin;

/** Signed out: nothing is allowed. */
export function forgetPermissions(): void {
  allowed = new Set();
  admin = "";
}

/** Show an element only when the session may do its action. */
export function showIfAllowed(el: HTMLElement, action: AdminAction): HTMLElement {
  el.hidden = !can(action);
  return el;
}

import type { Services } from "../services.js";
import { normalizeIdentifier } from "../accounts/identifiers.js";
import { resetPushDevices, type ResetPushDevicesDeps } from "../devices/reset.js";
import type { AppRecord } from "../apps/app-store.js";

/** What a console admin may do, from most to least (docs/CONSOLE-ADMINS.md has the table). */
export const ROLES = ["owner", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (v: unknown): v is Role => typeof v === "string" && (ROLES as readonly string[]).includes(v);

/** The apps an admin may see: every tenant ("*"), or these apikeys. */
export type AppScope = "*" | string[];

/** A console admin: an account of the internal admin app plus a role and the apps they may see. */
export interface ConsoleAdmin {
  uid: string;
  email: string;
  role: Role;
  apps: AppScope;
  createdAt: string;
}

export type AdminStoreDeps = Pick<Services, "redis" | "keys" | "accounts">;

const parseScope = (raw: string | null | undefined): AppScope => {
  if (!raw || raw === "*") return "*";
  const keys = JSON.parse(raw) as unknown;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
};

/** The admin behind a uid of the admin app, or null (their account has no role record: not an admin). */
export async function getAdmin(deps: Pick<Services, "redis" | "keys">, uid: string): Promise<ConsoleAdmin | null> {
  const [email, role, apps, createdAt] = await deps.redis.hmget(deps.keys.consoleAdmin(uid), "email", "role", "apps", "createdAt");
  if (!email || !isRole(role)) return null;
  return { uid, email, role, apps: parseScope(apps), createdAt: createdAt ?? "" };
}

/** The admin with this email, or null. */
export async function findAdmin(deps: AdminStoreDeps, adminApp: AppRecord, email: string): Promise<ConsoleAdmin | null> {
  const uid = await deps.accounts.findUid(adminApp.apiKey, "email", email);
  return uid ? getAdmin(deps, uid) : null;
}

/** Every admin, by email. */
export async function listAdmins(deps: Pick<Services, "redis" | "keys">): Promise<ConsoleAdmin[]> {
  const uids = await deps.redis.smembers(deps.keys.consoleAdmins());
  const admins = await Promise.all(uids.map((uid) => getAdmin(deps, uid)));
  return admins.filter((a): a is ConsoleAdmin => a !== null).sort((a, b) => a.email.localeCompare(b.email));
}

/**
 * Make an admin: the account first (L1's store: the email reserved with SET NX, the password hashed), then the
 * role record. A taken email is the account store's 936.
 */
export async function createAdmin(
  deps: AdminStoreDeps,
  adminApp: AppRecord,
  input: { email: string; password: string; role: Role; apps: AppScope },
  now: Date,
): Promise<ConsoleAdmin> {
  const profile = await deps.accounts.create(adminApp.apiKey, { email: input.email, password: input.password });
  const admin: ConsoleAdmin = { uid: profile.Uid, email: profile.Email[0]?.Value ?? input.email, role: input.role, apps: input.apps, createdAt: now.toISOString() };
  await writeAdmin(deps, admin);
  await deps.redis.sadd(deps.keys.consoleAdmins(), admin.uid);
  return admin;
}

/** Change an admin's role and apps; read on every request, so it holds at once for their open sessions. */
export async function updateAdmin(deps: Pick<Services, "redis" | "keys">, admin: ConsoleAdmin, change: { role?: Role; apps?: AppScope }): Promise<ConsoleAdmin> {
  const next = { ...admin, ...change };
  await writeAdmin(deps, next);
  return next;
}

async function writeAdmin(deps: Pick<Services, "redis" | "keys">, a: ConsoleAdmin): Promise<void> {
  await deps.redis.hset(deps.keys.consoleAdmin(a.uid), {
    email: a.email,
    role: a.role,
    apps: a.apps === "*" ? "*" : JSON.stringify(a.apps),
    createdAt: a.createdAt,
  });
}

/**
 * Remove an admin: the role record first (their open sessions end at their next request, which reads it), then
 * their devices (their pending push is ended), their account and its email.
 */
export async function removeAdmin(deps: AdminStoreDeps & ResetPushDevicesDeps, adminApp: AppRecord, admin: ConsoleAdmin): Promise<void> {
  await deps.redis.del(deps.keys.consoleAdmin(admin.uid));
  await deps.redis.srem(deps.keys.consoleAdmins(), admin.uid);
  await resetPushDevices(deps, adminApp.apiKey, admin.uid);
  await deps.redis.del(deps.keys.profile(adminApp.apiKey, admin.uid));
  await deps.redis.del(deps.keys.identity(adminApp.apiKey, "email", normalizeIdentifier("email", admin.email)));
}

/** Whether an admin may see this app: never the internal one, whatever the scope says. */
export const mayUseApp = (admin: Pick<ConsoleAdmin, "apps">, app: AppRecord): boolean =>
  !app.internal && (admin.apps === "*" || admin.apps.includes(app.apiKey));

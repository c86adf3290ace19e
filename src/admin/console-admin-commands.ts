import { ApiError } from "../errors.js";
import { ensureAdminApp } from "../console/admin-app.js";
import { createAdmin, findAdmin, isRole, listAdmins, removeAdmin, ROLES, updateAdmin, type AppScope, type ConsoleAdmin } from "../console/admin-store.js";
import type { AdminContext } from "./context.js";
import { apiKeyArg, CommandError, EXIT, stringFlag, UsageError, type AdminOutput, type Command, type CommandArgs } from "./command.js";

/** The console's named admins (contract 2.14): admins create|list|remove|set-role|set-apps. */

const ROLE_WORDS = ROLES.join(" | ");
const MIN_PASSWORD = 12;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;

/** The admin app (made here too, so admins can be made before the gateway's first start) and the services. */
async function adminAppOf(ctx: AdminContext) {
  const s = await ctx.services();
  return { s, app: await ensureAdminApp(s) };
}

function roleArg(raw: string | undefined) {
  if (!isRole(raw)) throw new UsageError(`the role must be one of ${ROLE_WORDS}`);
  return raw;
}

function emailArg(raw: string | undefined): string {
  const email = (raw ?? "").trim();
  if (!EMAIL.test(email)) throw new UsageError(`"${raw ?? ""}" is not an email address`);
  return email;
}

/** `all`, or apikeys separated by commas, each an existing tenant app. */
async function scopeArg(ctx: AdminContext, raw: string | undefined): Promise<AppScope> {
  if (raw === undefined) throw new UsageError("--apps is required: all, or apikeys separated by commas");
  if (raw.trim().toLowerCase() === "all") return "*";
  const keys = [...new Set(raw.split(",").map((k) => k.trim()).filter(Boolean).map(apiKeyArg))];
  if (!keys.length) throw new UsageError("--apps names no app");
  const s = await ctx.services();
  for (const key of keys) {
    const app = await s.apps.get(key);
    if (!app || app.internal) throw new CommandError(`no app with apikey ${key} under REDIS_PREFIX=${ctx.config.REDIS_PREFIX}`);
  }
  return keys;
}

async function existingAdmin(ctx: AdminContext, email: string): Promise<ConsoleAdmin> {
  const { s, app } = await adminAppOf(ctx);
  const admin = await findAdmin(s, app, email);
  if (!admin) throw new CommandError(`no console admin ${email}`);
  return admin;
}

/**
 * The new admin's password: typed at a hidden prompt on a terminal, else the first line of stdin. Never an
 * argument: argv shows in `ps` and in shell history.
 */
async function readPassword(io: AdminOutput): Promise<string> {
  const typed = io.secret ? await io.secret("Password for the new admin (not shown): ") : (await (io.stdin?.() ?? Promise.resolve(""))).split(/\r?\n/)[0] ?? "";
  if (typed.length < MIN_PASSWORD) throw new CommandError(`the password must be at least ${MIN_PASSWORD} characters (give it on stdin, or type it at the prompt)`);
  if (typed.length > 256) throw new CommandError("the password must be at most 256 characters");
  return typed;
}

const scopeText = (apps: AppScope) => (apps === "*" ? "all apps" : apps.join(","));
const asJson = (a: ConsoleAdmin) => ({ Email: a.email, Role: a.role, Apps: a.apps === "*" ? "all" : a.apps, CreatedDate: a.createdAt });
const flagged = (a: CommandArgs) => stringFlag(a, "apps");

export const adminsCreate: Command = {
  name: "admins create",
  usage: `admins create <email> --role <${ROLE_WORDS}> --apps <all | apikey,apikey…>`,
  help:
    "Make a named console admin: an account of the gateway's internal admin app (its email and password), a role\n" +
    "and the apps they may see. The password is read at a hidden prompt, or from the first line of stdin (never an\n" +
    "argument). Their first console sign-in shows the enrollment QR: they scan it with the authenticator app.\n" +
    "Roles: owner (everything, settings included), operator (users, devices, dead letters, test pushes), viewer\n" +
    "(read only).",
  args: { min: 1, max: 1 },
  valueFlags: ["role", "apps"],
  async run(ctx, a, io) {
    const email = emailArg(a.args[0]);
    const role = roleArg(stringFlag(a, "role"));
    const apps = await scopeArg(ctx, flagged(a));
    const password = await readPassword(io);
    const { s, app } = await adminAppOf(ctx);
    try {
      const admin = await createAdmin(s, app, { email, password, role, apps }, new Date(s.now()));
      io.out(`created console admin ${admin.email} (${admin.role}, ${scopeText(admin.apps)})`);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof ApiError && err.code === 936) throw new CommandError(`${email} is already a console admin`);
      throw err;
    }
  },
};

export const adminsList: Command = {
  name: "admins list",
  usage: "admins list [--json]",
  help: "List the console's named admins: email, role, apps. No password, no device.",
  args: { min: 0, max: 0 },
  switches: ["json"],
  async run(ctx, a, io) {
    const { s } = await adminAppOf(ctx);
    const admins = await listAdmins(s);
    if (a.flags.has("json")) io.out(JSON.stringify(admins.map(asJson), null, 2));
    else if (!admins.length) io.out("no console admin yet (admins create)");
    else for (const admin of admins) io.out([admin.email, admin.role, scopeText(admin.apps)].join("  "));
    return EXIT.ok;
  },
};

export const adminsRemove: Command = {
  name: "admins remove",
  usage: "admins remove <email>",
  help: "Remove a console admin: their sessions end at their next request, their devices and account are deleted.",
  args: { min: 1, max: 1 },
  async run(ctx, a, io) {
    const admin = await existingAdmin(ctx, emailArg(a.args[0]));
    const { s, app } = await adminAppOf(ctx);
    await removeAdmin(s, app, admin);
    io.out(`removed console admin ${admin.email}`);
    return EXIT.ok;
  },
};

export const adminsSetRole: Command = {
  name: "admins set-role",
  usage: `admins set-role <email> <${ROLE_WORDS}>`,
  help: "Change an admin's role; it holds at once, for their open sessions too.",
  args: { min: 2, max: 2 },
  async run(ctx, a, io) {
    const admin = await existingAdmin(ctx, emailArg(a.args[0]));
    const updated = await updateAdmin(await ctx.services(), admin, { role: roleArg(a.args[1]) });
    io.out(`${updated.email} is now ${updated.role}`);
    return EXIT.ok;
  },
};

export const adminsSetApps: Command = {
  name: "admins set-apps",
  usage: "admins set-apps <email> --apps <all | apikey,apikey…>",
  help: "Change the apps an admin may see; it holds at once, for their open sessions too.",
  args: { min: 1, max: 1 },
  valueFlags: ["apps"],
  async run(ctx, a, io) {
    const admin = await existingAdmin(ctx, emailArg(a.args[0]));
    const updated = await updateAdmin(await ctx.services(), admin, { apps: await scopeArg(ctx, flagged(a)) });
    io.out(`${updated.email} may see ${scopeText(updated.apps)}`);
    return EXIT.ok;
  },
};

export const consoleAdminCommands: Command[] = [adminsCreate, adminsList, adminsRemove, adminsSetRole, adminsSetApps];

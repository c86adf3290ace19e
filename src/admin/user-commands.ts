import { liftLocks } from "../accounts/lockout.js";
import { reindexUsers } from "../accounts/user-index.js";
import { issueBackupCodes } from "../backup-codes/issue-backup-codes.js";
import { publicDevice } from "../http/routes/admin.js";
import type { AdminContext } from "./context.js";
import { apiKeyArg, CommandError, EXIT, existingApp, type Command } from "./command.js";

/** One user of an app: devices, unlock, backup codes. */

/** A uid (32 hex digits), an email, or else a username: the user's uid, or a CommandError. */
async function resolveUser(ctx: AdminContext, apiKey: string, who: string): Promise<string> {
  const s = await ctx.services();
  const uid = /^[0-9a-f]{32}$/i.test(who)
    ? who.toLowerCase()
    : await s.accounts.findUid(apiKey, who.includes("@") ? "email" : "username", who);
  if (!uid || !(await s.accounts.get(apiKey, uid))) throw new CommandError(`no user "${who}" in app ${apiKey}`);
  return uid;
}

export const devices: Command = {
  name: "devices",
  usage: "devices <apikey> <uid | email | username> [--json]",
  help: "List the user's push devices: id, type, active, enrolled at, name. No key material, no push token.",
  args: { min: 2, max: 2 },
  switches: ["json"],
  async run(ctx, a, io) {
    const app = await existingApp(ctx, apiKeyArg(a.args[0]));
    const uid = await resolveUser(ctx, app.apiKey, a.args[1]!);
    const list = (await (await ctx.services()).devices.list(app.apiKey, uid)).map(publicDevice);
    if (a.flags.has("json")) io.out(JSON.stringify(list, null, 2));
    else if (!list.length) io.out(`user ${uid} has no push device`);
    else for (const d of list) io.out([d.Id, d.Type, d.IsActive ? "active" : "inactive", d.CreatedDate, d.Name].join("  "));
    return EXIT.ok;
  },
};

export const unlock: Command = {
  name: "unlock",
  usage: "unlock <apikey> <uid | email | username>",
  help:
    'Lift the user\'s lock: the one a "not me" answer sets (error 1198 on new logins) and the wrong-password\n' +
    "lockout of each of their identifiers (email, username, phone), with its failure count. Recorded in the app's\n" +
    "audit trail (user.unlocked), as the admin endpoint does.",
  args: { min: 2, max: 2 },
  async run(ctx, a, io) {
    const app = await existingApp(ctx, apiKeyArg(a.args[0]));
    const uid = await resolveUser(ctx, app.apiKey, a.args[1]!);
    const s = await ctx.services();
    const account = await s.accounts.get(app.apiKey, uid);
    if (!account || !(await liftLocks(s, app.apiKey, uid, account.profile, "by an admin (CLI)"))) {
      io.out(`user ${uid} was not locked`);
      return EXIT.ok;
    }
    io.out(`unlocked user ${uid}`);
    return EXIT.ok;
  },
};

export const backupCodes: Command = {
  name: "backup-codes",
  usage: "backup-codes <apikey> <uid | email | username> [--json]",
  help:
    "Issue the user a new set of 10 backup codes, replacing every earlier one (used or not), and print them: they\n" +
    "are shown this once and stored only as keyed hashes, so hand them to the user now. Each finishes one login\n" +
    "instead of the push (L16). Recorded in the app's audit trail (backup_codes.reset), as L15 does.",
  args: { min: 2, max: 2 },
  switches: ["json"],
  async run(ctx, a, io) {
    const app = await existingApp(ctx, apiKeyArg(a.args[0]));
    const uid = await resolveUser(ctx, app.apiKey, a.args[1]!);
    const { BackUpCodes } = await issueBackupCodes(await ctx.services(), app.apiKey, uid, { reset: true, by: "by an admin (CLI)" });
    if (a.flags.has("json")) io.out(JSON.stringify({ BackUpCodes }, null, 2));
    else for (const code of BackUpCodes) io.out(code);
    return EXIT.ok;
  },
};

export const indexUsers: Command = {
  name: "index-users",
  usage: "index-users <apikey>",
  help:
    "Add every account of the app to the console's user search index (email, username and uid prefixes). New\n" +
    "accounts are indexed as they are created; run this once for accounts created before the index existed. Safe to\n" +
    "run again. It walks the app's profiles with SCAN, which the search itself never does.",
  args: { min: 1, max: 1 },
  async run(ctx, a, io) {
    const app = await existingApp(ctx, apiKeyArg(a.args[0]));
    const s = await ctx.services();
    io.out(`indexed ${await reindexUsers(s.redis, s.keys, app.apiKey)} account(s) of app ${app.apiKey}`);
    return EXIT.ok;
  },
};

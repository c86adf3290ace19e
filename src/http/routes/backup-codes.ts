import { Router } from "express";
import { ApiError } from "../../errors.js";
import { issueBackupCodes } from "../../backup-codes/issue-backup-codes.js";
import { loginWithBackupCode } from "../../backup-codes/login-with-backup-code.js";
import { countingGuesses } from "../../guess-budget.js";
import type { Services } from "../../services.js";
import { together } from "../../together.js";
import { clientIp } from "../client-address.js";
import { requireApp, requireUser } from "../credentials.js";
import { spendSignature } from "../single-use-signature.js";
import { requireAdmin } from "../../console/admin-access.js";
import { parseBody, queryParam } from "../request-input.js";
import { backupCodeBody } from "./schemas.js";

/** L13 and L14: the signed-in user's new set of backup codes. */
export const OWN_BACKUP_CODES_PATH = "/identity/v2/auth/account/2fa/backupcode";
/** L15: an admin's new set for a user (`?uid=`). */
export const USER_BACKUP_CODES_PATH = "/identity/v2/manage/account/2fa/backupcode";
/** L16: finish a waiting login with a backup code. */
export const BACKUP_CODE_LOGIN_PATH = "/identity/v2/auth/login/2fa/verification/backupcode";

/**
 * Backup codes (contract 1.6, L13–L16): a user's or an admin's new set of ten single-use codes, and the login
 * finished with one instead of the push.
 */
export function backupCodeRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });

  // L13 and L14 are the same call: each gives a new set, replacing the old. Each writes, so each spends the
  // caller's per-address budget as L9 does.
  for (const [path, reset] of [[OWN_BACKUP_CODES_PATH, false], [`${OWN_BACKUP_CODES_PATH}/reset`, true]] as const) {
    r.get(path, async (req, res) => {
      await s.limits.strangerPerIp(clientIp(req));
      const { app, user } = await requireUser(s, req);
      res.json(await issueBackupCodes(s, app.apiKey, user.uid, { reset, by: "by the user" }));
    });
  }

  // L15, with and without /reset: the same for an admin.
  for (const [path, reset] of [[USER_BACKUP_CODES_PATH, false], [`${USER_BACKUP_CODES_PATH}/reset`, true]] as const) {
    r.get(path, async (req, res) => {
      const { app, actor } = await requireAdmin(s, req, "backupcodes.issue");
      // New codes are a credential: a captured signed request for them is good once (single-use-signature.ts).
      await spendSignature(s, req, app.apiKey);
      const uid = queryParam(req, "uid");
      if (!uid) throw new ApiError(908, { fields: [{ FieldName: "uid", ErrorMessage: "is required" }] });
      if (!/^[0-9a-f]{32}$/i.test(uid) || !(await s.accounts.get(app.apiKey, uid.toLowerCase()))) throw new ApiError(938);
      res.json(await issueBackupCodes(s, app.apiKey, uid.toLowerCase(), { reset, by: "by an admin", admin: actor.name }));
    });
  }

  // L16: anyone holding a 2FA token can call it, so it is limited per address; an unknown token and a wrong code
  // spend the address's failed-guesses budget, and a wrong code also counts toward the account's lockout. The
  // address is the end user's where a backend names it believably (X-Origin-IP), so one user guessing through the
  // customer's backend does not lock every user behind it out.
  r.put(BACKUP_CODE_LOGIN_PATH, async (req, res) => {
    const ip = clientIp(req);
    const [, , app] = await together([s.limits.strangerPerIp(ip), s.guesses.refuseIfGuessing(ip), requireApp(s, req)]);
    const token = queryParam(req, "secondfactorauthenticationtoken");
    if (!token) throw new ApiError(1103, { description: "The secondfactorauthenticationtoken query parameter is missing." });
    const body = parseBody(backupCodeBody, req.body);
    res.json(await countingGuesses(s.guesses, ip, loginWithBackupCode(s, app, token, body.backupcode)));
  });

  return r;
}

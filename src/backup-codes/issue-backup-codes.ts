import type { Services } from "../services.js";

/** What issuing a set touches: the codes and the audit trail. */
export type IssueBackupCodesDeps = Pick<Services, "backupCodes" | "audit" | "logger">;

/** L13–L15's answer: the new set, shown once. */
export interface BackupCodesAnswer {
  BackUpCodes: string[];
}

/**
 * L13, L14, L15 and the admin CLI: a new set of backup codes for the user, replacing the old one (used or not).
 * `reset` says which call asked (L14, L15's `/reset`), for the audit trail; `by` who ("by the user", "by an admin"), `admin` the console session's admin (the audit's `by`).
 */
export async function issueBackupCodes(
  deps: IssueBackupCodesDeps,
  appId: string,
  uid: string,
  how: { reset: boolean; by: string; admin?: string },
): Promise<BackupCodesAnswer> {
  const codes = await deps.backupCodes.issue(appId, uid);
  deps.logger.info({ app: appId, uid, reset: how.reset }, "backup codes issued");
  await deps.audit.record(appId, { type: how.reset ? "backup_codes.reset" : "backup_codes.issued", uid, detail: how.by, ...(how.admin && { by: how.admin }) });
  return { BackUpCodes: codes };
}

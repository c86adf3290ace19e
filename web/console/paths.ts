/** The management API calls the console makes (contract 1.5 and the console's extensions). */
export const SETTINGS_PATH = "/v2/manage/2fa/push-notification-settings";
export const AUDIT_PATH = "/v2/manage/push/audit";
export const TEST_PATH = "/v2/manage/push/test";
export const DEAD_LETTERS_PATH = "/v2/manage/push/dead-letters";
export const USERS_PATH = "/v2/manage/push/users";
export const accountPath = (uid: string) => `/v2/manage/account/${encodeURIComponent(uid)}/push`;
/** L8: an admin removes all of a user's push devices. */
export const resetPath = (uid: string) => `/identity/v2/manage/account/2FA/authenticator/push/${encodeURIComponent(uid)}`;
/** L15: an admin issues a user a new set of backup codes. */
export const backupCodesPath = (uid: string) => `/identity/v2/manage/account/2fa/backupcode/reset?uid=${encodeURIComponent(uid)}`;
export const AUDIT_LINES_PATH = "/v2/manage/push/audit/lines";
export const AUDIT_EXPORT_PATH = "/v2/manage/push/audit/export";
export const STATS_PATH = "/v2/manage/push/stats";
export const CONSOLE_SESSION_PATH = "/v2/manage/push/console-session";

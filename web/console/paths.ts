/** The management API calls the console makes (contract 1.5 and the console's extensions). */
export const SETTINGS_PATH = "/v2/manage/2fa/push-notification-settings";
export const AUDIT_PATH = "/v2/manage/push/audit";
export const TEST_PATH = "/v2/manage/push/test";
export const DEAD_LETTERS_PATH = "/v2/manage/push/dead-letters";

/**
 * The browser code keeps its own copy of the contract's shapes (web/shared/wire.ts), so that the page program
 * does not pull in the server. This file, checked by `npm run typecheck` (it has no test to run), fails to compile
 * the day what the server sends no longer reads as what the pages expect.
 */
import type { AuditEntry } from "../src/audit/audit-log.js";
import type { LoginResponse, ValidationResponse } from "../src/challenge/login-response.js";
import type { ErrorBody } from "../src/errors.js";
import type { publicDeadLetter, publicRetrying } from "../src/http/routes/dead-letters.js";
import type { AuditLine } from "../src/audit/audit-lines.js";
import type { AdminAction } from "../src/console/admin-access.js";
import type { userSummary } from "../src/http/routes/console-users.js";
import type { SecondFactorResponse } from "../src/login/start-login.js";
import type { DevicePush } from "../src/realtime/device-push.js";
import type { DeviceRegistered } from "../src/enrollment/register-device.js";
import type { PushStatus } from "../src/realtime/status.js";
import type { PushSettings } from "../src/settings/push-settings.js";
import type * as Web from "../web/shared/wire.js";

/** `true` when a value of the server's type `Sent` can be read as the page's type `Read`. */
type ReadsAs<Sent, Read> = [Sent] extends [Read] ? true : false;
type Holds<T extends true> = T;

export type ServerToPage = [
  Holds<ReadsAs<ErrorBody, Web.ErrorBody>>,
  Holds<ReadsAs<LoginResponse, Web.LoginResponse>>,
  Holds<ReadsAs<ValidationResponse, Web.ValidationResponse>>,
  Holds<ReadsAs<PushStatus, Web.PushStatus>>,
  Holds<ReadsAs<SecondFactorResponse, Web.SecondFactorResponse>>,
  Holds<ReadsAs<PushSettings, Web.PushSettings>>,
  Holds<ReadsAs<AuditEntry, Web.AuditEntry>>,
  Holds<ReadsAs<ReturnType<typeof publicDeadLetter>, Web.DeadLetterRow>>,
  Holds<ReadsAs<DevicePush, Web.DevicePush>>,
  Holds<ReadsAs<ReturnType<typeof publicRetrying>, Web.RetryingRow>>,
  Holds<ReadsAs<AuditLine, Web.AuditLine>>,
  // Both ways: the console hides what the server refuses, and shows what it allows.
  Holds<ReadsAs<AdminAction, Web.AdminAction>>,
  Holds<ReadsAs<Web.AdminAction, AdminAction>>,
  Holds<ReadsAs<ReturnType<typeof userSummary>, Web.UserSummary>>,
  Holds<ReadsAs<DeviceRegistered, Web.DeviceRegistered>>,
  // And back: what the console PUTs is what L10 validates.
  Holds<ReadsAs<Web.PushSettings, PushSettings>>,
];

import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import { accountRef } from "../accounts/identifiers.js";
import { refuseIfNotMeLocked } from "../accounts/lockout.js";
import { openChallenge, type OpenChallengeDeps } from "../challenge/open-challenge.js";
import type { SessionOwner } from "../sessions/session-store.js";
import type { Services } from "../services.js";
import { describeBrowser, describeLocation, type ClientContext } from "./client-context.js";
import { loadPushSettings, type PushSettingsDeps } from "./push-enabled.js";
import { secondFactorOf, type SecondFactorResponse } from "./start-login.js";

/** What L12 touches: the limits and the account, then what opening a challenge needs. */
export type StepUpDeps = Pick<Services, "limits" | "accounts" | "backupCodes"> & PushSettingsDeps & OpenChallengeDeps;

/**
 * L12 (step-up): a signed-in user (their access token checked by the route) proves presence again. A challenge of
 * kind `stepup` opens exactly as a login's would (the push goes out; a user with no device gets the enrollment QR,
 * as L9 and L2 give it), under a login's limits and lock: per client address, per account, and 1198 while the
 * user's "Not me" lock lasts. Approved, it gives a validation token instead of a session (answer.ts).
 */
export async function startStepUp(
  deps: StepUpDeps,
  app: AppRecord,
  user: SessionOwner,
  client: ClientContext,
): Promise<SecondFactorResponse["SecondFactorAuthentication"]> {
  await deps.limits.loginPerIp(client.ip);
  await deps.limits.loginPerAccount(accountRef(app.apiKey, user.uid));
  const settings = await loadPushSettings(deps, app);
  const account = await deps.accounts.get(app.apiKey, user.uid);
  if (!account) throw new ApiError(938);
  await refuseIfNotMeLocked(deps, app.apiKey, user.uid);
  const [opened, backupCodesLeft] = await Promise.all([
    openChallenge(deps, app, settings, user.uid, account.profile, {
      browser: describeBrowser(client.userAgent),
      location: describeLocation(client.ip),
      kind: "stepup",
    }),
    deps.backupCodes.left(app.apiKey, user.uid),
  ]);
  return secondFactorOf(opened, backupCodesLeft > 0);
}

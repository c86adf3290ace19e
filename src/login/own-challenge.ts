import { ApiError } from "../errors.js";
import type { AppRecord } from "../apps/app-store.js";
import { accountRef } from "../accounts/identifiers.js";
import { refuseIfNotMeLocked } from "../accounts/lockout.js";
import { openChallenge, type OpenChallengeDeps } from "../challenge/open-challenge.js";
import { consumeValidation } from "../challenge/validation-token.js";
import type { Services } from "../services.js";
import { describeBrowser, describeLocation, type ClientContext } from "./client-context.js";
import { loadPushSettings, type PushSettingsDeps } from "./push-enabled.js";

/** Contract 2.12's request, as the route parsed it: one of Uid or Email, and what the phone shows. */
export interface OwnChallengeRequest {
  uid?: string | undefined;
  email?: string | undefined;
  message?: string | undefined;
  context?: Record<string, string> | undefined;
}

/** Contract 2.12's answer. */
export interface OwnChallengeResponse {
  SecondFactorAuthenticationToken: string;
  ExpireIn: string;
  IsPushDeviceRegistered: true;
}

/** What opening a backend's own challenge touches: the per-account limit, the accounts, then a challenge's needs. */
export type OwnChallengeDeps = Pick<Services, "limits" | "accounts"> & PushSettingsDeps & OpenChallengeDeps;

/**
 * Contract 2.12: a backend that checked the password itself asks for a push to the user it names (938 when no
 * such user). A challenge of kind `own` opens as a login's would, with the backend's message and context inside
 * the signed push data; a user without an active device is 1313 (never an enrollment QR: the caller is not the
 * user). Bounded like a login: per account (a backend, or whoever holds its secret, cannot push-bomb one user), and
 * 1198 while the user's "Not me" lock lasts. There is no per-address limit: one backend calls for all its users.
 */
export async function startOwnChallenge(
  deps: OwnChallengeDeps,
  app: AppRecord,
  request: OwnChallengeRequest,
  client: ClientContext,
): Promise<OwnChallengeResponse> {
  const uid = request.uid ? request.uid.toLowerCase() : await deps.accounts.findUid(app.apiKey, "email", request.email ?? "");
  const account = uid ? await deps.accounts.get(app.apiKey, uid) : null;
  if (!uid || !account) throw new ApiError(938);
  await deps.limits.loginPerAccount(accountRef(app.apiKey, uid));
  const settings = await loadPushSettings(deps, app);
  await refuseIfNotMeLocked(deps, app.apiKey, uid);
  const { token, challenge } = await openChallenge(deps, app, settings, uid, account.profile, {
    browser: describeBrowser(client.userAgent),
    location: describeLocation(client.ip),
    kind: "own",
    message: request.message ?? "",
    context: request.context && Object.keys(request.context).length ? JSON.stringify(request.context) : "",
  });
  return { SecondFactorAuthenticationToken: token, ExpireIn: new Date(challenge.expiresAt).toISOString(), IsPushDeviceRegistered: true };
}

/**
 * Contract 2.12's validate: `{ IsValid: true, Uid }` for a live validation token of this app, once; `{ IsValid:
 * false }` for anything else (used, expired, unknown, another app's), without telling which.
 */
export async function validateOwnChallenge(
  deps: Pick<Services, "redis" | "keys" | "audit">,
  app: AppRecord,
  token: string,
): Promise<{ IsValid: true; Uid: string } | { IsValid: false }> {
  const uid = await consumeValidation(deps, app.apiKey, token);
  if (!uid) return { IsValid: false };
  await deps.audit.record(app.apiKey, { type: "challenge.validated", uid });
  return { IsValid: true, Uid: uid };
}

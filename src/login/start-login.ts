import type { AppRecord } from "../apps/app-store.js";
import { accountRef, identifierRef, normalizeIdentifier, type IdentifierKind } from "../accounts/identifiers.js";
import { checkPassword, refuseIfNotMeLocked, type PasswordCheckDeps } from "../accounts/lockout.js";
import { openChallenge, type OpenChallengeDeps, type OpenedChallenge } from "../challenge/open-challenge.js";
import type { PushQRCodeDetails } from "../enrollment/enrollment.js";
import type { Services } from "../services.js";
import { describeBrowser, describeLocation, type ClientContext } from "./client-context.js";
import { loadPushSettings, type PushSettingsDeps } from "./push-enabled.js";
import { otherFactorFields, type OtherFactorFields } from "./other-factors.js";

export interface FirstFactor {
  kind: IdentifierKind;
  value: string;
  password: string;
}

/** Contract 1.1: what L2 answers when the first factor passed. */
export interface SecondFactorResponse {
  SecondFactorAuthentication: {
    SecondFactorAuthenticationToken: string;
    ExpireIn: string;
    IsPushDeviceRegistered: boolean;
    /** Contract 1.3: the URL of the enrollment QR's image (L11), when the user has no device. */
    PushQRCode: string | null;
    /** (ext) Beside it: the enrollment URL, the image inline, the store and authenticator links. */
    PushQRCodeDetails: PushQRCodeDetails | null;
    PushNumber?: string;
  } & OtherFactorFields;
  Profile: null;
  access_token: "00000000-0000-0000-0000-000000000000";
  expires_in: "0001-01-01T00:00:00";
}

/** What L2 touches: its limits and the accounts, then what each of its steps needs. */
export type StartLoginDeps = Pick<Services, "limits" | "accounts" | "backupCodes"> & PasswordCheckDeps & PushSettingsDeps & OpenChallengeDeps;

/**
 * L2: check the first factor, open a challenge (cancelling the user's older one), push it to every active
 * device, or hand back an enrollment QR when the user has no device at all; the push then follows the
 * enrollment. A user whose devices are all inactive gets 1313 (see openChallenge).
 */
export async function startLogin(deps: StartLoginDeps, app: AppRecord, input: FirstFactor, client: ClientContext): Promise<SecondFactorResponse> {
  await deps.limits.loginPerIp(client.ip);
  // One form of the identifier for the lookup, the limit and the lockout: a padded or re-cased variant is the
  // same account and spends the same budget.
  const id = { kind: input.kind, value: normalizeIdentifier(input.kind, input.value) };
  await deps.limits.loginPerAccount(identifierRef(app.apiKey, id.kind, id.value));
  const settings = await loadPushSettings(deps, app);

  const found = await deps.accounts.findUid(app.apiKey, id.kind, id.value);
  const stored = found ? await deps.accounts.get(app.apiKey, found) : null;
  const { uid, profile } = await checkPassword(deps, app.apiKey, id, found && stored ? { uid: found, ...stored } : null, input.password);
  // The same budget again per account, so its email, username and phone together push no more than one of them.
  await deps.limits.loginPerAccount(accountRef(app.apiKey, uid));
  await refuseIfNotMeLocked(deps, app.apiKey, uid);

  const [opened, backupCodesLeft] = await Promise.all([
    openChallenge(deps, app, settings, uid, profile, { browser: describeBrowser(client.userAgent), location: describeLocation(client.ip) }),
    deps.backupCodes.left(app.apiKey, uid),
  ]);

  return {
    SecondFactorAuthentication: secondFactorOf(opened, backupCodesLeft > 0),
    Profile: null,
    access_token: "00000000-0000-0000-0000-000000000000",
    expires_in: "0001-01-01T00:00:00",
  };
}

/**
 * The `SecondFactorAuthentication` object of contract 1.1 for an opened challenge: what L2 answers inside its
 * envelope, and L12 (step-up) answers as it is.
 */
export function secondFactorOf(opened: OpenedChallenge, hasBackupCodes: boolean): SecondFactorResponse["SecondFactorAuthentication"] {
  const sfa: SecondFactorResponse["SecondFactorAuthentication"] = {
    SecondFactorAuthenticationToken: opened.token,
    ExpireIn: new Date(opened.challenge.expiresAt).toISOString(),
    IsPushDeviceRegistered: opened.devices.length > 0,
    PushQRCode: opened.qr?.PushQRCode ?? null,
    PushQRCodeDetails: opened.qr?.PushQRCodeDetails ?? null,
    ...otherFactorFields({ backupCodes: hasBackupCodes }),
  };
  if (opened.challenge.number) sfa.PushNumber = opened.challenge.number;
  return sfa;
}

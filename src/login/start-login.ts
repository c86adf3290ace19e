import { ApiError } from "../errors.js";
import { burnPasswordCheck, verifyPassword } from "../crypto/passwords.js";
import { hashToken } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import type { IdentifierKind } from "../accounts/account-store.js";
import { openChallenge } from "../challenge/open-challenge.js";
import type { PushQRCode } from "../enrollment/enrollment.js";
import type { Services } from "../services.js";
import { describeBrowser, describeLocation, type ClientContext } from "./client-context.js";
import { loadPushSettings } from "./push-enabled.js";

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
    PushQRCode: PushQRCode | null;
    PushNumber?: string;
    IsAuthenticatorVerified: false;
    IsOTPAuthenticatorVerified: false;
    IsEmailOtpAuthenticatorVerified: false;
    IsSecurityQuestionAuthenticatorVerified: false;
  };
  Profile: null;
  access_token: "00000000-0000-0000-0000-000000000000";
  expires_in: "0001-01-01T00:00:00";
}

/**
 * L2: check the first factor, open a challenge (cancelling the user's older one), push it to every active
 * device, or hand back an enrollment QR when there is none; the push then follows the enrollment.
 */
export async function startLogin(s: Services, app: AppRecord, input: FirstFactor, client: ClientContext): Promise<SecondFactorResponse> {
  await s.limits.loginPerIp(client.ip);
  await s.limits.loginPerAccount(hashToken(`${app.apiKey}|${input.kind}|${input.value.toLowerCase()}`));
  const settings = await loadPushSettings(s, app);

  const uid = await s.accounts.findUid(app.apiKey, input.kind, input.value);
  const account = uid ? await s.accounts.get(app.apiKey, uid) : null;
  if (!uid || !account) {
    await burnPasswordCheck(input.password);
    throw new ApiError(966);
  }
  const locked = await s.redis.get(s.keys.lock(app.apiKey, uid));
  if (locked) {
    await s.audit.record(app.apiKey, { type: "login.refused", uid, detail: `locked: ${locked}` });
    throw new ApiError(1198);
  }
  if (!(await verifyPassword(input.password, account.passwordHash))) {
    await countPasswordFailure(s, app.apiKey, uid);
    throw new ApiError(966);
  }
  await s.redis.del(s.keys.passwordFailures(app.apiKey, uid));

  const { token, challenge, qr, devices } = await openChallenge(s, app, settings, uid, account.profile, {
    browser: describeBrowser(client.userAgent),
    location: describeLocation(client.ip),
  });

  const sfa: SecondFactorResponse["SecondFactorAuthentication"] = {
    SecondFactorAuthenticationToken: token,
    ExpireIn: new Date(challenge.expiresAt).toISOString(),
    IsPushDeviceRegistered: devices.length > 0,
    PushQRCode: qr,
    IsAuthenticatorVerified: false,
    IsOTPAuthenticatorVerified: false,
    IsEmailOtpAuthenticatorVerified: false,
    IsSecurityQuestionAuthenticatorVerified: false,
  };
  if (challenge.number) sfa.PushNumber = challenge.number;
  return {
    SecondFactorAuthentication: sfa,
    Profile: null,
    access_token: "00000000-0000-0000-0000-000000000000",
    expires_in: "0001-01-01T00:00:00",
  };
}

/** After LOGIN_MAX_FAILURES wrong passwords within LOGIN_LOCK_SECONDS, the account is locked for as long (1198). */
async function countPasswordFailure(s: Services, appId: string, uid: string): Promise<void> {
  const key = s.keys.passwordFailures(appId, uid);
  const [[, failures]] = (await s.redis.multi().incr(key).expire(key, s.config.LOGIN_LOCK_SECONDS, "NX").exec()) as [[Error | null, number]];
  if (failures < s.config.LOGIN_MAX_FAILURES) return;
  await s.redis.multi().set(s.keys.lock(appId, uid), "password", "EX", s.config.LOGIN_LOCK_SECONDS).del(key).exec();
  s.logger.warn({ app: appId, uid }, "too many wrong passwords: account locked");
  await s.audit.record(appId, { type: "user.locked", uid, detail: "wrong passwords" });
}

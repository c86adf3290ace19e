/**
 * The fields LoginRadius's typed SDKs declare on a first-factor answer (L2, contract 1.1 and 1.6) and on the MFA
 * settings (L9) for the factors this gateway does not have, with neutral values, so a client that reads them
 * finds them; and (ext) `IsBackupCodeEnabled`, the one place the backup codes will say whether a user has them.
 */
export interface OtherFactorFields {
  IsGoogleAuthenticatorVerified: false;
  IsAuthenticatorVerified: false;
  IsOTPAuthenticatorVerified: false;
  IsEmailOtpAuthenticatorVerified: false;
  IsSecurityQuestionAuthenticatorVerified: false;
  QRCode: null;
  ManualEntryCode: null;
  OTPPhoneNo: null;
  OTPStatus: null;
  Email: [];
  EmailOTPStatus: null;
  SecurityQuestions: [];
  /** (ext) Whether the user has backup codes: false until backup codes exist. */
  IsBackupCodeEnabled: boolean;
}

export function otherFactorFields(o: { backupCodes?: boolean } = {}): OtherFactorFields {
  return {
    IsGoogleAuthenticatorVerified: false,
    IsAuthenticatorVerified: false,
    IsOTPAuthenticatorVerified: false,
    IsEmailOtpAuthenticatorVerified: false,
    IsSecurityQuestionAuthenticatorVerified: false,
    QRCode: null,
    ManualEntryCode: null,
    OTPPhoneNo: null,
    OTPStatus: null,
    Email: [],
    EmailOTPStatus: null,
    SecurityQuestions: [],
    IsBackupCodeEnabled: o.backupCodes ?? false,
  };
}

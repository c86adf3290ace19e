import { z } from "zod";

/**
 * The fields LoginRadius's typed SDKs declare on a first-factor answer (L2, contract 1.1 and 1.6) and on the MFA
 * settings (L9) for the factors this gateway does not have, with neutral values, so a client that reads them
 * finds them; and (ext) `IsBackupCodeEnabled`, the one place the backup codes will say whether a user has them.
 */
export const otherFactorFieldsSchema = z.object({
  IsGoogleAuthenticatorVerified: z.literal(false),
  IsAuthenticatorVerified: z.literal(false),
  IsOTPAuthenticatorVerified: z.literal(false),
  IsEmailOtpAuthenticatorVerified: z.literal(false),
  IsSecurityQuestionAuthenticatorVerified: z.literal(false),
  QRCode: z.null(),
  ManualEntryCode: z.null(),
  OTPPhoneNo: z.null(),
  OTPStatus: z.null(),
  Email: z.array(z.never()).max(0),
  EmailOTPStatus: z.null(),
  SecurityQuestions: z.array(z.never()).max(0),
  /** (ext) Whether the user has backup codes: false until backup codes exist. */
  IsBackupCodeEnabled: z.boolean(),
});
export type OtherFactorFields = z.infer<typeof otherFactorFieldsSchema>;

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

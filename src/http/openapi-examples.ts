/**
 * One example per documented operation, by "METHOD path" as in the operations list: a request body where it takes
 * one, and its success answer. A test checks every example against the schema the operation names, so an example
 * that no longer fits fails there rather than misleading a reader of /docs.
 */

const uid = "5f1e0c2a9b8d4c7e8f6a5b4c3d2e1f00";
const guid = "b1fbbba5-2a5e-41a2-96da-c216df36e6f4";
const at = "2026-11-29T12:00:00.000Z";
const profile = {
  Uid: uid, ID: uid, Email: [{ Type: "Primary", Value: "ada@example.com" }], EmailVerified: true, IsActive: true, IsDeleted: false,
  UserName: null, PhoneId: null, FirstName: "Ada", CreatedDate: at, Identities: null, IsPasswordBreached: false,
};
const qr = {
  Url: `https://mfa.example.com/identity/v2/auth/account/2fa/push/enroll/${guid}`,
  Image: "data:image/png;base64,iVBORw0KGgo…",
  ExpireIn: "2026-11-29T12:05:00.000Z",
  AppName: "Acme Authenticator",
  Message: "Please approve the sign-in request",
  AuthenticatorUrl: `https://mfa.example.com/authenticator/#enroll=${encodeURIComponent(`https://mfa.example.com/identity/v2/auth/account/2fa/push/enroll/${guid}`)}`,
};
const device = { Id: "0f8c2b1e-7a4d-4e2b-9c3a-1d2e3f4a5b6c", Name: "Ada's Pixel", Type: "android", IsActive: true, CreatedDate: at };
const posted = { IsPosted: true };
const deleted = { IsDeleted: true };
const noFlags = {
  IsGoogleAuthenticatorVerified: false, IsAuthenticatorVerified: false, IsOTPAuthenticatorVerified: false, IsEmailOtpAuthenticatorVerified: false,
  IsSecurityQuestionAuthenticatorVerified: false, QRCode: null, ManualEntryCode: null, OTPPhoneNo: null, OTPStatus: null, Email: [],
  EmailOTPStatus: null, SecurityQuestions: [], IsBackupCodeEnabled: false,
};
const qrImageUrl = `https://mfa.example.com/identity/v2/auth/qr-code?apikey=${guid}&token=${guid}&size=200`;
const codes = ["k3f9-x2m7", "p8q2-w4n6", "a7c1-z9v3", "m5t8-r2b6", "h4j6-y1e9", "d2g7-u5s8", "n9w3-c6k1", "f1x5-q8p4", "e6r2-b7m9", "s3v8-t4h2"];
const settings = {
  IsEnabled: true, CustomAppName: "Acme Authenticator", Message: "Please approve the sign-in request", QRCodeWidth: 200, NotificationService: "Native",
  AWSsettings: { AccessKeyId: "", SecretAccessKey: "", Region: "" },
  NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "****" },
  AndroidSettings: { Enabled: true, PlaystoreUrl: "", PlatformARN: "", ServiceJson: "" },
  IOSsettings: { Enabled: false, AppstoreUrl: "", PlatformARN: "", BundleId: "", ApnsCertificate: "", Environment: "Production", ApnsCertificatePassword: "", ApnsKey: "", ApnsKeyId: "", ApnsTeamId: "" },
  ChallengeTtlSeconds: 120, NumberMatching: "Off",
};
const login = { access_token: guid, refresh_token: "3c9a7e52-1d4b-4f8e-a6c0-5b2d9e7f1a34", expires_in: "2026-11-29T13:00:00.000Z", Profile: profile };

export const OPENAPI_EXAMPLES: Record<string, { body?: unknown; response?: unknown }> = {
  "POST /identity/v2/manage/account": { body: { Email: [{ Type: "Primary", Value: "ada@example.com" }], Password: "correct horse battery", FirstName: "Ada" }, response: profile },
  "POST /identity/v2/auth/login/2fa": {
    body: { email: "ada@example.com", password: "correct horse battery" },
    response: {
      SecondFactorAuthentication: { SecondFactorAuthenticationToken: guid, ExpireIn: "2026-11-29T12:02:00.000Z", IsPushDeviceRegistered: true, PushQRCode: null, PushQRCodeDetails: null, ...noFlags },
      Profile: null, access_token: "00000000-0000-0000-0000-000000000000", expires_in: "0001-01-01T00:00:00",
    },
  },
  "GET /login/2fa/push/ping": { response: login },
  "GET /identity/v2/auth/login/2fa/push/ping": { response: login },
  "PUT /identity/v2/auth/login/2fa/verification/push": { body: { verify: "Yes", signature: "3045022100c0ffee…".replace("…", "") }, response: posted },
  "POST /identity/v2/auth/account/2fa/push/enroll/{token}": {
    body: { deviceName: "Ada's Pixel", deviceType: "android", publicKey: "3059301306072a8648ce3d0201", deviceToken: "fcm-registration-token" },
    response: { isRegistered: true, serverPublicKey: { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", kid: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" }, appName: "Acme Authenticator", identifier: "ada@example.com", message: "Please approve the sign-in request" },
  },
  "DELETE /identity/v2/auth/account/2fa/authenticator/push": { response: deleted },
  "DELETE /identity/v2/manage/account/2fa/authenticator/push/{uid}": { response: deleted },
  "GET /identity/v2/auth/account/2fa": { response: { IsPushDeviceRegistered: true, PushQRCode: qrImageUrl, PushQRCodeDetails: qr, ...noFlags } },
  "GET /identity/v2/auth/account/2fa/backupcode": { response: { BackUpCodes: codes } },
  "GET /identity/v2/auth/account/2fa/backupcode/reset": { response: { BackUpCodes: codes } },
  "GET /identity/v2/manage/account/2fa/backupcode": { response: { BackUpCodes: codes } },
  "GET /identity/v2/manage/account/2fa/backupcode/reset": { response: { BackUpCodes: codes } },
  "PUT /identity/v2/auth/login/2fa/verification/backupcode": { body: { backupcode: "k3f9-x2m7" }, response: login },
  "GET /identity/v2/auth/account/reauth/2fa": {
    response: { SecondFactorAuthenticationToken: guid, ExpireIn: "2026-11-29T12:02:00.000Z", IsPushDeviceRegistered: true, PushQRCode: null, PushQRCodeDetails: null, ...noFlags },
  },
  "POST /v2/manage/push/challenge": {
    body: { Email: "ada@example.com", Message: "Confirm the transfer of 120 EUR", Context: { amount: "120 EUR" } },
    response: { SecondFactorAuthenticationToken: guid, ExpireIn: "2026-11-29T12:02:00.000Z", IsPushDeviceRegistered: true },
  },
  "POST /v2/manage/push/challenge/validate": { body: { SecondFactorValidationToken: guid }, response: { IsValid: true, Uid: uid } },
  "DELETE /v2/manage/account/{uid}/push/devices/{deviceId}": { response: deleted },
  "GET /v2/manage/push/users": { response: { Data: [{ Uid: uid, Email: "ada@example.com", UserName: null }] } },
  "GET /v2/manage/account/{uid}/push/overview": {
    response: {
      Uid: uid, Email: "ada@example.com", UserName: null, PhoneId: null,
      Devices: [{ Id: device.Id, Name: "Ada's Pixel", Platform: "android", Route: "Webhook", CreatedDate: at, LastUsedDate: at, IsActive: true, InactiveReason: null }],
      Lock: { IsLocked: false, NotMe: null, WrongPasswords: [] },
      Challenges: [{ Id: guid, Date: at, Outcome: "approved", Browser: "Firefox on Linux", Location: "203.0.113.7", IsTest: false }],
    },
  },
  "GET /v2/manage/push/audit/lines": {
    response: {
      Data: [{
        Id: "1764417600000-0", Date: at, Kind: "challenge", Title: "Sign-in", Uid: uid, User: "ada@example.com", Challenge: guid, Outcome: "approved",
        IsTest: false, By: null, Events: [{ Id: "1764417600000-0", Date: at, Type: "challenge.approved", Text: "Approved on Ada's Pixel" }],
      }],
      Next: null,
    },
  },
  "GET /v2/manage/push/stats": {
    response: {
      Range: "hour", BucketSeconds: 300,
      Buckets: [{ Start: at, Approved: 3, Denied: 0, NotMe: 0, Expired: 1, Cancelled: 0, Pushes: 4 }],
      Totals: { Approved: 3, Denied: 0, NotMe: 0, Expired: 1, Cancelled: 0 },
      Delivery: [{ Provider: "webhook", Sent: 4, Failed: 0, Retrying: 0 }],
      AnswerTime: { Count: 3, P50Ms: 2100, P95Ms: 5400 },
      FraudReports: 0,
    },
  },
  "POST /console/api/sign-in": {
    body: { Email: "admin@example.com", Password: "a long admin password" },
    response: {
      SecondFactorAuthentication: { SecondFactorAuthenticationToken: guid, ExpireIn: "2026-11-29T12:02:00.000Z", IsPushDeviceRegistered: true, PushQRCode: null, PushQRCodeDetails: null, ...noFlags },
      Profile: null, access_token: "00000000-0000-0000-0000-000000000000", expires_in: "0001-01-01T00:00:00", ApiKey: guid,
    },
  },
  "POST /console/api/session": { body: { AccessToken: guid }, response: { Email: "admin@example.com", Role: "operator", Can: ["read", "push.test"], Apps: [{ ApiKey: guid, Name: "Acme" }] } },
  "GET /console/api/me": { response: { Email: "admin@example.com", Role: "operator", Can: ["read", "push.test"], Apps: [{ ApiKey: guid, Name: "Acme" }] } },
  "POST /console/api/sign-out": { response: posted },
  "GET /v2/manage/push/console-session": { response: { Admin: "app secret", Permissions: ["read", "push.test"] } },
  "POST /v2/manage/token": { response: { access_token: guid, expires_in: "2026-11-29T13:00:00.000Z" } },
  "GET /ciam/appinfo": {
    response: {
      AppName: "Acme",
      TwoFactorAuthentication: {
        IsEnabled: true, IsRequired: true, IsPushAuthenticator: true, IsGoogleAuthenticator: false, IsAuthenticator: false,
        IsOTPAuthenticator: false, IsEmailOtpAuthenticator: false, IsSecurityQuestionAuthenticator: false,
      },
    },
  },
  "GET /identity/v2/auth/push/vapid-public-key": { response: { PublicKey: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM" } },
  "GET /v2/manage/2fa/push-notification-settings": { response: settings },
  "PUT /v2/manage/2fa/push-notification-settings": { body: { IsEnabled: true, NotificationService: "Native", NativeSettings: { WebhookUrl: "https://push.example.com/send", SigningSecret: "a signing secret of 16+ chars" } }, response: settings },
  "GET /v2/manage/push/audit": { response: { Data: [{ id: "1764417600000-0", at, type: "challenge.approved", uid, challenge: guid }] } },
  "DELETE /v2/manage/account/{uid}/push/lock": { response: deleted },
  "GET /v2/manage/account/{uid}/push/devices": { response: { Data: [device] } },
  "POST /v2/manage/push/test": { body: { Email: "ada@example.com" }, response: { IsPosted: true, Devices: 1 } },
  "GET /v2/manage/push/dead-letters": {
    response: { Data: [{ JobId: `send.${guid}.${device.Id}.1`, Name: "send", Queue: "push", FailedReason: "webhook answered 500", AttemptsMade: 5, FailedDate: at, ChallengeId: guid, DeviceId: device.Id }], Retrying: [] },
  },
  "POST /v2/manage/push/dead-letters/{jobId}/retry": { response: posted },
  "GET /identity/v2/auth/account/2fa/push/devices": { response: { Data: [device] } },
  "PUT /identity/v2/auth/account/2fa/push/devices/{deviceId}": { body: { Name: "Work phone" }, response: posted },
  "DELETE /identity/v2/auth/account/2fa/push/devices/{deviceId}": { response: deleted },
  "GET /identity/v2/auth/account/2fa/push/pending": {
    response: { Data: [{ secondfactorauthenticationtoken: "9d4c1a2b-…-handle".replace("…-", ""), identifier: "ada@example.com", browser: "Firefox on Linux", location: "203.0.113.7", timestamp: "1764417600", apikey: guid, expiresAt: "2026-11-29T12:02:00.000Z", serverSignature: "MEUCIQ…" }] },
  },
  "PUT /identity/v2/auth/account/2fa/push/device-token": { body: { publicKey: "3059301306072a8648ce3d0201", deviceToken: "new-fcm-token", timestamp: "1764417600000", signature: "3045022100ab" }, response: posted },
  "DELETE /identity/v2/auth/account/2fa/push/device": { body: { publicKey: "3059301306072a8648ce3d0201", timestamp: "1764417600000", signature: "3045022100ab" }, response: deleted },
  "GET /identity/v2/auth/push/server-key": { response: { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", kid: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" } },
  "GET /healthz": { response: { Status: "ok" } },
  "GET /readyz": { response: { Status: "ready", Redis: "up", Accepting: true } },
  "GET /openapi.json": { response: { openapi: "3.1.0" } },
  "POST /demo/signup": { body: { email: "ada@example.com", password: "correct horse battery" }, response: { Uid: uid, Email: profile.Email } },
  "POST /demo/inbox": { response: posted },
};

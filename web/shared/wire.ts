/**
 * The contract's shapes as the pages read them (docs/API.md): the browser program keeps its own
 * copy rather than importing the server's modules, which would pull the whole server (and Node's types) into it.
 * test/web-wire.typecheck.ts checks, at `npm run typecheck`, that what the server sends still reads as these.
 */

/** One field's validation message (error 965's `Errors`). */
export interface FieldError {
  FieldName: string;
  ErrorMessage: string;
}

/** The error body of contract section 0. */
export interface ErrorBody {
  Description: string;
  ErrorCode: number;
  Message: string;
  IsProviderError: boolean;
  ProviderErrorResponse: null;
  Errors?: FieldError[];
}

export interface Profile {
  Uid: string;
  ID: string;
  Email: Array<{ Type: string; Value: string }>;
  EmailVerified: boolean;
  IsActive: boolean;
  IsDeleted: boolean;
  UserName: string | null;
  PhoneId: string | null;
  FirstName: string | null;
  CreatedDate: string;
  Identities: null;
  IsPasswordBreached: boolean;
}

/** The login response of contract 1.2: what L4 answers and `push:status` carries once approved. */
export interface LoginResponse {
  access_token: string;
  refresh_token: string;
  expires_in: string;
  Profile: Profile;
}

/**
 * (ext) What L4 answers and `push:status` carries as `Validation` once a step-up (L12) or a backend's own challenge
 * (contract 2.12) is approved: a single-use token the customer's backend checks. `Uid` only for 2.12.
 */
export interface ValidationResponse {
  SecondFactorValidationToken: string;
  ExpireIn: string;
  Uid?: string;
}

/** What an approval gives the waiting page: a login (L2), or a validation (L12, 2.12). */
export type PushApproval = LoginResponse | ValidationResponse;

export type ChallengeStatus = "Pending" | "Approved" | "Denied" | "Expired" | "Cancelled";
export type DeliveryState = "Queued" | "Sent" | "Retrying" | "Failed";

/** The one realtime event of contract 2.1 (`push:status`). */
export interface PushStatus {
  Status: ChallengeStatus;
  Delivery?: { State: DeliveryState; Devices: number };
  ExpireIn: string;
  Number?: string;
  Login?: LoginResponse;
  /** (ext) In place of `Login` when a step-up (L12) or a backend's own challenge (2.12) is Approved. */
  Validation?: ValidationResponse;
  Error?: ErrorBody;
  /** (ext) When the phone's answer was recorded, for Approved and Denied. */
  AnsweredAt?: string;
}

/** Contract 1.3 (ext): the enrollment QR's details, beside `PushQRCode` (the image's URL). */
export interface PushQRCodeDetails {
  /** The enrollment URL, which the QR encodes. */
  Url: string;
  /** The QR as a `data:image/png;base64,…` URL. */
  Image: string;
  ExpireIn: string;
  AppName: string;
  Message: string;
  PlaystoreUrl?: string;
  AppstoreUrl?: string;
  /** The authenticator app (contract 2.10) with this enrollment link filled in. */
  AuthenticatorUrl: string;
}

/** Contract 1.1: what L2 answers when the first factor passed (the part a page reads). */
export interface SecondFactorResponse {
  SecondFactorAuthentication: {
    SecondFactorAuthenticationToken: string;
    ExpireIn: string;
    IsPushDeviceRegistered: boolean;
    /** The absolute URL of the enrollment QR's PNG (L11): `img.src = sfa.PushQRCode`. */
    PushQRCode: string | null;
    PushQRCodeDetails: PushQRCodeDetails | null;
    PushNumber?: string;
    IsBackupCodeEnabled?: boolean;
  };
}

/** The push settings object of contract 1.5 (L10), secrets masked when read. */
export interface PushSettings {
  IsEnabled: boolean;
  CustomAppName: string;
  Message: string;
  QRCodeWidth: number;
  NotificationService: "AWS" | "Native";
  AWSsettings: { AccessKeyId: string; SecretAccessKey: string; Region: string };
  NativeSettings: { WebhookUrl: string; SigningSecret: string };
  AndroidSettings: { Enabled: boolean; PlatformARN?: string | undefined; PlaystoreUrl?: string | undefined; ServiceJson: string };
  IOSsettings: {
    Enabled: boolean;
    PlatformARN?: string | undefined;
    AppstoreUrl?: string | undefined;
    BundleId: string;
    Environment: "Production" | "Sandbox";
    ApnsCertificate: string;
    ApnsCertificatePassword: string;
    ApnsKey: string;
    ApnsKeyId: string;
    ApnsTeamId: string;
  };
  ChallengeTtlSeconds: number;
  NumberMatching: "Off" | "PickOne" | "Typed";
}

/** (ext) One audit event as `GET /v2/manage/push/audit` lists it: ids and reasons only. */
export interface AuditEntry {
  id: string;
  at: string;
  type: string;
  uid?: string;
  challenge?: string;
  device?: string;
  detail?: string;
}

/** (ext) One dead letter as `GET /v2/manage/push/dead-letters` lists it. */
export interface DeadLetterRow {
  JobId: string;
  Name: string;
  Queue: string;
  FailedReason: string;
  AttemptsMade: number;
  FailedDate: string | null;
  ChallengeId: string | null;
  DeviceId: string | null;
}

/** (ext) A job still being retried, as `GET /v2/manage/push/dead-letters` lists it beside the dead letters. */
export interface RetryingRow {
  JobId: string;
  Name: string;
  State: "delayed" | "waiting";
  LastFailure: string;
  AttemptsMade: number;
  Attempts: number;
  NextAttemptDate: string | null;
  ChallengeId: string | null;
  DeviceId: string | null;
}

/** (ext) One line of `GET /v2/manage/push/audit/lines`: a challenge with its events, or one other event. */
export interface AuditLine {
  Id: string;
  Date: string;
  Kind: "challenge" | "event";
  Title: string;
  Uid: string | null;
  User: string | null;
  Challenge: string | null;
  Outcome: string | null;
  IsTest: boolean;
  By: string | null;
  Events: Array<{ Id: string; Date: string; Type: string; Text: string }>;
}

/** (ext) A user as `GET /v2/manage/push/users` finds them. */
export interface UserSummary {
  Uid: string;
  Email: string | null;
  UserName: string | null;
}

/** (ext) `GET /v2/manage/account/{uid}/push/overview`. */
export interface UserOverview extends UserSummary {
  PhoneId: string | null;
  Devices: Array<{ Id: string; Name: string; Platform: string; Route: string; CreatedDate: string; LastUsedDate: string | null; IsActive: boolean; InactiveReason: string | null }>;
  Lock: { IsLocked: boolean; NotMe: { Reason: string; SecondsLeft: number } | null; WrongPasswords: Array<{ Identifier: string; SecondsLeft: number }> };
  Challenges: Array<{ Id: string; Date: string; Outcome: string; Browser: string; Location: string; IsTest: boolean }>;
}

/** (ext) `GET /v2/manage/push/stats`. */
export interface StatsAnswer {
  Range: "hour" | "day" | "week";
  BucketSeconds: number;
  Buckets: Array<{ Start: string; Approved: number; Denied: number; NotMe: number; Expired: number; Cancelled: number; Pushes: number }>;
  Totals: { Approved: number; Denied: number; NotMe: number; Expired: number; Cancelled: number };
  Delivery: Array<{ Provider: string; Sent: number; Failed: number; Retrying: number }>;
  AnswerTime: { Count: number; P50Ms: number | null; P95Ms: number | null };
  FraudReports: number;
}

/** The data of a push (contract 1.4), as the phone receives it. */
export interface PushData {
  secondfactorauthenticationtoken: string;
  identifier: string;
  browser: string;
  location: string;
  timestamp: string;
  apikey: string;
  expiresAt: string;
  /** Number matching (contract 1.4): the options, or the mode, as the server puts them. */
  challenge?: string;
  /** Contract 2.12: the backend's own text and context (the context as JSON text). */
  message?: string;
  context?: string;
  /**
   * Contract 2.9: base64url of the app's server key's ECDSA P-256 signature (P1363, r||s) over the RFC 8785
   * canonical JSON of every other key. Always sent by the gateway; check it before showing the request.
   */
  serverSignature?: string;
}

/** What an open app receives on the `/device` channel's `push` event. */
export interface DevicePush {
  deliveryId: string;
  data: PushData;
  notification: { title: string; body: string };
  ttlSeconds: number;
}

/** What a Web Push message's decrypted payload holds (contract 2.7): the same data and text as every push. */
export interface WebPushPayload {
  data: PushData;
  notification: { title: string; body: string };
}

/** The `/device` channel's `push:ended` event (contract 2.13): that request ended elsewhere; remove it. */
export interface DevicePushEnded {
  /** The device handle the request's push carried (this device's own, never another's). */
  secondfactorauthenticationtoken: string;
}

/** The events of the `/device` namespace, server to app. */
export interface DeviceChannelEvents {
  push: (push: DevicePush) => void;
  "push:ended": (ended: DevicePushEnded) => void;
}

/** The server's public key of contract 2.9, a bare JWK. */
export interface ServerPublicJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
}

/** L6's answer (contract 1, L6 and 2.7). */
export interface DeviceRegistered {
  isRegistered: true;
  serverPublicKey: ServerPublicJwk;
  /** The app's CustomAppName. */
  appName: string;
  /** The account's email, else username, else phone. */
  identifier: string;
  /** (ext) The app's `Message`, shown with a request whose push the app did not see (one pulled, 2.8). */
  message: string;
}

/** `GET /identity/v2/auth/push/vapid-public-key` (contract 2.7): the deployment's VAPID key, base64url uncompressed point. */
export interface VapidPublicKey {
  PublicKey: string;
}

/** What an admin may do from the console, as the console session answers it (`Permissions`). */
export type AdminAction =
  | "read"
  | "audit.export"
  | "user.create"
  | "device.remove"
  | "devices.reset"
  | "user.unlock"
  | "backupcodes.issue"
  | "push.test"
  | "deadletter.retry"
  | "settings.change";

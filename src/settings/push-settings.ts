import { z } from "zod";
import { literalHostIsInternal } from "../outbound/outbound-guard.js";
import { checkApnsCertificate, checkApnsKey, parseServiceAccount } from "./native-credentials.js";

/** The push settings object of contract 1.5, validated as the console and L10 receive it. */

export const MASK = "****";

/** The notification text of a new app (contract 1.5 `Message`): what the phone shows under the app's name. */
export const DEFAULT_MESSAGE = "Please approve the sign-in request";

const httpsUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048);
const arn = z
  .string()
  .max(512)
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:app\/(GCM|APNS|APNS_SANDBOX)\/[\w.-]+$/, "must be an SNS platform application ARN");

const optionalUrl = z.union([httpsUrl, z.literal("")]).optional();
const platformArn = z.union([arn, z.literal("")]).optional();
/** Empty, or what `pattern` says. */
const emptyOr = (pattern: RegExp, message: string, max: number) => z.union([z.string().max(max).regex(pattern, message), z.literal("")]);

// Apple: letters, digits, hyphens and periods, in reverse-DNS form (so a placeholder such as "bundle-id" is refused).
const bundleId = emptyOr(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, "must be the app's bundle identifier, like com.acme.authenticator", 155);
// Apple's key and team identifiers are ten letters or digits.
const appleId = (what: string) => emptyOr(/^[A-Z0-9]{10}$/, `must be the 10-character ${what} from the Apple Developer account`, 10);

/** A secret that is the text of a file (its size bounded well above any real one). */
const fileText = (max: number) => z.string().max(max, `is larger than ${max} characters: not the expected file`);

const android = z
  .object({
    Enabled: z.boolean(),
    PlatformARN: platformArn,
    PlaystoreUrl: optionalUrl,
    ServiceJson: fileText(16_384),
  })
  .strict();

const ios = z
  .object({
    Enabled: z.boolean(),
    PlatformARN: platformArn,
    AppstoreUrl: optionalUrl,
    BundleId: bundleId,
    Environment: z.enum(["Production", "Sandbox"]),
    // Kept without line breaks, whichever way it was wrapped: the bytes of the .p12, as the APNs client takes them.
    ApnsCertificate: fileText(65_536).transform((v) => v.replace(/\s+/g, "")),
    ApnsCertificatePassword: z.string().max(256),
    ApnsKey: fileText(4096),
    ApnsKeyId: appleId("Key ID"),
    ApnsTeamId: appleId("Team ID"),
  })
  .strict();

/** How the host of a URL a tenant gives is judged when the settings are saved. */
export interface SettingsRules {
  /** ALLOW_PRIVATE_WEBHOOKS: loopback and private hosts (and plain http for the token URL) are accepted. */
  allowPrivateHosts: boolean;
}

/**
 * The schema of contract 1.5, validated as a whole: every field on its own, then what fields say together (the
 * chosen service complete once push is on; Native credentials that open, with what they need beside them).
 */
export function createPushSettingsSchema(rules: SettingsRules) {
  return z
    .object({
      IsEnabled: z.boolean(),
      CustomAppName: z.string().trim().min(1, "is required").max(64),
      Message: z.string().trim().min(1, "is required").max(200),
      QRCodeWidth: z.number().int().min(100).max(1000),
      NotificationService: z.enum(["AWS", "Native"]),
      AWSsettings: z
        .object({
          AccessKeyId: z.string().max(128).regex(/^[A-Z0-9]*$/, "must be an AWS access key id"),
          SecretAccessKey: z.string().max(256),
          Region: z.union([z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like us-east-1"), z.literal("")]),
        })
        .strict(),
      NativeSettings: z
        .object({
          WebhookUrl: z.union([httpsUrl, z.literal("")]),
          SigningSecret: z.string().max(256),
        })
        .strict(),
      AndroidSettings: android,
      IOSsettings: ios,
      ChallengeTtlSeconds: z.number().int().min(30).max(900),
      NumberMatching: z.enum(["Off", "PickOne", "Typed"]),
    })
    .strict()
    .superRefine((s, ctx) => {
      const need = (ok: boolean, path: string[], message: string) => {
        if (!ok) ctx.addIssue({ code: "custom", path, message });
      };
      checkNativeCredentials(s, rules, need);
      const webhook = s.NativeSettings.WebhookUrl;
      // The literal host only (no DNS here): what a name resolves to is checked when a push connects.
      if (webhook && !rules.allowPrivateHosts && literalHostIsInternal(webhook)) {
        need(false, ["NativeSettings", "WebhookUrl"], "must not point at a private or loopback address");
      }
      // A webhook is only used with its secret (contract 2.2).
      if (s.IsEnabled && webhook) need(s.NativeSettings.SigningSecret.length >= 16, ["NativeSettings", "SigningSecret"], "must be at least 16 characters");
      // Only the chosen service has to be complete, and only once push is switched on. Native may be FCM and
      // APNs only, webhook only, or both: a platform left without any is warned about, not refused (contract 1.5).
      if (!s.IsEnabled || s.NotificationService !== "AWS") return;
      need(s.AWSsettings.AccessKeyId !== "", ["AWSsettings", "AccessKeyId"], "is required for AWS SNS");
      need(s.AWSsettings.SecretAccessKey !== "", ["AWSsettings", "SecretAccessKey"], "is required for AWS SNS");
      need(s.AWSsettings.Region !== "", ["AWSsettings", "Region"], "is required for AWS SNS");
      if (s.AndroidSettings.Enabled) need(!!s.AndroidSettings.PlatformARN, ["AndroidSettings", "PlatformARN"], "is required for Android with AWS SNS");
      if (s.IOSsettings.Enabled) need(!!s.IOSsettings.PlatformARN, ["IOSsettings", "PlatformARN"], "is required for iOS with AWS SNS");
    });
}

type Need = (ok: boolean, path: string[], message: string) => void;

/**
 * Stored credentials must work whichever service is chosen now (switching to Native later must not find a
 * broken file): the service account parses and its token URL may be reached; the APNs key or certificate opens
 * and has the identifiers APNs needs beside it.
 */
function checkNativeCredentials(s: Pick<PushSettings, "AndroidSettings" | "IOSsettings">, rules: SettingsRules, need: Need): void {
  const { ServiceJson } = s.AndroidSettings;
  if (ServiceJson) {
    const account = parseServiceAccount(ServiceJson);
    if (!account.ok) need(false, ["AndroidSettings", "ServiceJson"], account.problem);
    else {
      // The token URL is the tenant's: the SSRF rule of contract 2.3, and TLS for the signed assertion it receives.
      const tokenUri = new URL(account.value.token_uri);
      if (!rules.allowPrivateHosts && tokenUri.protocol !== "https:") need(false, ["AndroidSettings", "ServiceJson"], 'has a "token_uri" that is not https');
      if (!rules.allowPrivateHosts && literalHostIsInternal(tokenUri)) {
        need(false, ["AndroidSettings", "ServiceJson"], 'has a "token_uri" on a private or loopback address');
      }
    }
  }
  const i = s.IOSsettings;
  const path = (field: string) => ["IOSsettings", field];
  if (i.ApnsKey) {
    const key = checkApnsKey(i.ApnsKey);
    if (!key.ok) need(false, path("ApnsKey"), key.problem);
    need(i.ApnsKeyId !== "", path("ApnsKeyId"), "is required with an APNs key (ApnsKey)");
    need(i.ApnsTeamId !== "", path("ApnsTeamId"), "is required with an APNs key (ApnsKey)");
  }
  if (i.ApnsCertificate) {
    const cert = checkApnsCertificate(i.ApnsCertificate, i.ApnsCertificatePassword);
    if (!cert.ok) need(false, path("ApnsCertificate"), cert.problem);
  }
  // The APNs topic: no push goes to Apple without it.
  if (i.ApnsKey || i.ApnsCertificate) need(i.BundleId !== "", path("BundleId"), "is required with APNs credentials (ApnsKey or ApnsCertificate)");
}

export type PushSettings = z.infer<ReturnType<typeof createPushSettingsSchema>>;

export const defaultPushSettings = (appName: string): PushSettings => ({
  IsEnabled: false,
  CustomAppName: appName,
  Message: DEFAULT_MESSAGE,
  QRCodeWidth: 200,
  NotificationService: "Native",
  AWSsettings: { AccessKeyId: "", SecretAccessKey: "", Region: "" },
  NativeSettings: { WebhookUrl: "", SigningSecret: "" },
  AndroidSettings: { Enabled: true, PlatformARN: "", PlaystoreUrl: "", ServiceJson: "" },
  IOSsettings: {
    Enabled: true,
    PlatformARN: "",
    AppstoreUrl: "",
    BundleId: "",
    Environment: "Production",
    ApnsCertificate: "",
    ApnsCertificatePassword: "",
    ApnsKey: "",
    ApnsKeyId: "",
    ApnsTeamId: "",
  },
  ChallengeTtlSeconds: 120,
  NumberMatching: "Off",
});

/**
 * Stored settings with what they lack filled from a new app's: settings saved before a field existed read as if
 * it had its default (a Message, a QR width, credentials not set).
 */
export function withDefaults(stored: Partial<PushSettings>, appName: string): PushSettings {
  const d = defaultPushSettings(appName);
  return {
    ...d,
    ...stored,
    AWSsettings: { ...d.AWSsettings, ...stored.AWSsettings },
    NativeSettings: { ...d.NativeSettings, ...stored.NativeSettings },
    AndroidSettings: { ...d.AndroidSettings, ...stored.AndroidSettings },
    IOSsettings: { ...d.IOSsettings, ...stored.IOSsettings },
  };
}

type Group = "AWSsettings" | "NativeSettings" | "AndroidSettings" | "IOSsettings";

/**
 * Every secret of the settings (contract 1.5): stored sealed, read back masked. `context` binds each sealed value
 * to its place (a value moved to another field or app does not open); "aws" and "native" are what earlier
 * versions sealed with, kept so stored settings still open.
 */
export const SECRET_FIELDS = [
  { group: "AWSsettings", field: "SecretAccessKey", context: "aws" },
  { group: "NativeSettings", field: "SigningSecret", context: "native" },
  { group: "AndroidSettings", field: "ServiceJson", context: "fcm-service-json" },
  { group: "IOSsettings", field: "ApnsCertificate", context: "apns-certificate" },
  { group: "IOSsettings", field: "ApnsCertificatePassword", context: "apns-certificate-password" },
  { group: "IOSsettings", field: "ApnsKey", context: "apns-key" },
] as const satisfies ReadonlyArray<{ group: Group; field: string; context: string }>;

export type SecretField = (typeof SECRET_FIELDS)[number];

/** A copy of `s` with each secret replaced by `map(value, secret)` (sealing, opening, masking). */
export function mapSecrets(s: PushSettings, map: (value: string, secret: SecretField) => string): PushSettings {
  const out: PushSettings = {
    ...s,
    AWSsettings: { ...s.AWSsettings },
    NativeSettings: { ...s.NativeSettings },
    AndroidSettings: { ...s.AndroidSettings },
    IOSsettings: { ...s.IOSsettings },
  };
  for (const secret of SECRET_FIELDS) {
    const group = out[secret.group] as Record<string, unknown>;
    const value = group[secret.field];
    if (typeof value === "string") group[secret.field] = map(value, secret);
  }
  return out;
}

/** The settings as they are read back: secrets replaced by the mask (empty stays empty, so "not set" shows). */
export function maskSettings(s: PushSettings): PushSettings {
  return mapSecrets(s, (v) => (v ? MASK : ""));
}

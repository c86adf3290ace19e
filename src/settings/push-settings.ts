import { z } from "zod";

/** The push settings object of contract 1.5, validated as the console and L10 receive it. */

export const MASK = "****";

const httpsUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048);
const arn = z
  .string()
  .max(512)
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:app\/(GCM|APNS|APNS_SANDBOX)\/[\w.-]+$/, "must be an SNS platform application ARN");

const optionalUrl = z.union([httpsUrl, z.literal("")]).optional();
const platformArn = z.union([arn, z.literal("")]).optional();
const android = z.object({ Enabled: z.boolean(), PlatformARN: platformArn, PlaystoreUrl: optionalUrl }).strict();
const ios = z.object({ Enabled: z.boolean(), PlatformARN: platformArn, AppstoreUrl: optionalUrl }).strict();

export const pushSettingsSchema = z
  .object({
    IsEnabled: z.boolean(),
    CustomAppName: z.string().trim().min(1, "is required").max(64),
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
    // Only the chosen service has to be complete, and only once push is switched on.
    if (!s.IsEnabled) return;
    const need = (ok: boolean, path: string[], message: string) => {
      if (!ok) ctx.addIssue({ code: "custom", path, message });
    };
    if (s.NotificationService === "AWS") {
      need(s.AWSsettings.AccessKeyId !== "", ["AWSsettings", "AccessKeyId"], "is required for AWS SNS");
      need(s.AWSsettings.SecretAccessKey !== "", ["AWSsettings", "SecretAccessKey"], "is required for AWS SNS");
      need(s.AWSsettings.Region !== "", ["AWSsettings", "Region"], "is required for AWS SNS");
      if (s.AndroidSettings.Enabled) need(!!s.AndroidSettings.PlatformARN, ["AndroidSettings", "PlatformARN"], "is required for Android with AWS SNS");
      if (s.IOSsettings.Enabled) need(!!s.IOSsettings.PlatformARN, ["IOSsettings", "PlatformARN"], "is required for iOS with AWS SNS");
    } else {
      need(s.NativeSettings.WebhookUrl !== "", ["NativeSettings", "WebhookUrl"], "is required for the Native service");
      need(s.NativeSettings.SigningSecret.length >= 16, ["NativeSettings", "SigningSecret"], "must be at least 16 characters");
    }
  });

export type PushSettings = z.infer<typeof pushSettingsSchema>;

export const defaultPushSettings = (appName: string): PushSettings => ({
  IsEnabled: false,
  CustomAppName: appName,
  NotificationService: "Native",
  AWSsettings: { AccessKeyId: "", SecretAccessKey: "", Region: "" },
  NativeSettings: { WebhookUrl: "", SigningSecret: "" },
  AndroidSettings: { Enabled: true, PlatformARN: "", PlaystoreUrl: "" },
  IOSsettings: { Enabled: true, PlatformARN: "", AppstoreUrl: "" },
  ChallengeTtlSeconds: 120,
  NumberMatching: "Off",
});

/** The settings as they are read back: secrets replaced by the mask (empty stays empty, so "not set" shows). */
export function maskSettings(s: PushSettings): PushSettings {
  const mask = (v: string) => (v ? MASK : "");
  return {
    ...s,
    AWSsettings: { ...s.AWSsettings, SecretAccessKey: mask(s.AWSsettings.SecretAccessKey) },
    NativeSettings: { ...s.NativeSettings, SigningSecret: mask(s.NativeSettings.SigningSecret) },
  };
}

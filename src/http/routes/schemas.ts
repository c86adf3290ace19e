import { z } from "zod";

/** Request bodies of the LoginRadius-compatible endpoints, bounded so hostile input costs little. */

const text = (max: number) => z.string().trim().min(1, "is required").max(max);

export const newAccountBody = z.object({
  Email: z
    .array(z.object({ Type: z.string().max(32).default("Primary"), Value: z.email().max(254) }))
    .min(1, "needs a Primary email")
    .max(5),
  Password: z.string().min(8, "must be at least 8 characters").max(256),
  UserName: text(100).optional(),
  PhoneId: z.string().regex(/^\+?[0-9 ()-]{6,24}$/, "must be a phone number").optional(),
  FirstName: text(100).optional(),
});

export const firstFactorBody = z
  .object({
    email: z.string().max(254).optional(),
    username: z.string().max(100).optional(),
    phone: z.string().max(32).optional(),
    password: z.string().min(1, "is required").max(256),
  })
  .refine((b) => [b.email, b.username, b.phone].filter((v) => v !== undefined && v !== "").length === 1, {
    message: "give exactly one of email, username or phone",
    path: ["email"],
  });

export const answerBody = z.object({
  verify: z.enum(["Yes", "No"]),
  signature: z.string().regex(/^[0-9a-fA-F]+$/, "must be hex").max(2048),
  number: z.string().regex(/^\d{1,8}$/, "must be digits").optional(),
  reason: z.enum(["fraud"]).optional(),
});

export const deviceBody = z.object({
  deviceName: text(100),
  /** `web` (ext, contract 2.7): the authenticator app; its token is a push subscription's JSON or "none". */
  deviceType: z.enum(["android", "ios", "web"]),
  publicKey: z.string().regex(/^[0-9a-fA-F]+$/, "must be hex").max(4096),
  deviceToken: text(4096),
});

/** L16: the backup code as typed (its dash, spaces and case do not matter); long enough for any paste, no more. */
export const backupCodeBody = z.object({
  backupcode: z.string().trim().min(1, "is required").max(64),
});

/** Text a phone shows: no control characters (a line break or an escape could make one string look like two). */
const shown = (max: number) => z.string().max(max, `must be at most ${max} characters`).regex(/^[^\p{Cc}]*$/u, "must not hold control characters");

/**
 * The most a 2.12 context may weigh as JSON text (UTF-8): with the message (120 characters, at most 360 bytes) and
 * the rest of the push data it keeps a push well inside the providers' 4 KB (FCM data, APNs payload, Web Push
 * record), whatever the script of its text.
 */
export const OWN_CONTEXT_MAX_BYTES = 1024;

/** Contract 2.12: a backend's own push challenge. One of Uid or Email; Message ≤ 120; Context ≤ 10 keys of ≤ 60-char strings. */
export const ownChallengeBody = z
  .object({
    Uid: z.string().regex(/^[0-9a-fA-F]{32}$/, "must be a Uid").optional(),
    Email: z.email().max(254).optional(),
    Message: shown(120).optional(),
    Context: z
      .record(shown(40).min(1, "keys must not be empty"), shown(60))
      .refine((o) => Object.keys(o).length <= 10, "must have at most 10 keys")
      .refine((o) => Buffer.byteLength(JSON.stringify(o), "utf8") <= OWN_CONTEXT_MAX_BYTES, `must be at most ${OWN_CONTEXT_MAX_BYTES} bytes as JSON`)
      .optional(),
  })
  .refine((b) => (b.Uid === undefined) !== (b.Email === undefined), { message: "give exactly one of Uid or Email", path: ["Uid"] });

/** Contract 2.12's validate. */
export const validationBody = z.object({ SecondFactorValidationToken: z.string().min(1, "is required").max(64) });

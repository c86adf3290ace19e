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
  deviceType: z.enum(["android", "ios"]),
  publicKey: z.string().regex(/^[0-9a-fA-F]+$/, "must be hex").max(4096),
  deviceToken: text(4096),
});

/** A named admin's first factor at the console (contract 2.14): their email and password. */
export const consoleSignInBody = z.object({
  Email: z.email().max(254),
  Password: z.string().min(1, "is required").max(256),
});

/** The access token an approved console sign-in gave the page, exchanged once for the session cookie. */
export const consoleSessionBody = z.object({
  AccessToken: z.string().max(64),
});

/** L16: the backup code as typed (its dash, spaces and case do not matter); long enough for any paste, no more. */
export const backupCodeBody = z.object({
  backupcode: z.string().trim().min(1, "is required").max(64),
});

import { hashToken } from "../crypto/tokens.js";

/** What a user signs in with (L2's `email`, `username` or `phone`). */
export type IdentifierKind = "email" | "username" | "phone";

// Ends trimmed: every Unicode space JavaScript's \s knows (U+3000, U+00A0, U+FEFF…) plus the zero-width
// characters it does not, which a pasted identifier carries as easily.
const EDGE_SPACE = /^[\s\u200b-\u200d\u2060]+|[\s\u200b-\u200d\u2060]+$/gu;
// Phone numbers are written with spaces, dashes of any kind (and the minus sign) and parentheses: none is a digit.
const PHONE_FILLER = /[\s\u200b-\u200d\u2060\p{Pd}\u2212()]/gu;

/**
 * The one form of an identifier that accounts are stored, looked up, rate-limited and locked out under, so that
 * `" A@B.C"`, `"\u3000a@b.c"` or full-width `"ａ@ｂ.ｃ"` are the same account and share its limits: NFKC (full-width
 * and other compatibility forms become plain ones), lower case, the ends trimmed of Unicode space; phone numbers
 * also lose their spaces, dashes and parentheses. Idempotent.
 */
export function normalizeIdentifier(kind: IdentifierKind, value: string): string {
  // NFKC again after lower-casing: a few lower-case mappings leave a form NFKC would change.
  const folded = value.normalize("NFKC").toLowerCase().normalize("NFKC");
  return kind === "phone" ? folded.replace(PHONE_FILLER, "") : folded.replace(EDGE_SPACE, "");
}

/**
 * An opaque reference to one identifier of one app, for rate-limit and lockout keys: a hash, so keys neither
 * carry what a stranger typed nor grow with it. `value` must already be normalized.
 */
export const identifierRef = (appId: string, kind: IdentifierKind, value: string): string =>
  hashToken(`${appId}|${kind}|${value}`);

/**
 * An opaque reference to one account of one app, for the login budget it spends whatever identifier it signs in
 * with (so its email, username and phone together push no more than one of them).
 */
export const accountRef = (appId: string, uid: string): string => hashToken(`${appId}|uid|${uid}`);

/** Every identifier an account can sign in with, from its profile. */
export function identifiersOf(profile: { Email: Array<{ Value: string }>; UserName: string | null; PhoneId: string | null }): Array<[IdentifierKind, string]> {
  const out: Array<[IdentifierKind, string]> = profile.Email.map((e) => ["email", e.Value]);
  if (profile.UserName) out.push(["username", profile.UserName]);
  if (profile.PhoneId) out.push(["phone", profile.PhoneId]);
  return out;
}

/** How the phone names the account (the push data's `identifier`, L6's answer): its email, else username, else phone. */
export const displayIdentifierOf = (profile: { Email: Array<{ Value: string }>; UserName: string | null; PhoneId: string | null }): string =>
  profile.Email[0]?.Value ?? profile.UserName ?? profile.PhoneId ?? "";

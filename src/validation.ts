import { z } from "zod";
import type { FieldError } from "./errors.js";

/**
 * Validation messages in plain words, in one place. zod's own messages ("Too small: expected number to be >=30")
 * are replaced, for every schema of the process, by the rule said as the end of a sentence ("must be at least 30");
 * a schema's own message ("must be hex") is kept as written. `fieldErrorsOf` then puts the field's name in front:
 * "ChallengeTtlSeconds must be at least 30 seconds." Request bodies (965), query parameters (908), the push
 * settings and the environment (config.ts) all say their problems this way.
 */

type Issue = z.core.$ZodRawIssue;

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  null: "null",
  bigint: "a number",
  date: "a date",
};

const FORMAT_WORDS: Record<string, string> = {
  email: "an email address",
  url: "a URL",
  uuid: "a GUID",
  guid: "a GUID",
  datetime: "an ISO-8601 date and time",
  date: "an ISO-8601 date",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
  base64: "base64 text",
  base64url: "base64url text",
};

const quoted = (v: unknown) => (typeof v === "string" ? `"${v}"` : String(v));

/** The rule an issue breaks, as the end of a sentence whose subject is the field. */
function ruleOf(iss: Issue): string | undefined {
  switch (iss.code) {
    case "invalid_type":
      return iss.input === undefined ? "is required" : `must be ${TYPE_WORDS[iss.expected] ?? iss.expected}`;
    case "too_small": {
      const min = String(iss.minimum);
      if (iss.origin === "string") return iss.minimum === 1 ? "is required" : `must be at least ${min} characters`;
      if (iss.origin === "array" || iss.origin === "set") return `needs at least ${min} ${iss.minimum === 1 ? "item" : "items"}`;
      return iss.inclusive === false ? `must be more than ${min}` : `must be at least ${min}`;
    }
    case "too_big": {
      const max = String(iss.maximum);
      if (iss.origin === "string") return `must be at most ${max} characters`;
      if (iss.origin === "array" || iss.origin === "set") return `must have at most ${max} items`;
      return iss.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case "invalid_format":
      return iss.format === "regex" ? "is not in the expected format" : `must be ${FORMAT_WORDS[iss.format] ?? `in ${iss.format} format`}`;
    case "invalid_value":
      return iss.values.length === 1 ? `must be ${quoted(iss.values[0])}` : `must be one of ${iss.values.map(quoted).join(", ")}`;
    case "unrecognized_keys":
      return `has ${iss.keys.length === 1 ? "a field" : "fields"} this endpoint does not know: ${iss.keys.join(", ")}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(iss.divisor)}`;
    case "invalid_union":
      return "is not in any accepted form";
    default:
      return undefined;
  }
}

z.config({ customError: (iss) => ruleOf(iss) });

/** The unit a field's name says it is counted in (ChallengeTtlSeconds, RESEND_MIN_INTERVAL_SECONDS, PUSH_BACKOFF_MS). */
function unitOf(field: string): string {
  if (/seconds$/i.test(field)) return " seconds";
  if (/(^|_)ms$|Ms$/.test(field)) return " ms";
  return "";
}

/** One sentence for one problem: the field, then the rule ("Password must be at least 8 characters."). */
export function sentenceOf(field: string, message: string): string {
  const rule = /^(must be|needs|must have) (at least|at most|more than|less than) \d+$/.test(message) ? `${message}${unitOf(field)}` : message;
  // A message written as a whole sentence (capitalised) is kept; a rule gets its subject.
  const text = /^[A-Z]/.test(rule) ? rule : `${field === "body" ? "The body" : field} ${rule}`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A field's name as the client sent it: "Email.0.Value", or "body" for the body as a whole. */
const fieldNameOf = (path: readonly PropertyKey[]) => path.map(String).join(".") || "body";

/** The contract's `Errors` list for a failed parse: each field with its problem said in a sentence. */
export function fieldErrorsOf(error: z.ZodError, max = 20): FieldError[] {
  return error.issues.slice(0, max).map((i) => {
    const field = fieldNameOf(i.path);
    return { FieldName: field, ErrorMessage: sentenceOf(field, i.message) };
  });
}

/** The errors as one description: "Password must be at least 8 characters. email is required." */
export const describeFieldErrors = (fields: FieldError[]): string => fields.map((f) => f.ErrorMessage).join(" ");

/**
 * What FCM HTTP v1 checks in a `messages:send` body before it looks at the token, with the texts its JSON parser
 * and validator answer (google.rpc.BadRequest field violations). Used by the FCM stand-in (fake-fcm.ts).
 */

export interface FcmMessage {
  token?: string;
  topic?: string;
  condition?: string;
  data?: Record<string, string>;
  notification?: { title?: string; body?: string; image?: string };
  android?: { priority?: "NORMAL" | "HIGH"; ttl?: string; collapse_key?: string };
  [field: string]: unknown;
}

export type FcmCheck =
  | { ok: true; body: { message: FcmMessage } }
  /** `fcmError`: FCM adds its FcmError INVALID_ARGUMENT detail (validation), not only the parser's BadRequest. */
  | { ok: false; message: string; field?: string; fcmError: boolean };

/** FCM's limit on an Android message's data and notification payload. */
export const FCM_DATA_LIMIT_BYTES = 4096;
/** A TTL longer than four weeks is refused. */
const MAX_TTL_SECONDS = 28 * 24 * 3600;

const TOP_FIELDS = new Set(["message", "validate_only", "validateOnly"]);
const MESSAGE_FIELDS = new Set(["name", "data", "notification", "android", "webpush", "apns", "fcm_options", "fcmOptions", "token", "topic", "condition"]);
const NOTIFICATION_FIELDS = new Set(["title", "body", "image"]);
const ANDROID_FIELDS = new Set([
  "collapse_key", "collapseKey", "priority", "ttl", "restricted_package_name", "restrictedPackageName", "data", "notification",
  "fcm_options", "fcmOptions", "direct_boot_ok", "directBootOk",
]);
/** Protobuf's JSON form of a Duration: seconds with up to nine fractional digits and an "s". */
const DURATION = /^\d+(\.\d{1,9})?s$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const unknownName = (name: string, at?: string): FcmCheck => ({
  ok: false,
  message: `Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ""}: Cannot find field.`,
  fcmError: false,
});

const invalidValue = (field: string, type: string, value: unknown): FcmCheck => ({
  ok: false,
  message: `Invalid value at '${field}' (${type}), ${JSON.stringify(value)}`,
  field,
  fcmError: false,
});

const invalid = (message: string, field?: string): FcmCheck => ({ ok: false, message, ...(field && { field }), fcmError: true });

function unknownField(o: Record<string, unknown>, known: Set<string>, at: string): FcmCheck | undefined {
  const extra = Object.keys(o).find((k) => !known.has(k));
  return extra === undefined ? undefined : unknownName(extra, at);
}

function checkData(data: unknown): FcmCheck | undefined {
  if (!isObject(data)) return invalidValue("message.data", "type.googleapis.com/google.protobuf.Map", data);
  const entries = Object.entries(data);
  for (const [i, [, value]] of entries.entries()) {
    if (typeof value !== "string") return invalidValue(`message.data[${i}].value`, "TYPE_STRING", value);
  }
  // Keys the platform reserves for itself.
  const reserved = entries.find(([k]) => k === "from" || k === "notification" || k === "message_type" || /^(google|gcm)/i.test(k));
  return reserved ? invalid(`Invalid data payload key: ${reserved[0]}`, "message.data") : undefined;
}

function checkNotification(n: unknown): FcmCheck | undefined {
  if (!isObject(n)) return invalidValue("message.notification", "type.googleapis.com/google.firebase.fcm.v1.Notification", n);
  const extra = unknownField(n, NOTIFICATION_FIELDS, "message.notification");
  if (extra) return extra;
  const bad = Object.entries(n).find(([, v]) => typeof v !== "string");
  return bad ? invalidValue(`message.notification.${bad[0]}`, "TYPE_STRING", bad[1]) : undefined;
}

function checkAndroid(a: unknown): FcmCheck | undefined {
  if (!isObject(a)) return invalidValue("message.android", "type.googleapis.com/google.firebase.fcm.v1.AndroidConfig", a);
  const extra = unknownField(a, ANDROID_FIELDS, "message.android");
  if (extra) return extra;
  if (a.priority !== undefined && a.priority !== "NORMAL" && a.priority !== "HIGH") {
    return invalidValue("message.android.priority", "type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority", a.priority);
  }
  if (a.ttl !== undefined) {
    if (typeof a.ttl !== "string" || !DURATION.test(a.ttl)) return invalidValue("message.android.ttl", "type.googleapis.com/google.protobuf.Duration", a.ttl);
    if (Number.parseFloat(a.ttl) > MAX_TTL_SECONDS) return invalid("TTL must be no longer than 4 weeks", "message.android.ttl");
  }
  return undefined;
}

/** FCM's verdict on a request body, short of the token (which needs the registry). */
export function validateFcmRequest(raw: string): FcmCheck {
  let top: unknown;
  try {
    top = JSON.parse(raw);
  } catch {
    return { ok: false, message: "Invalid JSON payload received. Unexpected token.", fcmError: false };
  }
  if (!isObject(top)) return { ok: false, message: "Invalid JSON payload received. Expected an object.", fcmError: false };
  const extraTop = unknownField(top, TOP_FIELDS, "");
  if (extraTop) return extraTop;
  const message = top.message;
  if (!isObject(message)) return invalid("Request contains an invalid argument.", "message");
  const extra = unknownField(message, MESSAGE_FIELDS, "message");
  if (extra) return extra;
  const targets = ["token", "topic", "condition"].filter((k) => message[k] !== undefined);
  if (targets.length !== 1) return invalid("Exactly one of message.token, message.topic or message.condition must be set.", "message");
  if (message.token !== undefined && typeof message.token !== "string") return invalidValue("message.token", "TYPE_STRING", message.token);
  const fault =
    (message.data !== undefined ? checkData(message.data) : undefined) ??
    (message.notification !== undefined ? checkNotification(message.notification) : undefined) ??
    (message.android !== undefined ? checkAndroid(message.android) : undefined);
  if (fault) return fault;
  const payload = Buffer.byteLength(JSON.stringify({ data: message.data ?? {}, notification: message.notification ?? {} }));
  if (payload > FCM_DATA_LIMIT_BYTES) return invalid("Android message is too big", "message");
  return { ok: true, body: { message: message as FcmMessage } };
}

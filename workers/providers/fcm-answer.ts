import { ConfigDeliveryError, PermanentDeliveryError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import { parseRetryAfter } from "../../src/delivery/retry-after.js";

/** The parts of FCM's error body (google.rpc.Status) that classification reads. */
interface FcmErrorBody {
  status: string;
  /** FcmError.errorCode: UNREGISTERED, INVALID_ARGUMENT, SENDER_ID_MISMATCH, QUOTA_EXCEEDED, UNAVAILABLE... */
  errorCode: string;
  /** Fields a google.rpc.BadRequest detail names ("message.token"). */
  fields: string[];
  message: string;
}

const FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
const BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest";
/** Names as Google spells them; anything else in a body is not repeated in our messages. */
const NAME = /^[A-Za-z0-9_.[\]]{1,80}$/;

const named = (v: unknown): string => (typeof v === "string" && NAME.test(v) ? v : "");

function parseError(body: string): FcmErrorBody {
  let error: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    const e = typeof parsed === "object" && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
    if (typeof e === "object" && e !== null) error = e as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page): classified by status alone.
  }
  const details = Array.isArray(error.details) ? (error.details as Array<Record<string, unknown>>) : [];
  const fcm = details.find((d) => d?.["@type"] === FCM_ERROR_TYPE);
  const fields = details
    .filter((d) => d?.["@type"] === BAD_REQUEST_TYPE && Array.isArray(d.fieldViolations))
    .flatMap((d) => (d.fieldViolations as Array<{ field?: unknown }>).map((v) => named(v?.field)))
    .filter(Boolean);
  return {
    status: named(error.status),
    errorCode: named(fcm?.errorCode),
    fields,
    message: typeof error.message === "string" ? error.message : "",
  };
}

/** A 400 that says the registration token itself is bad (not our message, not the credentials). */
const aboutTheToken = (e: FcmErrorBody) => e.fields.includes("message.token") || /registration token/i.test(e.message);

/**
 * What an FCM HTTP v1 answer other than 200 means (contract 2.5), as a delivery error. The message carries
 * FCM's status, error code and field names only: FCM's free text may quote the request's values (the device
 * handle among them).
 *
 * | answer                                                        | error     | why                                  |
 * |---------------------------------------------------------------|-----------|--------------------------------------|
 * | 404 UNREGISTERED; 400 INVALID_ARGUMENT about `message.token`  | permanent | this device's token is dead or wrong |
 * | 403 SENDER_ID_MISMATCH                                        | permanent | the token belongs to another Firebase project: one device's fault (an enrolled user could otherwise switch the whole app's push off) |
 * | 401, other 403 (PERMISSION_DENIED), 404 without UNREGISTERED  | config    | the service account or project_id is wrong (1298) |
 * | 429, 5xx (Retry-After honoured)                               | transient | FCM is throttling or down            |
 * | another 400 / 4xx                                             | transient | FCM refused our message (too big...): not the device's nor the settings' fault; retried in the challenge's life, then a dead letter with FCM's reason |
 */
export function fcmFailure(status: number, body: string, retryAfter: string | undefined, now: number): Error {
  const e = parseError(body);
  const what = `FCM answered ${status}${e.status ? ` ${e.status}` : ""}${e.errorCode && e.errorCode !== e.status ? ` (${e.errorCode})` : ""}`;
  if (status === 404 && e.errorCode === "UNREGISTERED") return new PermanentDeliveryError(`${what}: the device's token is no longer registered`);
  if (status === 400 && aboutTheToken(e)) return new PermanentDeliveryError(`${what}: the device's token is not a valid FCM token`);
  if (status === 403 && e.errorCode === "SENDER_ID_MISMATCH") {
    return new PermanentDeliveryError(`${what}: the device's token belongs to another Firebase project`);
  }
  if (status === 401 || status === 403 || status === 404) {
    return new ConfigDeliveryError(`${what}: FCM refused the app's service account or project; check ServiceJson`);
  }
  if (status === 429 || status >= 500) return new TransientDeliveryError(what, { retryAfterMs: parseRetryAfter(retryAfter, now) });
  const fields = e.fields.length ? ` [${e.fields.join(", ")}]` : "";
  return new TransientDeliveryError(`${what}${fields}: FCM refused the message`);
}

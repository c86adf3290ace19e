import { invalidParameter, invalidParameterValue } from "./sns-error.js";

/**
 * What SNS checks in a Publish to a mobile endpoint beyond its parameters being there: message attributes (types
 * and values), the 256 KB message limit, and the 4 KB payload limit of APNs and FCM. Each failure is the error
 * SNS answers (InvalidParameter, or ParameterValueInvalid for attribute values).
 */

/** SNS's limit on one message: its body plus every attribute's name, type and value. */
export const MAX_MESSAGE_BYTES = 262_144;
/** At most this many message attributes per message. */
const MAX_ATTRIBUTES = 10;
/** APNs and FCM refuse a notification payload over 4 KB; SNS refuses to publish one. */
const PLATFORM_PAYLOAD_BYTES: Readonly<Record<string, number>> = { APNS: 4096, APNS_SANDBOX: 4096, GCM: 4096 };
/** Numbers SNS takes: -10^9 to 10^9, up to five decimals. */
const NUMBER = /^-?\d{1,10}(\.\d{1,5})?$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_-](?:[A-Za-z0-9_.-]{0,254}[A-Za-z0-9_-])?$/;

export interface MessageAttribute {
  dataType: string;
  /** StringValue, or BinaryValue as sent (base64) for Binary types. */
  value: string;
  /** What it counts towards the message size. */
  bytes: number;
}

function checkValue(name: string, dataType: string, stringValue: string | undefined, binaryValue: string | undefined): Buffer | string {
  const bad = (why: string) => invalidParameterValue(`The message attribute '${name}' ${why}`);
  const base = dataType === "String.Array" || dataType.startsWith("String.Array.") ? "String.Array" : dataType.split(".")[0];
  if (dataType.length > 256 || !["String", "Number", "Binary", "String.Array"].includes(base ?? "")) {
    throw bad("has an invalid message attribute type, the set of supported type prefixes is Binary, Number, String and String.Array.");
  }
  if (base === "Binary") {
    if (stringValue !== undefined) throw bad("with type 'Binary' must use field 'Binary'.");
    const bytes = Buffer.from(binaryValue ?? "", "base64");
    if (!binaryValue || bytes.toString("base64") !== binaryValue) throw bad("must contain non-empty message attribute value for message attribute type 'Binary'.");
    return bytes;
  }
  if (binaryValue !== undefined) throw bad(`with type '${base}' must use field 'String'.`);
  if (!stringValue) throw bad(`must contain non-empty message attribute value for message attribute type '${base}'.`);
  if (base === "Number" && !(NUMBER.test(stringValue) && Math.abs(Number(stringValue)) <= 1e9)) {
    throw bad("has an invalid numeric value: a Number is from -10^9 to 10^9 with at most 5 decimals.");
  }
  if (base === "String.Array") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(stringValue);
    } catch {
      parsed = undefined;
    }
    const element = (v: unknown) => v === null || ["string", "number", "boolean"].includes(typeof v);
    if (!Array.isArray(parsed) || !parsed.every(element)) throw bad("with type 'String.Array' must be a JSON array of strings, numbers, booleans or nulls.");
  }
  return stringValue;
}

/** Reads `MessageAttributes.entry.N.{Name, Value.DataType, Value.StringValue | Value.BinaryValue}` and checks each. */
export function readMessageAttributes(params: Readonly<Record<string, string>>): Map<string, MessageAttribute> {
  const out = new Map<string, MessageAttribute>();
  for (let n = 1; params[`MessageAttributes.entry.${n}.Name`] !== undefined; n++) {
    const at = (key: string) => params[`MessageAttributes.entry.${n}.${key}`];
    const name = at("Name") ?? "";
    // AWS and Amazon prefixes are reserved; SNS's own attributes (AWS.SNS.MOBILE.*.TTL …) are the exception.
    if (!ATTRIBUTE_NAME.test(name) || name.includes("..") || (/^(aws|amazon)\./i.test(name) && !name.startsWith("AWS.SNS."))) {
      throw invalidParameterValue(`The message attribute name '${name.slice(0, 256)}' is invalid.`);
    }
    if (out.has(name)) throw invalidParameterValue(`Message attribute name '${name}' has multiple values.`);
    const dataType = at("Value.DataType");
    if (!dataType) throw invalidParameterValue(`The message attribute '${name}' must contain a message attribute type.`);
    const value = checkValue(name, dataType, at("Value.StringValue"), at("Value.BinaryValue"));
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(dataType) + (typeof value === "string" ? Buffer.byteLength(value) : value.length);
    out.set(name, { dataType, value: at("Value.StringValue") ?? at("Value.BinaryValue") ?? "", bytes });
  }
  if (out.size > MAX_ATTRIBUTES) {
    throw invalidParameterValue(`Number of message attributes [${out.size}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`);
  }
  return out;
}

/** The 256 KB limit: the message and its attributes together. */
export function checkMessageSize(message: string, attributes: ReadonlyMap<string, MessageAttribute>): void {
  let bytes = Buffer.byteLength(message);
  for (const a of attributes.values()) bytes += a.bytes;
  if (bytes > MAX_MESSAGE_BYTES) throw invalidParameter("Invalid parameter: Message too long");
}

/**
 * What the endpoint's platform would be sent (its own key of a JSON message, else `default`, else the raw
 * message), checked as SNS checks it: a platform's own payload must be a JSON object, and APNs and FCM payloads
 * fit in 4 KB.
 */
export function checkPlatformPayload(platform: string, message: unknown): void {
  const own = typeof message === "object" && message !== null && Object.hasOwn(message, platform);
  const payload = typeof message === "string" ? message : String((message as Record<string, unknown>)[own ? platform : "default"] ?? "");
  const limit = PLATFORM_PAYLOAD_BYTES[platform];
  if (limit === undefined) return;
  if (own) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw invalidParameter(`Invalid parameter: Message Reason: Invalid notification for protocol ${platform}: Notification is malformed`);
    }
  }
  // A default message reaches the platform wrapped (`{"aps":{"alert":"…"}}` and the like): count it quoted.
  const bytes = own ? Buffer.byteLength(payload) : Buffer.byteLength(JSON.stringify(payload));
  if (bytes > limit) {
    throw invalidParameter(`Invalid parameter: Message Reason: Invalid notification for protocol ${platform}: Message too long (${bytes} bytes; the limit is ${limit})`);
  }
}

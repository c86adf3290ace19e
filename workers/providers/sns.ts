import {
  CreatePlatformEndpointCommand,
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { ConfigDeliveryError, PermanentDeliveryError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushMessage, PushProvider } from "../../src/delivery/push-provider.js";

/** The SNS provider, plus the endpoint management that enrollment and device removal need. */
export type SnsProvider = PushProvider & {
  /**
   * Registers a device token under a platform application and makes sure its endpoint is enabled; answers the
   * same ARN again for the same token.
   */
  createEndpoint(platformArn: string, deviceToken: string): Promise<string>;
  /** Removes a platform endpoint; removing one that is already gone succeeds, as in SNS. */
  deleteEndpoint(arn: string): Promise<void>;
};

export interface SnsClientOptions {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Another SNS-compatible endpoint (tests, a VPC endpoint). */
  endpoint?: string;
  /** Whole-request timeout; defaults to 10 s. */
  requestTimeoutMs?: number;
}

/**
 * An SNSClient for one app's credentials. `maxAttempts: 1` because BullMQ already retries with backoff and a deadline:
 * two retry layers would multiply attempts and could push after the challenge expired.
 */
export function createSnsClient(opts: SnsClientOptions): SNSClient {
  const requestTimeout = opts.requestTimeoutMs ?? 10_000;
  return new SNSClient({
    region: opts.region,
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    maxAttempts: 1,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes and keeps waiting.
    requestHandler: { requestTimeout, connectionTimeout: Math.min(requestTimeout, 3_000), throwOnRequestTimeout: true },
  });
}

type ErrorKind = "transient" | "permanent" | "config";

const THROTTLING = new Set(["Throttling", "Throttled", "TooManyRequests", "RequestLimitExceeded", "KMSThrottling"]);
const CREDENTIALS = new Set([
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "AuthorizationError",
  "UnrecognizedClient",
  "InvalidAccessKeyId",
  "AccessDenied",
  "MissingAuthenticationToken",
  "ExpiredToken",
]);
/** The platform application itself is disabled (expired APNs certificate, revoked FCM key): every device fails. */
const PLATFORM_DISABLED = "PlatformApplicationDisabled";
/**
 * SNS refused the signature's time (this host's clock is off by over 15 minutes). The SDK has already taken SNS's
 * clock from that answer's Date header, so the retry is signed in time: neither the device nor the settings are at fault.
 */
const CLOCK_SKEW = new Set(["RequestExpired", "RequestTimeTooSkewed"]);
const DEVICE_GONE = new Set(["EndpointDisabled", "InvalidParameter", "InvalidParameterValue", "NotFound"]);
const TRANSIENT_NAMES = new Set(["TimeoutError", "AbortError", "RequestTimeout", "InternalError", "InternalFailure"]);
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $retryable?: { throttling?: boolean };
}

/** The SNS error code: the SDK names modeled errors `XxxException` and keeps AWS's own code in `Code`. */
function snsCode(e: SdkErrorShape): string {
  const raw = typeof e.Code === "string" ? e.Code : typeof e.name === "string" ? e.name : "Error";
  return raw.endsWith("Exception") ? raw.slice(0, -"Exception".length) : raw;
}

function classify(e: SdkErrorShape, code: string, status: number | undefined, action: string): ErrorKind {
  if (CREDENTIALS.has(code) || code === PLATFORM_DISABLED || status === 401 || status === 403) return "config";
  if (CLOCK_SKEW.has(code)) return "transient";
  if (action === "CreatePlatformEndpoint" && (code === "NotFound" || code === "InvalidParameter")) {
    // "Invalid parameter: Token Reason: …" is about the token one device registered: that device cannot get
    // pushes, but the app's settings are fine, and one user's bad token must not switch push off for everyone.
    if (code === "InvalidParameter" && typeof e.message === "string" && /\bToken\b/.test(e.message)) return "permanent";
    // Otherwise they name the PlatformARN the app configured, not a device.
    return "config";
  }
  if (THROTTLING.has(code) || status === 429 || e.$retryable?.throttling === true) return "transient";
  if (status !== undefined && status >= 500) return "transient";
  if (TRANSIENT_NAMES.has(code) || (typeof e.code === "string" && NETWORK_CODES.has(e.code))) return "transient";
  if (DEVICE_GONE.has(code)) return "permanent";
  // No HTTP status: the request never got an answer (socket, DNS, abort), so trying again may work.
  if (status === undefined) return "transient";
  // Another 4xx: SNS refused this request as given, and repeating it cannot help.
  return "permanent";
}

/** Maps an SDK failure to our error classes; the message names the call and code, never tokens or credentials. */
function toDeliveryError(error: unknown, action: string, secrets: string[]): Error {
  const e: SdkErrorShape = typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
  const code = snsCode(e);
  const status = e.$metadata?.httpStatusCode;
  const kind = classify(e, code, status, action);
  let detail = typeof e.message === "string" ? e.message : String(error);
  // AWS messages may echo request fields; a device token must not reach logs through them. Signature errors can
  // echo the signed request, so credential failures carry the code alone.
  for (const secret of secrets) if (secret) detail = detail.split(secret).join("[redacted]");
  if (kind === "config" && CREDENTIALS.has(code)) detail = "check the app's AWS settings";
  if (code === PLATFORM_DISABLED) detail = "the platform application is disabled in SNS (expired APNs certificate or FCM credentials?)";
  const text = `SNS ${action} failed: ${code}${status !== undefined ? ` (HTTP ${status})` : ""}: ${detail.slice(0, 300)}`;
  if (kind === "config") return new ConfigDeliveryError(text);
  if (kind === "permanent") return new PermanentDeliveryError(text);
  return new TransientDeliveryError(text);
}

/** SNS's JSON message: one string per platform, so one Publish reaches an Android or an iOS endpoint alike. */
function buildMessage(message: PushMessage, ttl: number): string {
  const { title, body } = message.notification;
  const data: Record<string, string> = { ...message.data };
  // SNS's documented FCM HTTP v1 shape (`fcmV1Message`); the legacy GCM shape depends on a translation FCM retired.
  const gcm = {
    fcmV1Message: {
      message: {
        notification: { title, body },
        data,
        android: { priority: "high", ttl: `${ttl}s` },
      },
    },
  };
  // Data keys sit at the top level of the APNs payload, next to `aps`, where iOS apps read custom keys.
  const apns = JSON.stringify({ ...data, aps: { alert: { title, body }, "content-available": 1 } });
  return JSON.stringify({ default: body, GCM: JSON.stringify(gcm), APNS: apns, APNS_SANDBOX: apns });
}

async function createPlatformEndpoint(client: SNSClient, platformArn: string, deviceToken: string): Promise<string> {
  let arn: string | undefined;
  try {
    const out = await client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: platformArn, Token: deviceToken }));
    arn = out.EndpointArn;
  } catch (error) {
    throw toDeliveryError(error, "CreatePlatformEndpoint", [deviceToken]);
  }
  if (!arn) throw new TransientDeliveryError("SNS CreatePlatformEndpoint answered without an EndpointArn");
  return arn;
}

/** Whether the endpoint can take pushes for this token as it is, needs enabling (or its token set), or is gone. */
async function endpointState(client: SNSClient, arn: string, deviceToken: string): Promise<"ready" | "needs enabling" | "gone"> {
  try {
    const { Attributes: a } = await client.send(new GetEndpointAttributesCommand({ EndpointArn: arn }));
    return a?.Enabled === "true" && a.Token === deviceToken ? "ready" : "needs enabling";
  } catch (error) {
    const e: SdkErrorShape = typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
    if (snsCode(e) === "NotFound") return "gone";
    throw toDeliveryError(error, "GetEndpointAttributes", [deviceToken]);
  }
}

/** Enables the endpoint with the device's current token, as AWS's token-management guidance does. */
async function enableEndpoint(client: SNSClient, arn: string, deviceToken: string): Promise<void> {
  try {
    await client.send(new SetEndpointAttributesCommand({ EndpointArn: arn, Attributes: { Enabled: "true", Token: deviceToken } }));
  } catch (error) {
    throw toDeliveryError(error, "SetEndpointAttributes", [deviceToken]);
  }
}

/**
 * The AWS SNS push provider. It publishes directly to the device's platform endpoint; the client comes from
 * `createSnsClient` (or a test's), so it never retries by itself.
 */
export function createSnsProvider(opts: { client: SNSClient }): SnsProvider {
  const { client } = opts;
  return {
    name: "sns",

    async send(message: PushMessage, signal: AbortSignal): Promise<void> {
      const targetArn = message.device.endpointArn;
      if (!targetArn) throw new PermanentDeliveryError("SNS Publish: the device has no SNS endpoint ARN");
      // The challenge's remaining life bounds delivery: after it the push would only confuse the user.
      const ttl = Math.max(0, Math.floor(message.ttlSeconds));
      const ttlAttribute = { DataType: "String", StringValue: String(ttl) };
      const command = new PublishCommand({
        TargetArn: targetArn,
        MessageStructure: "json",
        Message: buildMessage(message, ttl),
        MessageAttributes: {
          "AWS.SNS.MOBILE.GCM.TTL": ttlAttribute,
          "AWS.SNS.MOBILE.APNS.TTL": ttlAttribute,
          "AWS.SNS.MOBILE.APNS_SANDBOX.TTL": ttlAttribute,
        },
      });
      try {
        await client.send(command, { abortSignal: signal });
      } catch (error) {
        throw toDeliveryError(error, "Publish", [message.device.token]);
      }
    },

    async createEndpoint(platformArn: string, deviceToken: string): Promise<string> {
      // AWS's documented registration: CreatePlatformEndpoint (idempotent per token) answers an existing endpoint
      // as it is, so one SNS disabled after a delivery failure comes back disabled; a device enrolling with that
      // token again is live, so its endpoint is turned back on. Made again once if it vanished in between (a
      // removed device's endpoint deletion racing this enrollment).
      for (let attempt = 1; ; attempt++) {
        const arn = await createPlatformEndpoint(client, platformArn, deviceToken);
        const state = await endpointState(client, arn, deviceToken);
        if (state === "ready") return arn;
        if (state === "needs enabling") {
          await enableEndpoint(client, arn, deviceToken);
          return arn;
        }
        if (attempt >= 2) throw new TransientDeliveryError("SNS endpoint vanished right after CreatePlatformEndpoint, twice");
      }
    },

    async deleteEndpoint(arn: string): Promise<void> {
      try {
        await client.send(new DeleteEndpointCommand({ EndpointArn: arn }));
      } catch (error) {
        throw toDeliveryError(error, "DeleteEndpoint", []);
      }
    },
  };
}

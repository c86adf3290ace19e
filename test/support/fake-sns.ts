import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySigV4 } from "./sigv4-verify.js";
import { SnsError, invalidParameter } from "./sns-error.js";
import { checkMessageSize, checkPlatformPayload, readMessageAttributes } from "./sns-publish-rules.js";

/**
 * A local stand-in for Amazon SNS mobile push, speaking the AWS Query protocol exactly as the real `SNSClient`
 * sends it (form-encoded `Action=…&Version=2010-03-31&…`) and answering in the XML the SDK parses. Tests point a
 * real client at it, so serialization, error parsing and the SDK's retry and clock-skew behaviour are exercised,
 * and it refuses what SNS refuses:
 * - Signature Version 4 is verified (sigv4-verify.ts) against the keys it is given, its region and service `sns`:
 *   an unknown key id is InvalidClientTokenId, a wrong secret, region or service SignatureDoesNotMatch, a
 *   signature more than 15 minutes off its clock RequestExpired, no signature MissingAuthenticationToken.
 * - Publish checks message attributes (DataType String, Number, Binary or String.Array, and a value that fits
 *   it), the 256 KB message limit and the 4 KB APNs and FCM payload limits (sns-publish-rules.ts).
 * - Endpoints: CreatePlatformEndpoint is idempotent per (platform, token) and hands back an existing endpoint as
 *   it is, disabled included; SetEndpointAttributes (Enabled, Token, CustomUserData) changes it; publishing to a
 *   disabled endpoint answers EndpointDisabled, to a disabled platform application PlatformApplicationDisabled,
 *   and an unknown platform application is NotFound.
 * Not modelled: IAM policies (any known key may do anything), KMS, topics, SMS, and SNS's real rate limits
 * (tests inject throttling with `fail`).
 */

/** Platform applications the fake knows from the start (tests may add more to `platformApplications`). */
export const FAKE_GCM_PLATFORM_ARN = "arn:aws:sns:us-east-1:123456789012:app/GCM/push-mfa";
export const FAKE_APNS_PLATFORM_ARN = "arn:aws:sns:us-east-1:123456789012:app/APNS/push-mfa";

/**
 * The keys the fake's account has (access key id → secret): the tests' (test/support/delivery.ts `awsSettings`,
 * FAKE_SNS_CREDENTIALS) and the benchmark's (bench/scenarios/sns.ts, bench/load/sns-sdk.ts).
 */
export const FAKE_SNS_KEYS: Readonly<Record<string, string>> = { AKIATEST: "secret", AKIABENCH: "bench-secret-access-key" };
/** The key tests sign with, for `SNSClient({ credentials })`. */
export const FAKE_SNS_CREDENTIALS = { accessKeyId: "AKIATEST", secretAccessKey: "secret" } as const;
/** The region the fake serves, as its ARNs say. */
export const FAKE_SNS_REGION = "us-east-1";

/**
 * Errors a test can inject. `Throttled` (429) is the throttling error SNS's API declares; `Throttling` (400,
 * "Rate exceeded") is AWS's common Query-protocol throttling error, which SNS is also seen to answer.
 */
export type FakeSnsFault =
  | "Throttled"
  | "Throttling"
  | "InternalError"
  | "EndpointDisabled"
  | "PlatformApplicationDisabled"
  | "InvalidParameter"
  | "NotFound"
  | "InvalidClientTokenId";

export interface FakePublished {
  targetArn: string;
  /** Parsed JSON when MessageStructure=json, the raw string otherwise. */
  message: unknown;
  /** Message attributes by name: their StringValue, or their BinaryValue as sent (base64). */
  attributes: Record<string, string>;
  messageId: string;
  /** When it was accepted, in ms of a monotonic clock (performance.now()): lets the bench time deliveries. */
  receivedAt: number;
}

export interface FakeEndpoint {
  token: string;
  enabled: boolean;
  platformArn: string;
  customUserData?: string;
}

export interface FakeSns {
  /** `http://127.0.0.1:PORT`, for `SNSClient({ endpoint })`. */
  readonly url: string;
  readonly published: FakePublished[];
  readonly endpoints: Map<string, FakeEndpoint>;
  /** Every request received, faulted ones included: lets a test count the SDK's attempts. */
  readonly requests: Array<{ action: string; params: Record<string, string> }>;
  readonly platformApplications: Set<string>;
  /** Platform applications switched off (as AWS does when their APNs certificate or FCM key stops working). */
  readonly disabledPlatformApplications: Set<string>;
  /** Added before every answer, in milliseconds (the benchmark's SNS round trip). */
  latencyMs: number;
  /**
   * From now on, receive and record every request but answer none until `release()`: an SNS that accepted the
   * connection and hangs. Lets a test show that only the client's own abort or timeout ended a call.
   */
  hold(): FakeSnsHold;
  /** The next `times` (default 1) calls of `action` (or `"*"` for any) answer `fault`; `message` overrides AWS's text. */
  fail(action: string, fault: FakeSnsFault, times?: number, message?: string): void;
  disableEndpoint(arn: string): void;
  disablePlatformApplication(arn: string): void;
  /** Forget everything recorded and injected, release a hold; known platform applications go back to the defaults. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeSnsHold {
  /** Resolves once a request has arrived and is being held. */
  readonly arrived: Promise<void>;
  /** Answer the held requests (a client that gave up meanwhile gets nothing) and stop holding. */
  release(): void;
}

/** HTTP status, AWS error Type and default message of each fault, as AWS answers them. */
const FAULTS: Record<FakeSnsFault, { status: number; type: "Sender" | "Receiver"; message: string }> = {
  Throttled: { status: 429, type: "Sender", message: "Throttled request" },
  Throttling: { status: 400, type: "Sender", message: "Rate exceeded" },
  InternalError: { status: 500, type: "Receiver", message: "Internal Error" },
  EndpointDisabled: { status: 400, type: "Sender", message: "Endpoint is disabled" },
  PlatformApplicationDisabled: { status: 400, type: "Sender", message: "Platform application is disabled" },
  InvalidParameter: { status: 400, type: "Sender", message: "Invalid parameter" },
  NotFound: { status: 404, type: "Sender", message: "Resource does not exist" },
  InvalidClientTokenId: {
    status: 403,
    type: "Sender",
    message: "The security token included in the request is invalid.",
  },
};

const NS = "http://sns.amazonaws.com/doc/2010-03-31/";
/** AWS's limit on an endpoint's CustomUserData. */
const MAX_CUSTOM_USER_DATA_BYTES = 2048;
const ENDPOINT_ATTRIBUTES = new Set(["Enabled", "Token", "CustomUserData"]);

function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Collects `Prefix.entry.N.<nameKey>` / `Prefix.entry.N.<valueKey>` pairs, the Query encoding of a map. */
function readMap(params: Record<string, string>, prefix: string, nameKey: string, valueKey: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = 1; params[`${prefix}.entry.${n}.${nameKey}`] !== undefined; n++) {
    const name = params[`${prefix}.entry.${n}.${nameKey}`] ?? "";
    out[name] = params[`${prefix}.entry.${n}.${valueKey}`] ?? "";
  }
  return out;
}

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === "") throw invalidParameter(`Invalid parameter: ${name} Reason: cannot be empty`);
  return value;
}

/** Endpoint attributes (`Attributes.entry.N.key/value`) checked as SetEndpointAttributes checks them. */
function endpointAttributes(params: Record<string, string>): Record<string, string> {
  const attributes = readMap(params, "Attributes", "key", "value");
  for (const [name, value] of Object.entries(attributes)) {
    if (!ENDPOINT_ATTRIBUTES.has(name)) throw invalidParameter(`Invalid parameter: Attributes Reason: Invalid attribute name: ${name.slice(0, 64)}`);
    if (name === "Enabled" && value !== "true" && value !== "false") {
      throw invalidParameter("Invalid parameter: Attributes Reason: Enabled must be true or false");
    }
    if (name === "Token" && value === "") throw invalidParameter("Invalid parameter: Token Reason: cannot be empty");
    if (name === "CustomUserData" && Buffer.byteLength(value) > MAX_CUSTOM_USER_DATA_BYTES) {
      throw invalidParameter(`Invalid parameter: CustomUserData Reason: longer than ${MAX_CUSTOM_USER_DATA_BYTES} bytes`);
    }
  }
  return attributes;
}

/** The platform (`GCM`, `APNS`, `APNS_SANDBOX`, …) of a platform application or endpoint ARN. */
const platformOf = (arn: string): string => /:(?:app|endpoint)\/([^/]+)\//.exec(arn)?.[1] ?? "";

export interface FakeSnsOptions {
  /** Access key id → secret the fake accepts; FAKE_SNS_KEYS by default. */
  keys?: Readonly<Record<string, string>>;
  /** The region requests must be signed for; FAKE_SNS_REGION by default. */
  region?: string;
}

/** Starts the fake on 127.0.0.1 and an ephemeral port. */
export async function startFakeSns(o: FakeSnsOptions = {}): Promise<FakeSns> {
  const keys = o.keys ?? FAKE_SNS_KEYS;
  const region = o.region ?? FAKE_SNS_REGION;
  const published: FakePublished[] = [];
  const endpoints = new Map<string, FakeEndpoint>();
  const requests: Array<{ action: string; params: Record<string, string> }> = [];
  const platformApplications = new Set<string>();
  const disabledPlatformApplications = new Set<string>();
  const faults: Array<{ action: string; fault: FakeSnsFault; left: number; message?: string }> = [];

  const takeFault = (action: string): SnsError | undefined => {
    const index = faults.findIndex((f) => f.action === action || f.action === "*");
    const found = faults[index];
    if (!found) return undefined;
    found.left -= 1;
    if (found.left <= 0) faults.splice(index, 1);
    const spec = FAULTS[found.fault];
    return new SnsError(found.fault, spec.status, found.message ?? spec.message, spec.type);
  };

  /** Each action answers the inner XML of its `<ActionResult>`. */
  const actions: Record<string, (params: Record<string, string>) => string> = {
    CreatePlatformEndpoint(params) {
      const platformArn = required(params, "PlatformApplicationArn");
      const token = required(params, "Token");
      if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:app\/[\w-]+\/[\w.-]+$/.test(platformArn)) {
        throw invalidParameter("Invalid parameter: PlatformApplicationArn Reason: not a valid ARN");
      }
      if (!platformApplications.has(platformArn)) {
        throw new SnsError("NotFound", 404, "PlatformApplication does not exist");
      }
      const attributes = endpointAttributes(params);
      const customUserData = params.CustomUserData ?? attributes.CustomUserData;
      if (customUserData !== undefined && Buffer.byteLength(customUserData) > MAX_CUSTOM_USER_DATA_BYTES) {
        throw invalidParameter(`Invalid parameter: CustomUserData Reason: longer than ${MAX_CUSTOM_USER_DATA_BYTES} bytes`);
      }
      for (const [arn, endpoint] of endpoints) {
        if (endpoint.platformArn !== platformArn || endpoint.token !== token) continue;
        // AWS: the same token and attributes answer the existing endpoint as it is (a disabled one stays
        // disabled: re-enabling is SetEndpointAttributes' job); different attributes are refused.
        const differs =
          (customUserData !== undefined && customUserData !== endpoint.customUserData) ||
          (attributes.Enabled !== undefined && attributes.Enabled !== String(endpoint.enabled));
        if (differs) {
          throw invalidParameter(`Invalid parameter: Token Reason: Endpoint ${arn} already exists with the same Token, but different attributes.`);
        }
        return `<EndpointArn>${xmlEscape(arn)}</EndpointArn>`;
      }
      const arn = `${platformArn.replace(":app/", ":endpoint/")}/${randomUUID()}`;
      endpoints.set(arn, {
        token,
        enabled: attributes.Enabled !== "false",
        platformArn,
        ...(customUserData !== undefined && { customUserData }),
      });
      return `<EndpointArn>${xmlEscape(arn)}</EndpointArn>`;
    },

    Publish(params) {
      const targetArn = required(params, "TargetArn");
      const raw = params.Message;
      if (raw === undefined || raw === "") throw invalidParameter("Invalid parameter: Empty message");
      if (params.MessageStructure !== undefined && params.MessageStructure !== "json") {
        throw invalidParameter("Invalid parameter: MessageStructure Reason: only json is supported");
      }
      const attributes = readMessageAttributes(params);
      checkMessageSize(raw, attributes);
      const endpoint = endpoints.get(targetArn);
      if (!endpoint) {
        throw invalidParameter("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified");
      }
      if (disabledPlatformApplications.has(endpoint.platformArn)) {
        throw new SnsError("PlatformApplicationDisabled", 400, "Platform application is disabled");
      }
      if (!endpoint.enabled) throw new SnsError("EndpointDisabled", 400, "Endpoint is disabled");
      let message: unknown = raw;
      if (params.MessageStructure === "json") {
        try {
          message = JSON.parse(raw);
        } catch {
          throw invalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse");
        }
        // AWS requires a string "default" and string values for every platform key.
        if (typeof message !== "object" || message === null || Array.isArray(message)) {
          throw invalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse");
        }
        if (typeof (message as Record<string, unknown>).default !== "string") {
          throw invalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body");
        }
        if (Object.values(message).some((v) => typeof v !== "string")) {
          throw invalidParameter("Invalid parameter: Message Structure - JSON message values must be strings");
        }
      }
      checkPlatformPayload(platformOf(endpoint.platformArn), message);
      const messageId = randomUUID();
      const recorded = Object.fromEntries([...attributes].map(([name, a]) => [name, a.value]));
      published.push({ targetArn, message, attributes: recorded, messageId, receivedAt: performance.now() });
      return `<MessageId>${messageId}</MessageId>`;
    },

    DeleteEndpoint(params) {
      // AWS: deleting an endpoint that does not exist succeeds (the call is idempotent).
      endpoints.delete(required(params, "EndpointArn"));
      return "";
    },

    GetEndpointAttributes(params) {
      const endpoint = endpoints.get(required(params, "EndpointArn"));
      if (!endpoint) throw new SnsError("NotFound", 404, "Endpoint does not exist");
      const attributes: Record<string, string> = { Enabled: String(endpoint.enabled), Token: endpoint.token };
      if (endpoint.customUserData !== undefined) attributes.CustomUserData = endpoint.customUserData;
      const entries = Object.entries(attributes)
        .map(([k, v]) => `<entry><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></entry>`)
        .join("");
      return `<Attributes>${entries}</Attributes>`;
    },

    SetEndpointAttributes(params) {
      const arn = required(params, "EndpointArn");
      const attributes = endpointAttributes(params);
      const endpoint = endpoints.get(arn);
      if (!endpoint) throw new SnsError("NotFound", 404, "Endpoint does not exist");
      if (attributes.Token !== undefined) endpoint.token = attributes.Token;
      if (attributes.Enabled !== undefined) endpoint.enabled = attributes.Enabled === "true";
      if (attributes.CustomUserData !== undefined) endpoint.customUserData = attributes.CustomUserData;
      return "";
    },
  };

  const answer = (res: ServerResponse, status: number, body: string, requestId: string): void => {
    if (res.destroyed) return; // the client gave up (abort, timeout): nothing to answer
    res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
    res.end(body);
  };

  let fake: FakeSns;
  let held: { gate: Promise<void>; open: () => void; arrive: () => void } | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const params = Object.fromEntries(new URLSearchParams(body.toString("utf8")));
    const action = params.Action ?? "";
    requests.push({ action, params });
    const requestId = randomUUID();
    if (held) {
      held.arrive();
      await held.gate;
    }
    if (fake.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.latencyMs));
    try {
      if (req.method !== "POST") throw new SnsError("InvalidAction", 400, "Only POST is supported by this fake");
      // Authentication comes first, as at AWS: an unsigned or badly signed request learns nothing else.
      verifySigV4(
        { method: req.method, url: req.url ?? "/", rawHeaders: req.rawHeaders, body },
        { credentials: keys, region, service: "sns", now: Date.now() },
      );
      const run = actions[action];
      if (!run) throw new SnsError("InvalidAction", 400, `The action ${action} is not valid for this web service.`);
      const fault = takeFault(action);
      if (fault) throw fault;
      const result = run(params);
      answer(
        res,
        200,
        `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
        requestId,
      );
    } catch (error) {
      const e = error instanceof SnsError ? error : new SnsError("InternalError", 500, String(error), "Receiver");
      answer(
        res,
        e.status,
        `<ErrorResponse xmlns="${NS}"><Error><Type>${e.type}</Type><Code>${xmlEscape(e.code)}</Code>` +
          `<Message>${xmlEscape(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        requestId,
      );
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const defaults = (): void => {
    platformApplications.clear();
    platformApplications.add(FAKE_GCM_PLATFORM_ARN).add(FAKE_APNS_PLATFORM_ARN);
  };
  defaults();

  fake = {
    url: `http://127.0.0.1:${port}`,
    published,
    endpoints,
    requests,
    platformApplications,
    disabledPlatformApplications,
    latencyMs: 0,
    hold() {
      held?.open();
      let open!: () => void;
      let arrive!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const h = { gate, open, arrive };
      held = h;
      return {
        arrived,
        release() {
          if (held === h) held = undefined;
          open();
        },
      };
    },
    fail(action, fault, times = 1, message) {
      faults.push({ action, fault, left: times, ...(message !== undefined && { message }) });
    },
    disableEndpoint(arn) {
      const endpoint = endpoints.get(arn);
      if (!endpoint) throw new Error(`fake SNS: no endpoint ${arn}`);
      endpoint.enabled = false;
    },
    disablePlatformApplication(arn) {
      if (!platformApplications.has(arn)) throw new Error(`fake SNS: no platform application ${arn}`);
      disabledPlatformApplications.add(arn);
    },
    reset() {
      published.length = 0;
      requests.length = 0;
      faults.length = 0;
      endpoints.clear();
      disabledPlatformApplications.clear();
      fake.latencyMs = 0;
      held?.open();
      held = undefined;
      defaults();
    },
    close() {
      held?.open();
      held = undefined;
      // The SDK keeps sockets alive: drop them, or close() waits for their idle timeout.
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
  return fake;
}

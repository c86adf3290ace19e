process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import { GetEndpointAttributesCommand, type SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigDeliveryError, PermanentDeliveryError, TransientDeliveryError } from "../src/delivery/delivery-errors.js";
import type { PushMessage } from "../src/delivery/push-provider.js";
import { createSnsClient, createSnsProvider, type SnsProvider } from "../workers/providers/sns.js";
import { FAKE_APNS_PLATFORM_ARN, FAKE_GCM_PLATFORM_ARN, FAKE_SNS_CREDENTIALS, startFakeSns, type FakeSns } from "./support/fake-sns.js";

const TOKEN = "fcm-token-SECRET-0123456789abcdef";

let fake: FakeSns;
let client: SNSClient;
let sns: SnsProvider;
/** Every error the provider threw in this file, checked at the end for leaked tokens. */
const thrown: unknown[] = [];

function message(endpointArn: string | undefined, overrides: Partial<PushMessage> = {}): PushMessage {
  return {
    deliveryId: "ch1:dev1:1",
    device: { token: TOKEN, type: "android", ...(endpointArn !== undefined && { endpointArn }) },
    data: {
      secondfactorauthenticationtoken: "handle-abc",
      identifier: "ada@example.com",
      browser: "Firefox on Linux",
      location: "Paris, FR",
      timestamp: "1700000000",
      apikey: "api-key-1",
      expiresAt: "2026-01-01T00:00:00.000Z",
      challenge: "12,47,83",
    },
    notification: { title: "Acme Authenticator", body: "Approve sign-in?" },
    ttlSeconds: 97,
    ...overrides,
  };
}

/** Runs `fn`, expects it to reject, records and returns the error. */
async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    thrown.push(error);
    return error;
  }
  throw new Error("expected a rejection");
}

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null) throw new Error("not an object");
  return value as Record<string, unknown>;
}

function parsed(value: unknown): Record<string, unknown> {
  if (typeof value !== "string") throw new Error("not a string");
  return record(JSON.parse(value));
}

const never = (): AbortSignal => new AbortController().signal;

beforeAll(async () => {
  fake = await startFakeSns();
  client = createSnsClient({ ...FAKE_SNS_CREDENTIALS, region: "us-east-1", endpoint: fake.url });
  sns = createSnsProvider({ client });
});

afterAll(async () => {
  client?.destroy();
  await fake?.close();
});

beforeEach(() => fake.reset());

describe("SNS provider against the fake SNS", () => {
  it("creates an endpoint, and the same token gives the same ARN", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    expect(arn).toMatch(/^arn:aws:sns:us-east-1:123456789012:endpoint\/GCM\/push-mfa\//);
    expect(await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN)).toBe(arn);
    expect(await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, "another-token")).not.toBe(arn);
    expect(fake.endpoints.get(arn)).toMatchObject({ token: TOKEN, enabled: true, platformArn: FAKE_GCM_PLATFORM_ARN });

    // The real client reads the fake's map-shaped XML too.
    const attrs = await client.send(new GetEndpointAttributesCommand({ EndpointArn: arn }));
    expect(attrs.Attributes).toEqual({ Enabled: "true", Token: TOKEN });
  });

  it("publishes a JSON message whose GCM and APNS payloads carry every data key and the TTL", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    const msg = message(arn);
    await sns.send(msg, never());

    expect(fake.published).toHaveLength(1);
    const [sent] = fake.published;
    expect(sent?.targetArn).toBe(arn);
    expect(sent?.messageId).toMatch(/.+/);
    const publish = fake.requests.find((r) => r.action === "Publish");
    expect(publish?.params.MessageStructure).toBe("json");

    const body = record(sent?.message);
    expect(Object.keys(body).sort()).toEqual(["APNS", "APNS_SANDBOX", "GCM", "default"]);
    expect(body.default).toBe(msg.notification.body);

    const fcm = record(record(parsed(body.GCM).fcmV1Message).message);
    expect(fcm.data).toEqual(msg.data);
    expect(fcm.notification).toEqual(msg.notification);
    expect(fcm.android).toEqual({ priority: "high", ttl: "97s" });

    for (const key of ["APNS", "APNS_SANDBOX"]) {
      const apns = parsed(body[key]);
      for (const [k, v] of Object.entries(msg.data)) expect(apns[k]).toBe(v);
      expect(apns.aps).toEqual({ alert: msg.notification, "content-available": 1 });
    }

    expect(sent?.attributes).toEqual({
      "AWS.SNS.MOBILE.GCM.TTL": "97",
      "AWS.SNS.MOBILE.APNS.TTL": "97",
      "AWS.SNS.MOBILE.APNS_SANDBOX.TTL": "97",
    });
    expect(publish?.params["MessageAttributes.entry.1.Value.DataType"]).toBe("String");
  });

  it.each([
    // Throttled is what SNS's API declares for a rate exceeded; Throttling is AWS's common Query error for it.
    ["Throttled", 429],
    ["Throttling", 400],
    ["InternalError", 500],
  ] as const)("%s (HTTP %i) is transient, and the SDK made one request only", async (fault, status) => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.requests.length = 0;
    fake.fail("Publish", fault, 5);
    const error = await failure(() => sns.send(message(arn), never()));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect(String(error)).toContain(`${fault} (HTTP ${status})`);
    expect(fake.requests.map((r) => r.action)).toEqual(["Publish"]);
    expect(fake.published).toHaveLength(0);
  });

  it("a disabled endpoint is permanent, as AWS answers it", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.disableEndpoint(arn);
    const error = await failure(() => sns.send(message(arn), never()));
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain("EndpointDisabled");
  });

  it.each(["EndpointDisabled", "InvalidParameter", "NotFound"] as const)("injected %s on Publish is permanent", async (fault) => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.fail("Publish", fault);
    expect(await failure(() => sns.send(message(arn), never()))).toBeInstanceOf(PermanentDeliveryError);
    expect(fake.requests.filter((r) => r.action === "Publish")).toHaveLength(1);
  });

  it("publishing to a deleted endpoint is permanent", async () => {
    const arn = await sns.createEndpoint(FAKE_APNS_PLATFORM_ARN, TOKEN);
    await sns.deleteEndpoint(arn);
    expect(fake.endpoints.has(arn)).toBe(false);
    await sns.deleteEndpoint(arn); // idempotent, like SNS
    expect(await failure(() => sns.send(message(arn), never()))).toBeInstanceOf(PermanentDeliveryError);
  });

  it("a missing endpoint ARN is permanent and sends nothing", async () => {
    expect(await failure(() => sns.send(message(undefined), never()))).toBeInstanceOf(PermanentDeliveryError);
    expect(fake.requests).toHaveLength(0);
  });

  it("bad credentials are a configuration error, on send and on createEndpoint", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.fail("*", "InvalidClientTokenId", 2);
    const onSend = await failure(() => sns.send(message(arn), never()));
    expect(onSend).toBeInstanceOf(ConfigDeliveryError);
    expect(String(onSend)).toContain("InvalidClientTokenId");
    expect(await failure(() => sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN))).toBeInstanceOf(ConfigDeliveryError);
  });

  it("a wrong secret, refused by SNS's signature check (SignatureDoesNotMatch), is a configuration error", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    const wrong = createSnsClient({ ...FAKE_SNS_CREDENTIALS, secretAccessKey: "not-the-secret", region: "us-east-1", endpoint: fake.url });
    try {
      const error = await failure(() => createSnsProvider({ client: wrong }).send(message(arn), never()));
      expect(error).toBeInstanceOf(ConfigDeliveryError);
      expect(String(error)).toContain("SignatureDoesNotMatch (HTTP 403)");
      expect(fake.published).toHaveLength(0);
    } finally {
      wrong.destroy();
    }
  });

  it("a disabled platform application is a configuration error (every device fails alike), not a dead device", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.disablePlatformApplication(FAKE_GCM_PLATFORM_ARN);
    const error = await failure(() => sns.send(message(arn), never()));
    expect(error).toBeInstanceOf(ConfigDeliveryError);
    expect(String(error)).toContain("PlatformApplicationDisabled (HTTP 400)");
    expect(String(error)).toContain("platform application is disabled");
  });

  it("a worker clock 20 minutes off: RequestExpired is transient, and the retry, signed by the corrected clock, is published", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    const skewed = createSnsClient({ ...FAKE_SNS_CREDENTIALS, region: "us-east-1", endpoint: fake.url });
    try {
      // As if this host's clock ran 20 minutes slow: the SDK signs with Date.now() plus this offset.
      skewed.config.systemClockOffset = -20 * 60_000;
      const provider = createSnsProvider({ client: skewed });
      const error = await failure(() => provider.send(message(arn), never()));
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect(String(error)).toContain("RequestExpired (HTTP 400)");
      expect(fake.published).toHaveLength(0);
      // The SDK took SNS's clock from that answer's Date header: the next attempt is signed in time.
      await provider.send(message(arn), never());
      expect(fake.published).toHaveLength(1);
    } finally {
      skewed.destroy();
    }
  });

  it("createEndpoint turns back on a disabled endpoint that SNS hands back for the token, and leaves an enabled one alone", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    expect(fake.requests.filter((r) => r.action === "SetEndpointAttributes")).toHaveLength(0);
    fake.disableEndpoint(arn);

    // The device enrolls again with the same token: CreatePlatformEndpoint answers the same, still disabled, endpoint.
    expect(await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN)).toBe(arn);
    expect(fake.endpoints.get(arn)).toMatchObject({ enabled: true, token: TOKEN });
    const set = fake.requests.filter((r) => r.action === "SetEndpointAttributes");
    expect(set).toHaveLength(1);
    expect(set[0]!.params).toMatchObject({ EndpointArn: arn, "Attributes.entry.1.key": "Enabled", "Attributes.entry.1.value": "true" });
    await sns.send(message(arn), never());
    expect(fake.published).toHaveLength(1);

    // Enabled already: nothing to change.
    await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    expect(fake.requests.filter((r) => r.action === "SetEndpointAttributes")).toHaveLength(1);
  });

  it("an unknown or malformed platform ARN on createEndpoint is a configuration error", async () => {
    const unknown = await failure(() => sns.createEndpoint("arn:aws:sns:us-east-1:123456789012:app/GCM/nope", TOKEN));
    expect(unknown).toBeInstanceOf(ConfigDeliveryError);
    expect(String(unknown)).toContain("NotFound");
    expect(await failure(() => sns.createEndpoint("not-an-arn", TOKEN))).toBeInstanceOf(ConfigDeliveryError);
    expect(fake.endpoints.size).toBe(0);
  });

  it("an already aborted signal is transient and sends nothing", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.requests.length = 0;
    const controller = new AbortController();
    controller.abort();
    expect(await failure(() => sns.send(message(arn), controller.signal))).toBeInstanceOf(TransientDeliveryError);
    expect(fake.requests).toHaveLength(0);
  });

  // SNS "hanging" below is the fake holding its answers (fake.hold): nothing but the client's own abort or timeout
  // can end such a call, so no test here needs to time anything.
  it("an abort while SNS has not answered is transient, and ends the call", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    const hung = fake.hold();
    try {
      const controller = new AbortController();
      const sending = failure(() => sns.send(message(arn), controller.signal));
      await hung.arrived;
      controller.abort();
      expect(await sending).toBeInstanceOf(TransientDeliveryError);
      expect(fake.published).toHaveLength(0);
    } finally {
      hung.release();
    }
  });

  it("a slow answer is waited for: the send succeeds once SNS answers, not before", async () => {
    const arn = await sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.requests.length = 0;
    const hung = fake.hold();
    let answered = false;
    const sent = sns.send(message(arn), never()).then(() => answered);
    await hung.arrived;
    answered = true;
    hung.release();
    expect(await sent).toBe(true);
    expect(fake.published).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
  });

  it("the client's request timeout turns a hung SNS into a transient error", async () => {
    const slowClient = createSnsClient({
      ...FAKE_SNS_CREDENTIALS,
      region: "us-east-1",
      endpoint: fake.url,
      requestTimeoutMs: 150,
    });
    const slow = createSnsProvider({ client: slowClient });
    const arn = await slow.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN);
    fake.requests.length = 0;
    const hung = fake.hold();
    try {
      // The signal never aborts and SNS never answers: only the client's requestTimeout can end this call.
      const error = await failure(() => slow.send(message(arn), never()));
      expect(error).toBeInstanceOf(TransientDeliveryError);
      expect(fake.requests).toHaveLength(1);
      expect(fake.published).toHaveLength(0);
    } finally {
      hung.release();
      slowClient.destroy();
    }
  });

  it("a token SNS refuses at CreatePlatformEndpoint is permanent for that device, and redacted from the error", async () => {
    fake.fail("CreatePlatformEndpoint", "InvalidParameter", 1, `Invalid parameter: Token Reason: ${TOKEN} is not valid`);
    const error = await failure(() => sns.createEndpoint(FAKE_GCM_PLATFORM_ARN, TOKEN));
    // One user's bad token must not read as the app's misconfiguration (which would answer 1298 to everyone).
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain("[redacted]");
  });

  it("no thrown error mentions the device token or the credentials", () => {
    expect(thrown.length).toBeGreaterThanOrEqual(10);
    for (const error of thrown) {
      expect(error).toBeInstanceOf(Error);
      const e = error as Error;
      for (const text of [e.message, String(e.stack), JSON.stringify(e)]) {
        expect(text).not.toContain(TOKEN);
        expect(text).not.toContain("SECRET");
      }
    }
  });
});

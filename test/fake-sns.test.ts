process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import {
  CreatePlatformEndpointCommand,
  GetEndpointAttributesCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  SNSClient,
  type MessageAttributeValue,
} from "@aws-sdk/client-sns";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FAKE_APNS_PLATFORM_ARN, FAKE_GCM_PLATFORM_ARN, FAKE_SNS_CREDENTIALS, startFakeSns, type FakeSns } from "./support/fake-sns.js";
import { verifySigV4 } from "./support/sigv4-verify.js";

/**
 * The SNS stand-in refuses what SNS refuses, so a test that passes against it says something about AWS: requests
 * come from the real SDK client (or, for what the SDK never sends, plain HTTP), as a misconfigured worker or a
 * tampering middlebox would send them.
 */

let fake: FakeSns;
const clients: SNSClient[] = [];

/** An SDK client for the fake; `o` changes what it signs with. */
function clientWith(o: { accessKeyId?: string; secretAccessKey?: string; region?: string; clockOffsetMs?: number } = {}): SNSClient {
  const client = new SNSClient({
    region: o.region ?? "us-east-1",
    endpoint: fake.url,
    credentials: {
      accessKeyId: o.accessKeyId ?? FAKE_SNS_CREDENTIALS.accessKeyId,
      secretAccessKey: o.secretAccessKey ?? FAKE_SNS_CREDENTIALS.secretAccessKey,
    },
    maxAttempts: 1,
    ...(o.clockOffsetMs !== undefined && { systemClockOffset: o.clockOffsetMs }),
  });
  clients.push(client);
  return client;
}

interface SignedRequest {
  headers: Record<string, string>;
  body: unknown;
}

const isSignedRequest = (value: unknown): value is SignedRequest =>
  typeof value === "object" && value !== null && "headers" in value && typeof value.headers === "object";

/** A client whose requests `change` alters after they were signed: what a middlebox could do on the way. */
function tamperingClient(change: (request: SignedRequest) => void): SNSClient {
  const client = clientWith();
  // The deserialize step runs inside finalizeRequest, where the request was signed: it sees the signed request.
  client.middlewareStack.add(
    (next) => async (args) => {
      if (isSignedRequest(args.request)) change(args.request);
      return next(args);
    },
    { step: "deserialize", name: "tamperAfterSigning" },
  );
  return client;
}

/** The SNS error a call ended with: its AWS code, HTTP status and message. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (error) {
    const e = error as { Code?: string; name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { code: e.Code ?? e.name ?? "", status: e.$metadata?.httpStatusCode, message: e.message ?? "" };
  }
  throw new Error("expected SNS to refuse the call");
}

const createEndpoint = (client: SNSClient, token = "fcm-token-1") =>
  client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: FAKE_GCM_PLATFORM_ARN, Token: token }));

/** A Publish of `message` (JSON structure) to a fresh endpoint of `platformArn`, with `attributes`. */
async function publish(message: Record<string, string>, o: { platformArn?: string; attributes?: Record<string, MessageAttributeValue> } = {}) {
  const client = clientWith();
  const { EndpointArn } = await client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: o.platformArn ?? FAKE_GCM_PLATFORM_ARN, Token: `token-${Math.random()}` }));
  return client.send(
    new PublishCommand({
      TargetArn: EndpointArn,
      MessageStructure: "json",
      Message: JSON.stringify(message),
      ...(o.attributes && { MessageAttributes: o.attributes }),
    }),
  );
}

beforeAll(async () => {
  fake = await startFakeSns();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => fake.reset());
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

describe("the SNS stand-in checks Signature Version 4 as AWS does", () => {
  it.each([
    ["get-vanilla", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"],
    ["get-vanilla-query-order-key-case", "/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"],
  ])("its verifier takes AWS's published SigV4 test-suite case %s, and refuses it with one digit changed", (_, url, signature) => {
    const request = (sig: string) => ({
      method: "GET",
      url,
      rawHeaders: ["Host", "example.amazonaws.com", "X-Amz-Date", "20150830T123600Z", "Authorization",
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`],
      body: Buffer.alloc(0),
    });
    const expectations = {
      credentials: { AKIDEXAMPLE: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
      region: "us-east-1",
      service: "service",
      now: Date.UTC(2015, 7, 30, 12, 36, 0),
    };
    expect(verifySigV4(request(signature), expectations)).toBe("AKIDEXAMPLE");
    const altered = signature.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    expect(() => verifySigV4(request(altered), expectations)).toThrow(/does not match/);
  });

  it("answers a request signed with a key it knows, for its region and service", async () => {
    const { EndpointArn } = await createEndpoint(clientWith());
    expect(fake.endpoints.has(EndpointArn!)).toBe(true);
  });

  it("an access key id it does not know: 403 InvalidClientTokenId", async () => {
    expect(await refusal(createEndpoint(clientWith({ accessKeyId: "AKIANOSUCHKEY" })))).toMatchObject({ code: "InvalidClientTokenId", status: 403 });
    expect(fake.endpoints.size).toBe(0);
  });

  it("the right key id with the wrong secret: 403 SignatureDoesNotMatch", async () => {
    expect(await refusal(createEndpoint(clientWith({ secretAccessKey: "not-the-secret" })))).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
    expect(fake.endpoints.size).toBe(0);
  });

  it("a credential scoped to another region: 403 SignatureDoesNotMatch naming the region", async () => {
    const r = await refusal(createEndpoint(clientWith({ region: "eu-west-1" })));
    expect(r).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
    expect(r.message).toContain("Credential should be scoped to a valid region, not 'eu-west-1'");
  });

  it("a credential scoped to another service: 403 SignatureDoesNotMatch naming sns", async () => {
    const client = tamperingClient((req) => {
      req.headers.authorization = String(req.headers.authorization).replace("/us-east-1/sns/", "/us-east-1/sqs/");
    });
    const r = await refusal(createEndpoint(client));
    expect(r).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
    expect(r.message).toContain("Credential should be scoped to correct service: 'sns'");
  });

  it.each([
    ["20 minutes slow", -20 * 60_000],
    ["20 minutes fast", 20 * 60_000],
  ])("a signature from a clock %s: 400 RequestExpired", async (_, offset) => {
    expect(await refusal(createEndpoint(clientWith({ clockOffsetMs: offset })))).toMatchObject({ code: "RequestExpired", status: 400 });
    expect(fake.endpoints.size).toBe(0);
  });

  it("a body changed after signing (another target) is refused: 403 SignatureDoesNotMatch, nothing published", async () => {
    const { EndpointArn: mine } = await createEndpoint(clientWith(), "fcm-token-mine");
    const { EndpointArn: theirs } = await createEndpoint(clientWith(), "fcm-token-theirs");
    const client = tamperingClient((req) => {
      // Same length, so only the signature can tell.
      req.body = String(req.body).replace(encodeURIComponent(mine!), encodeURIComponent(theirs!));
    });
    const r = await refusal(client.send(new PublishCommand({ TargetArn: mine, Message: "hello" })));
    expect(r).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
    expect(fake.published).toHaveLength(0);
  });

  it("a signed header changed after signing is refused", async () => {
    const client = tamperingClient((req) => {
      req.headers["amz-sdk-invocation-id"] = "00000000-0000-4000-8000-000000000000";
    });
    expect(await refusal(createEndpoint(client))).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });
  });

  it("an unsigned request: 403 MissingAuthenticationToken", async () => {
    const res = await fetch(fake.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `Action=CreatePlatformEndpoint&Version=2010-03-31&PlatformApplicationArn=${encodeURIComponent(FAKE_GCM_PLATFORM_ARN)}&Token=t`,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(fake.endpoints.size).toBe(0);
  });

  it("an Authorization header that is not SigV4: 400 IncompleteSignature", async () => {
    const res = await fetch(fake.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "AWS AKIATEST:c2lnbmF0dXJl", "x-amz-date": "20260101T000000Z" },
      body: "Action=DeleteEndpoint&Version=2010-03-31&EndpointArn=x",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>IncompleteSignature</Code>");
  });
});

describe("the SNS stand-in checks Publish as AWS does", () => {
  const gcm = (data: Record<string, string> = {}) => JSON.stringify({ fcmV1Message: { message: { data } } });
  const apns = (extra: Record<string, string> = {}) => JSON.stringify({ ...extra, aps: { alert: "hi" } });

  it.each([
    ["an unknown DataType", { DataType: "Text", StringValue: "1" }],
    ["a Number that does not parse", { DataType: "Number", StringValue: "ninety" }],
    ["a String.Array that is not a JSON array", { DataType: "String.Array", StringValue: "a,b" }],
    ["a String without a value", { DataType: "String", StringValue: "" }],
    ["a Binary without a BinaryValue", { DataType: "Binary", StringValue: "AQI=" }],
  ] satisfies Array<[string, MessageAttributeValue]>)("a message attribute with %s: 400 ParameterValueInvalid", async (_, value) => {
    const r = await refusal(publish({ default: "d", GCM: gcm() }, { attributes: { custom: value } }));
    expect(r).toMatchObject({ code: "ParameterValueInvalid", status: 400 });
    expect(fake.published).toHaveLength(0);
  });

  it("attributes of every documented type, well formed, are taken (the mobile TTLs as Strings)", async () => {
    await publish(
      { default: "d", GCM: gcm() },
      {
        attributes: {
          "AWS.SNS.MOBILE.GCM.TTL": { DataType: "String", StringValue: "60" },
          count: { DataType: "Number", StringValue: "-12.5" },
          "tags.list": { DataType: "String.Array", StringValue: '["a", 1, null]' },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 255]) },
          custom: { DataType: "String.custom-label", StringValue: "x" },
        },
      },
    );
    expect(fake.published).toHaveLength(1);
    expect(fake.published[0]!.attributes).toMatchObject({ "AWS.SNS.MOBILE.GCM.TTL": "60", count: "-12.5" });
  });

  it("more than 10 message attributes: 400 ParameterValueInvalid", async () => {
    const attributes = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }]));
    expect(await refusal(publish({ default: "d", GCM: gcm() }, { attributes }))).toMatchObject({ code: "ParameterValueInvalid", status: 400 });
  });

  it("a message over 256 KB, counting its attributes: 400 InvalidParameter, Message too long", async () => {
    const big = "x".repeat(200_000);
    const r = await refusal(publish({ default: big, GCM: gcm() }, { attributes: { note: { DataType: "String", StringValue: "y".repeat(70_000) } } }));
    expect(r).toMatchObject({ code: "InvalidParameter", status: 400 });
    expect(r.message).toContain("Message too long");
    // The same message without the attribute fits.
    await publish({ default: big, GCM: gcm() });
    expect(fake.published).toHaveLength(1);
  });

  it.each([
    ["an APNs", FAKE_APNS_PLATFORM_ARN, "APNS", apns],
    ["an FCM", FAKE_GCM_PLATFORM_ARN, "GCM", gcm],
  ] as const)("%s payload over 4096 bytes: 400 InvalidParameter; at 4096 bytes it is published", async (_, platformArn, key, payload) => {
    const sized = (bytes: number) => {
      const base = payload({ pad: "" });
      return payload({ pad: "p".repeat(bytes - Buffer.byteLength(base)) });
    };
    const r = await refusal(publish({ default: "d", [key]: sized(4097) }, { platformArn }));
    expect(r).toMatchObject({ code: "InvalidParameter", status: 400 });
    expect(r.message).toContain("Message too long");
    await publish({ default: "d", [key]: sized(4096) }, { platformArn });
    expect(fake.published).toHaveLength(1);
  });

  it("a platform payload that is not a JSON object: 400 InvalidParameter", async () => {
    expect(await refusal(publish({ default: "d", APNS: "just text" }, { platformArn: FAKE_APNS_PLATFORM_ARN }))).toMatchObject({ code: "InvalidParameter", status: 400 });
  });

  it("to an endpoint whose platform application is disabled: 400 PlatformApplicationDisabled", async () => {
    fake.disablePlatformApplication(FAKE_GCM_PLATFORM_ARN);
    expect(await refusal(publish({ default: "d", GCM: gcm() }))).toMatchObject({ code: "PlatformApplicationDisabled", status: 400 });
  });

  it("throttled: 429 Throttled, the code SNS declares for exceeding an account's rate", async () => {
    fake.fail("Publish", "Throttled");
    const r = await refusal(publish({ default: "d", GCM: gcm() }));
    expect(r).toMatchObject({ code: "Throttled", status: 429 });
  });
});

describe("the SNS stand-in's platform endpoints behave as AWS's", () => {
  it("CreatePlatformEndpoint for a token that has a disabled endpoint answers that endpoint, still disabled", async () => {
    const client = clientWith();
    const { EndpointArn } = await createEndpoint(client);
    fake.disableEndpoint(EndpointArn!);
    expect((await createEndpoint(client)).EndpointArn).toBe(EndpointArn);
    expect((await client.send(new GetEndpointAttributesCommand({ EndpointArn }))).Attributes).toMatchObject({ Enabled: "false" });
  });

  it("SetEndpointAttributes sets Enabled, Token and CustomUserData, and a re-enabled endpoint takes a Publish", async () => {
    const client = clientWith();
    const { EndpointArn } = await createEndpoint(client);
    fake.disableEndpoint(EndpointArn!);
    expect(await refusal(client.send(new PublishCommand({ TargetArn: EndpointArn, Message: "m" })))).toMatchObject({ code: "EndpointDisabled" });
    await client.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Enabled: "true", Token: "fcm-token-2", CustomUserData: "ada" } }));
    expect((await client.send(new GetEndpointAttributesCommand({ EndpointArn }))).Attributes).toEqual({ Enabled: "true", Token: "fcm-token-2", CustomUserData: "ada" });
    await client.send(new PublishCommand({ TargetArn: EndpointArn, Message: "m" }));
    expect(fake.published).toHaveLength(1);
  });

  it.each([
    ["Enabled that is not true or false", { Enabled: "yes" }, "InvalidParameter"],
    ["an empty Token", { Token: "" }, "InvalidParameter"],
    ["CustomUserData over 2048 bytes", { CustomUserData: "u".repeat(2049) }, "InvalidParameter"],
    ["an attribute SNS does not have", { Colour: "red" }, "InvalidParameter"],
  ])("SetEndpointAttributes with %s is refused", async (_, attributes, code) => {
    const client = clientWith();
    const { EndpointArn } = await createEndpoint(client);
    expect(await refusal(client.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: attributes })))).toMatchObject({ code, status: 400 });
  });

  it("SetEndpointAttributes on an endpoint that does not exist: 404 NotFound", async () => {
    const r = await refusal(clientWith().send(new SetEndpointAttributesCommand({ EndpointArn: `${FAKE_GCM_PLATFORM_ARN.replace(":app/", ":endpoint/")}/gone`, Attributes: { Enabled: "true" } })));
    expect(r).toMatchObject({ code: "NotFound", status: 404 });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError, loadConfig } from "../src/config.js";
import { fieldErrorsOf } from "../src/validation.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { secretHeaders } from "./support/scenario.js";

/**
 * Validation problems said in plain words: the field and the rule in one sentence, never zod's own wording
 * ("Too small: expected number to be >=30"); and a body sent as something other than JSON is told to send JSON.
 */

/** zod's default wordings: none of them may reach a client or an operator. */
const ZOD_WORDING = /Too small|Too big|Invalid input|Invalid option|Invalid string|Unrecognized key|expected \w+ to be|received undefined/;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ worker: false });
});
afterAll(async () => {
  await gw.stop();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

type Refusal = { ErrorCode: number; Description: string; Errors?: Array<{ FieldName: string; ErrorMessage: string }> };

describe("validation messages", () => {
  it("each rule, said as a sentence naming the field", () => {
    const schema = z.object({
      ChallengeTtlSeconds: z.number().int().min(30),
      QRCodeWidth: z.number().max(1000),
      Name: z.string().min(1),
      Password: z.string().min(8),
      verify: z.enum(["Yes", "No"]),
      Email: z.email(),
      Tags: z.array(z.string()).max(2),
      Nested: z.object({ On: z.boolean() }).strict(),
      Hex: z.string().regex(/^[0-9a-f]+$/, "must be hex"),
    });
    const parsed = schema.safeParse({ ChallengeTtlSeconds: 10, QRCodeWidth: 5000, Name: "", Password: "short", verify: "Maybe", Email: "nope", Tags: ["a", "b", "c"], Nested: { On: "yes", Extra: 1 }, Hex: "xyz" });
    const messages = Object.fromEntries(fieldErrorsOf(parsed.error!).map((f) => [f.FieldName, f.ErrorMessage]));
    expect(messages).toEqual({
      ChallengeTtlSeconds: "ChallengeTtlSeconds must be at least 30 seconds.",
      QRCodeWidth: "QRCodeWidth must be at most 1000.",
      Name: "Name is required.",
      Password: "Password must be at least 8 characters.",
      verify: 'verify must be one of "Yes", "No".',
      Email: "Email must be an email address.",
      Tags: "Tags must have at most 2 items.",
      "Nested.On": "Nested.On must be true or false.",
      Nested: "Nested has a field this endpoint does not know: Extra.",
      Hex: "Hex must be hex.",
    });
    const missing = schema.safeParse({});
    expect(fieldErrorsOf(missing.error!)[0]!.ErrorMessage).toBe("ChallengeTtlSeconds is required.");
  });

  it("the environment: every bad variable in a sentence", () => {
    let message = "";
    try {
      loadConfig({ PORT: "eighty", ENROLLMENT_TTL_SECONDS: "5", REDIS_PREFIX: "has spaces" });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain("PORT must be a number.");
    expect(message).toContain("ENROLLMENT_TTL_SECONDS must be at least 30 seconds.");
    expect(message).toContain("REDIS_PREFIX must be letters, digits, _ . or - only, at most 40 characters.");
    expect(message).not.toMatch(ZOD_WORDING);
  });

  it("over HTTP: bodies (965), query parameters (908) and the push settings, each field in a sentence", async () => {
    const cases: Array<{ method: string; path: string; query?: Record<string, string>; json: unknown; headers?: Record<string, string>; code: number; says: string }> = [
      { method: "PUT", path: "/v2/manage/2fa/push-notification-settings", headers: secretHeaders(gw), json: { ChallengeTtlSeconds: 10 }, code: 965, says: "ChallengeTtlSeconds must be at least 30 seconds." },
      { method: "PUT", path: "/v2/manage/2fa/push-notification-settings", headers: secretHeaders(gw), json: { NumberMatching: "Sometimes" }, code: 965, says: 'NumberMatching must be one of "Off", "PickOne", "Typed".' },
      { method: "POST", path: "/identity/v2/manage/account", headers: secretHeaders(gw), json: { Email: [{ Type: "Primary", Value: "a@example.com" }], Password: "short" }, code: 965, says: "Password must be at least 8 characters." },
      { method: "PUT", path: "/identity/v2/auth/login/2fa/verification/push", query: { apikey: gw.apiKey, secondfactorauthenticationtoken: "h" }, json: { verify: "Maybe", signature: "00" }, code: 965, says: 'verify must be one of "Yes", "No".' },
      { method: "GET", path: "/v2/manage/push/audit", headers: secretHeaders(gw), query: { count: "0" }, json: undefined, code: 908, says: "count must be at least 1." },
    ];
    for (const c of cases) {
      const res = await call<Refusal>(gw.url, c.method, c.path, { query: c.query ?? {}, headers: c.headers ?? {}, ...(c.json !== undefined && { json: c.json }) });
      const what = `${c.method} ${c.path} ${JSON.stringify(c.json)}`;
      expect(res.body.ErrorCode, what).toBe(c.code);
      expect(res.body.Errors?.map((e) => e.ErrorMessage), what).toContain(c.says);
      expect(res.body.Description, what).toContain(c.says);
      expect(res.text, what).not.toMatch(ZOD_WORDING);
    }
  });

  it("a body that is not JSON is told to send JSON, with the header to send", async () => {
    for (const [path, headers, query] of [
      ["/identity/v2/auth/login/2fa", {}, { apikey: gw.apiKey }],
      ["/identity/v2/manage/account", secretHeaders(gw), {}],
      ["/v2/manage/2fa/push-notification-settings", secretHeaders(gw), {}],
    ] as const) {
      const method = path.includes("settings") ? "PUT" : "POST";
      const res = await fetch(`${gw.url}${path}?${new URLSearchParams(query)}`, {
        method,
        headers: { ...headers, "content-type": "text/plain" },
        body: JSON.stringify({ email: "a@example.com", password: "x" }),
      });
      const body = (await res.json()) as Refusal;
      expect(res.status, path).toBe(400);
      expect(body.ErrorCode, path).toBe(965);
      expect(body.Description, path).toMatch(/as JSON \(Content-Type: application\/json\)/);
    }
  });
});

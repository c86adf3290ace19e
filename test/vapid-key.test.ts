import { randomUUID } from "node:crypto";
import { ECDH } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { vapidSubjectOf } from "../src/crypto/vapid-key.js";
import { deletePrefix, dumpEntries, startTestGateway, testPrefix } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError } from "./support/contract.js";

/** Contract 2.7: one VAPID key pair for the whole deployment, made on first use, sealed, published per apikey. */

const VAPID_KEY_PATH = "/identity/v2/auth/push/vapid-public-key";

describe("GET /identity/v2/auth/push/vapid-public-key", () => {
  it("answers one P-256 key, the same for every app and every node, even when two nodes make it at once; kept sealed", async () => {
    const prefix = testPrefix();
    const a = await startTestGateway({ prefix, worker: false });
    // Another app of the same deployment, on another node.
    const b = await startTestGateway({ prefix, worker: false, apiKey: randomUUID() });
    try {
      const [fromA, fromB] = await Promise.all([
        call<{ PublicKey: string }>(a.url, "GET", VAPID_KEY_PATH, { query: { apikey: a.apiKey } }),
        call<{ PublicKey: string }>(b.url, "GET", VAPID_KEY_PATH, { query: { apikey: b.apiKey } }),
      ]);
      expect(fromA.status, fromA.text).toBe(200);
      expect(Object.keys(fromA.body)).toEqual(["PublicKey"]);
      expect(fromB.body).toEqual(fromA.body);
      const point = Buffer.from(fromA.body.PublicKey, "base64url");
      expect(point.toString("base64url")).toBe(fromA.body.PublicKey);
      expect(point).toHaveLength(65);
      // A point on the curve (OpenSSL refuses any other).
      expect(() => ECDH.convertKey(point, "prime256v1", undefined, undefined, "uncompressed")).not.toThrow();
      // Header credential too, and again: the same key.
      const again = await call<{ PublicKey: string }>(a.url, "GET", VAPID_KEY_PATH, { headers: { "X-LoginRadius-ApiKey": a.apiKey } });
      expect(again.body).toEqual(fromA.body);

      const stored = (await dumpEntries(prefix)).filter(([k]) => k.endsWith(":vapid-key"));
      expect(stored).toHaveLength(1);
      const [, sealed] = stored[0]!;
      expect(sealed).toMatch(/^v1\./);
      expect(sealed).not.toContain('"d"');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await deletePrefix(prefix);
    }
  });

  it("answers 922, 920 and 901 for a missing, malformed or unknown apikey, and 429 past the per-address limit", async () => {
    const gw = await startTestGateway({ worker: false, rateLimits: { strangerPerIp: 5 } });
    try {
      expectContractError(await call(gw.url, "GET", VAPID_KEY_PATH), "missing", 922);
      expectContractError(await call(gw.url, "GET", VAPID_KEY_PATH, { query: { apikey: "nope" } }), "malformed", 920);
      expectContractError(await call(gw.url, "GET", VAPID_KEY_PATH, { query: { apikey: randomUUID() } }), "unknown", 901);
      expectContractError(await call(gw.url, "GET", VAPID_KEY_PATH, { query: { apikey: gw.apiKey, APIKEY: gw.apiKey } }), "twice", 908);
      let last = await call(gw.url, "GET", VAPID_KEY_PATH, { query: { apikey: gw.apiKey } });
      for (let i = 0; i < 10 && last.status !== 429; i++) last = await call(gw.url, "GET", VAPID_KEY_PATH, { query: { apikey: gw.apiKey } });
      expectContractError(last, "rate limited", 429);
      expect(last.headers.get("retry-after")).toMatch(/^\d+$/);
    } finally {
      await gw.stop();
      await deletePrefix(gw.config.REDIS_PREFIX);
    }
  });
});

describe("the VAPID subject (sub claim)", () => {
  const base = { NODE_ENV: "development" };
  it("is VAPID_SUBJECT when set, else an https PUBLIC_URL's origin, else a mailto: at PUBLIC_URL's host", () => {
    expect(vapidSubjectOf(loadConfig({ ...base, VAPID_SUBJECT: "mailto:ops@example.com" }))).toBe("mailto:ops@example.com");
    expect(vapidSubjectOf(loadConfig({ ...base, PUBLIC_URL: "https://login.example.com/mfa" }))).toBe("https://login.example.com");
    expect(vapidSubjectOf(loadConfig({ ...base, PUBLIC_URL: "http://gateway.internal:3000" }))).toBe("mailto:webpush@gateway.internal");
    expect(vapidSubjectOf(loadConfig({ ...base, PUBLIC_URL: "https://localhost:8443" }))).toBe("mailto:webpush@localhost");
  });
  it("refuses a VAPID_SUBJECT that is neither mailto: nor https", () => {
    for (const bad of ["http://example.com", "ops@example.com", "mailto:nobody", "https://"]) {
      expect(() => loadConfig({ ...base, VAPID_SUBJECT: bad }), bad).toThrow(/VAPID_SUBJECT/);
    }
  });
});

import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration (contract 2.3)", () => {
  it("runs with zero configuration in development (NODE_ENV=development, as npm start sets it)", () => {
    const c = loadConfig({ NODE_ENV: "development" });
    expect(c).toMatchObject({ PORT: 3000, REDIS_URL: "redis://127.0.0.1:6379", REDIS_PREFIX: "pmg", isDev: true, ALLOW_PRIVATE_WEBHOOKS: true, PUBLIC_URL: "http://localhost:3000" });
  });

  it("names every bad variable in one error", () => {
    let err: unknown;
    try {
      loadConfig({ PORT: "eighty", REDIS_URL: "http://nope", MASTER_KEY: "short", REDIS_PREFIX: "has spaces" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const name of ["PORT", "REDIS_URL", "MASTER_KEY", "REDIS_PREFIX"]) expect(message).toContain(name);
  });

  it("requires MASTER_KEY in production, and turns off private webhooks there", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/MASTER_KEY/);
    expect(() => loadConfig({})).toThrow(/MASTER_KEY/);
    const c = loadConfig({ NODE_ENV: "production", MASTER_KEY: Buffer.alloc(32, 7).toString("base64") });
    expect(c.isDev).toBe(false);
    expect(c.ALLOW_PRIVATE_WEBHOOKS).toBe(false);
  });

  it("wants both bootstrap variables or neither", () => {
    expect(() => loadConfig({ NODE_ENV: "development", BOOTSTRAP_API_KEY: "b1fbbba5-2a5e-41a2-96da-c216df36e6f4" })).toThrow(/BOOTSTRAP/);
  });

  it("TRUSTED_ORIGIN_IP_SOURCES takes addresses and CIDRs, and names a bad one", () => {
    const c = loadConfig({ NODE_ENV: "development", TRUSTED_ORIGIN_IP_SOURCES: " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32" });
    expect(c.TRUSTED_ORIGIN_IP_SOURCES.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual(["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]);
    expect(loadConfig({ NODE_ENV: "development" }).TRUSTED_ORIGIN_IP_SOURCES).toEqual([]);
    for (const bad of ["10.0.0.0/33", "127.1", "example.com", "10.0.0.0/8/1", "::1/129"]) {
      expect(() => loadConfig({ NODE_ENV: "development", TRUSTED_ORIGIN_IP_SOURCES: bad }), bad).toThrow(/TRUSTED_ORIGIN_IP_SOURCES/);
    }
  });
});

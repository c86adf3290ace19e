import fc from "fast-check";
import { expect } from "vitest";
import type { ApiResponse } from "./http.js";
import { dumpEntries, type TestGateway } from "./gateway.js";

/** The contract's error body (section 0) with a 4xx status and no stack trace; optionally a given code. */
export function expectContractError(res: ApiResponse, label: string, code?: number): void {
  const context = `${label}: ${res.text.slice(0, 200)}`;
  expect(res.status, context).toBeGreaterThanOrEqual(400);
  expect(res.status, context).toBeLessThan(500);
  expect(res.headers.get("content-type"), label).toMatch(/application\/json/);
  const body = res.body as Record<string, unknown>;
  expect(typeof body.ErrorCode, context).toBe("number");
  if (code !== undefined) expect(body.ErrorCode, context).toBe(code);
  expect(typeof body.Message).toBe("string");
  expect(typeof body.Description).toBe("string");
  expect(body.IsProviderError).toBe(false);
  expect(body.ProviderErrorResponse).toBeNull();
  expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
}

/** A success is allowed (random input can be valid); anything else must be the contract's 4xx error. */
export function expectSuccessOrContractError(res: ApiResponse, label: string): boolean {
  if (res.status >= 200 && res.status < 300) return true;
  expectContractError(res, label);
  return false;
}

/**
 * Redis as a refused request must leave it: every key but rate-limit counters and BullMQ's own bookkeeping
 * (workers write heartbeats); queued jobs are counted instead.
 */
export async function redisState(gw: TestGateway): Promise<string> {
  const entries = (await dumpEntries(gw.config.REDIS_PREFIX)).filter(([k]) => !k.includes(":rl:") && !k.includes(":bull:"));
  const jobs = await gw.services.queues.push.getJobCounts();
  return JSON.stringify([entries.sort(([a], [b]) => a.localeCompare(b)), jobs]);
}

/** Strings an attacker or a broken client sends: empty, special, injection-shaped, huge. */
export const hostileString = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.constantFrom("", " ", "null", "undefined", "__proto__", "constructor", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "\u0000", "💥".repeat(10), "{}", "[]"),
  fc.string({ minLength: 5000, maxLength: 6000 }),
);
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }));

/** Bodies of any shape, and objects whose keys are the given field names with hostile values. */
export const hostileBody = (fields: string[]) =>
  fc.oneof(fc.anything({ maxDepth: 3 }), fc.dictionary(fc.constantFrom(...fields, "__proto__", "constructor"), hostileValue, { maxKeys: 6 }));

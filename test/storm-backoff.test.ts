import { describe, expect, it } from "vitest";
import { createHandshakeAdmission } from "../src/realtime/handshake-admission.js";
import { reconnectDelayMs, retryAfterOf } from "../web/client/reconnect-backoff.js";

/** The two halves of the reconnect-storm defence, without a network: the node's admission and the clients' backoff. */

describe("reconnectDelayMs: the clients' backoff", () => {
  it("without a hint: exponential with equal jitter, between half and all of min(max, base·2^attempt)", () => {
    const at = (attempt: number, r: number) => reconnectDelayMs(attempt, { baseMs: 1000, maxMs: 30_000, random: () => r });
    expect([at(0, 0), at(0, 1)]).toEqual([500, 1000]);
    expect([at(1, 0), at(1, 1)]).toEqual([1000, 2000]);
    expect([at(3, 0), at(3, 0.5)]).toEqual([4000, 6000]);
    expect([at(10, 0), at(10, 1)]).toEqual([15_000, 30_000]);
    expect(at(1e6, 1)).toBe(30_000);
  });

  it("with a RetryAfter hint: never earlier than asked, spread over the following second", () => {
    for (const r of [0, 0.25, 0.999]) {
      const d = reconnectDelayMs(7, { retryAfterSeconds: 3, random: () => r });
      expect(d).toBeGreaterThanOrEqual(3000);
      expect(d).toBeLessThan(4000);
    }
  });

  it("jitter spreads a crowd: a thousand clients told the same thing do not come back together", () => {
    const delays = Array.from({ length: 1000 }, () => reconnectDelayMs(0, { retryAfterSeconds: 2 }));
    const perTenth = new Map<number, number>();
    for (const d of delays) perTenth.set(Math.floor(d / 100), (perTenth.get(Math.floor(d / 100)) ?? 0) + 1);
    expect(perTenth.size).toBe(10);
    expect(Math.max(...perTenth.values())).toBeLessThan(200);
  });

  it("reads the hint from a refused handshake's data, and ignores what is not one", () => {
    expect(retryAfterOf({ ErrorCode: 429, RetryAfter: 4 })).toBe(4);
    for (const bad of [undefined, null, {}, { RetryAfter: "4" }, { RetryAfter: 0 }, { RetryAfter: -1 }, { RetryAfter: Infinity }]) {
      expect(retryAfterOf(bad)).toBeUndefined();
    }
  });
});

describe("createHandshakeAdmission: the node's admission", () => {
  it("admits a second's worth at once, then the rate, and refuses the rest with hints that grow with the queue", () => {
    let now = 1_000_000;
    const admission = createHandshakeAdmission(100, () => now);
    const first = Array.from({ length: 100 }, () => admission.admit());
    expect(first.every((w) => w === 0)).toBe(true);
    // 1,000 more in the same instant: each refusal books the next free slot, 10 ms apart at 100/s.
    const hints = Array.from({ length: 1000 }, () => admission.admit());
    expect(hints.every((w) => w >= 1)).toBe(true);
    expect(hints[0]).toBe(1);
    expect(hints.at(-1)).toBe(10);
    expect(hints.filter((w) => w === 5)).toHaveLength(100);
    // Half a second later, 50 handshakes' worth has refilled.
    now += 500;
    expect(Array.from({ length: 60 }, () => admission.admit()).filter((w) => w === 0)).toHaveLength(50);
  });

  it("forgets a storm once it has drained, and 0 means no limit", () => {
    let now = 0;
    const admission = createHandshakeAdmission(10, () => now);
    for (let i = 0; i < 100; i++) admission.admit();
    now += 60_000;
    expect(admission.admit()).toBe(0);
    const open = createHandshakeAdmission(0);
    expect(Array.from({ length: 10_000 }, () => open.admit()).every((w) => w === 0)).toBe(true);
  });
});

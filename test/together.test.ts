import { describe, expect, it } from "vitest";
import { together } from "../src/together.js";

/** A step the test settles by hand, so the order in time is the test's, not the timers'. */
function step<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("together: independent steps side by side, failures in list order", () => {
  it("gives every value, in list order", async () => {
    const [a, c] = [step<string>(), step<boolean>()];
    const all = together([a.promise, 2, c.promise]);
    c.resolve(true);
    a.resolve("a");
    expect(await all).toEqual(["a", 2, true]);
  });

  it("reports the first failing step of the list, not the first to fail in time", async () => {
    const [first, second, third] = [step<number>(), step<never>(), step<never>()];
    const all = together([first.promise, second.promise, third.promise]);
    third.reject(new Error("first in time"));
    first.resolve(1);
    second.reject(new Error("first in the list"));
    await expect(all).rejects.toThrow("first in the list");
  });

  it("waits for every step before failing, so nothing is left running unobserved", async () => {
    const [fast, slow] = [step<never>(), step<number>()];
    let settled = false;
    const all = together([fast.promise, slow.promise]).finally(() => (settled = true));
    fast.reject(new Error("fast failure"));
    // Let every reaction to the failure run: together must still be waiting for the slow step.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    slow.resolve(1);
    await expect(all).rejects.toThrow("fast failure");
  });
});

import { describe, expect, it } from "vitest";
import { together } from "../src/together.js";

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(resolve, ms, value));
const failLater = (ms: number, message: string) => new Promise<never>((_, reject) => setTimeout(reject, ms, new Error(message)));

describe("together: independent steps side by side, failures in list order", () => {
  it("gives every value, in list order", async () => {
    expect(await together([later(20, "a"), 2, later(5, true)])).toEqual(["a", 2, true]);
  });

  it("reports the first failing step of the list, not the first to fail in time", async () => {
    await expect(together([later(5, 1), failLater(30, "first in the list"), failLater(1, "first in time")])).rejects.toThrow("first in the list");
  });

  it("waits for every step before failing, so nothing is left running unobserved", async () => {
    let finished = false;
    const slow = later(30, 1).then(() => (finished = true));
    await expect(together([failLater(1, "fast failure"), slow])).rejects.toThrow("fast failure");
    expect(finished).toBe(true);
  });
});

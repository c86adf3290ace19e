import { describe, expect, it } from "vitest";
import { deadline } from "../src/delivery/deadline.js";

const abortedWith = (s: AbortSignal) => new Promise<unknown>((resolve) => s.addEventListener("abort", () => resolve(s.reason), { once: true }));

describe("deadline: the caller's signal or a delay, whichever ends first", () => {
  it("aborts with the caller's reason when the caller aborts", async () => {
    const ac = new AbortController();
    const d = deadline(ac.signal, 60_000);
    const reason = new Error("shutdown");
    ac.abort(reason);
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe(reason);
    d.clear();
  });

  it("is aborted from the start when the caller already is", () => {
    const d = deadline(AbortSignal.abort("gone"), 60_000);
    expect(d.signal.aborted).toBe(true);
    expect(d.signal.reason).toBe("gone");
  });

  it("aborts with a TimeoutError, as AbortSignal.timeout, when the delay passes first", async () => {
    const d = deadline(new AbortController().signal, 5);
    const reason = await abortedWith(d.signal);
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe("TimeoutError");
  });

  it("after clear(), neither the delay nor the caller aborts it", async () => {
    const ac = new AbortController();
    const d = deadline(ac.signal, 5);
    d.clear();
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    expect(d.signal.aborted).toBe(false);
  });
});

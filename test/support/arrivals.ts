/**
 * Waiting for things that arrive over time (statuses on a page's socket, requests at a receiver): whoever
 * records an arrival calls `arrived()`, and `until(done)` resolves once `done()` holds, or fails after
 * `timeoutMs` with `failure()`'s message. It also re-checks every 200 ms, for conditions that change otherwise.
 */
export class Arrivals {
  private waiters: Array<() => void> = [];

  arrived(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(done: () => boolean, timeoutMs: number, failure: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(failure());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The first of `items` matching `pred`, already there or to come. */
  async first<T>(items: readonly T[], pred: (item: T) => boolean, timeoutMs: number, failure: () => string): Promise<T> {
    let found: T | undefined;
    await this.until(() => (found = items.find(pred)) !== undefined, timeoutMs, failure);
    return found!;
  }
}

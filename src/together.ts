/**
 * Independent steps of one request (rate limits, lookups) run side by side, yet fail as if run in order: the
 * error of the first step that failed in the list, whichever failed first in time. Clients then get the same
 * error code for the same request, however Redis interleaves the replies.
 */
export async function together<T extends readonly unknown[]>(steps: readonly [...{ [K in keyof T]: Promise<T[K]> | T[K] }]): Promise<T> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * When a client should try its socket again: the one policy of the browser client (push-mfa.ts) and of any other
 * client of the realtime endpoint (the storm test's Node clients use it too). No dependency, browser-safe.
 *
 * - The server gave a hint (a 429's `RetryAfter`, whole seconds): never earlier than asked, spread uniformly over
 *   the following second, the hint's own granularity, so the pages a node told "come back in 3 s" do not all
 *   arrive in the same millisecond.
 * - No hint (network error, node restarting, 950): exponential backoff with "equal jitter", between half and all
 *   of `min(maxMs, baseMs * 2^attempt)`.
 */
export interface ReconnectBackoffOptions {
  /** @default 1000 */
  baseMs?: number;
  /** @default 30000 */
  maxMs?: number;
  /** The server's `RetryAfter` hint, in seconds. */
  retryAfterSeconds?: number;
  /** @default Math.random */
  random?: () => number;
}

/** Milliseconds to wait before attempt number `attempt + 1` (`attempt` counts the failures so far, from 0). */
export function reconnectDelayMs(attempt: number, o: ReconnectBackoffOptions = {}): number {
  const random = o.random ?? Math.random;
  const hint = o.retryAfterSeconds;
  if (typeof hint === "number" && Number.isFinite(hint) && hint > 0) return hint * 1000 + random() * 1000;
  const ceiling = Math.min(o.maxMs ?? 30_000, (o.baseMs ?? 1000) * 2 ** Math.min(Math.max(0, attempt), 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** The `RetryAfter` hint of a refused handshake's `connect_error` data, when it carries one. */
export function retryAfterOf(data: unknown): number | undefined {
  const v = typeof data === "object" && data !== null ? (data as { RetryAfter?: unknown }).RetryAfter : undefined;
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * An HTTP `Retry-After` value (RFC 9110 §10.2.3: delay seconds, or an HTTP date) as milliseconds from `now`;
 * undefined when absent or unreadable, so the caller falls back to its own backoff. A date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only the IMF-fixdate form servers send ("Sun, 06 Nov 1994 08:49:37 GMT"): Date.parse reads far more than that.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

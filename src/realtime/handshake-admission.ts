/**
 * Per-node admission of socket handshakes, in memory, so a reconnect storm (a node died and its pages all come
 * here at once) costs cheap refusals rather than the handshake's lookups and subscriptions: at most `perSecond`
 * handshakes a second, with a burst of one second's worth.
 *
 * A refused handshake is told when to come back (`RetryAfter`, seconds). Each refusal books the next free slot of a
 * virtual queue drained at the same rate, so a thousand refused pages are handed times spread over the next seconds
 * rather than all being told "1" and coming back together. Nothing is held per client.
 */
export interface HandshakeAdmission {
  /** 0 when the handshake may proceed now, else the whole seconds after which to try again (at least 1). */
  admit(): number;
}

/** The longest wait handed out, in seconds; beyond it the storm is better served by the client's own backoff. */
const MAX_HINT_SECONDS = 120;

export function createHandshakeAdmission(perSecond: number, now: () => number = Date.now): HandshakeAdmission {
  if (perSecond <= 0) return { admit: () => 0 };
  const slotMs = 1000 / perSecond;
  let tokens = perSecond;
  let refilledAt = now();
  let bookedUntil = 0;
  return {
    admit() {
      const t = now();
      tokens = Math.min(perSecond, tokens + ((t - refilledAt) / 1000) * perSecond);
      refilledAt = t;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      bookedUntil = Math.max(bookedUntil, t) + slotMs;
      return Math.min(MAX_HINT_SECONDS, Math.max(1, Math.ceil((bookedUntil - t) / 1000)));
    },
  };
}

import { ApiError } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import { roomOf } from "../challenge/challenge.js";
import { HELD_PING_RETRY_AFTER_SECONDS } from "../rate-limits.js";
import type { PingWaiters, WakeReason } from "../realtime/ping-waiters.js";
import type { Services } from "../services.js";
import { ping, pingAgain, type PingDeps, type PingResult } from "./ping.js";

/** The bounds of L4's `wait` (contract 2.11), in seconds. */
export const LONG_POLL_MIN_SECONDS = 1;
export const LONG_POLL_MAX_SECONDS = 30;

const stillPending = (r: PingResult): boolean => "error" in r && r.error === 1295;

/**
 * Contract 2.11: L4 with `wait`. The request is held until its challenge's status changes or `waitSeconds` run out,
 * then answers as L4 would at that moment. Lost-wake safe: it listens to the challenge's room first, then reads
 * (that read is the plain L4 of ping.ts, with its limit and guessing budget); a change published after the read
 * wakes it. Nothing is read while it waits: each wake-up costs one read (a wake for a delivery update leaves it
 * pending and it waits on), and so does the end of its time. A full cap of held requests answers 429 with
 * Retry-After (the caller's next poll would otherwise come at once); a draining node answers at once.
 */
export async function longPoll(
  deps: PingDeps & Pick<Services, "logger">,
  waiters: PingWaiters,
  app: AppRecord,
  token: string,
  ip: string,
  waitSeconds: number,
  closed: AbortSignal,
): Promise<PingResult> {
  if (!isGuid(token)) return ping(deps, app, token, ip);
  const tokenHash = hashToken(token);
  const release = waiters.admit(tokenHash, ip);
  if (!release) throw new ApiError(429, { retryAfter: HELD_PING_RETRY_AFTER_SECONDS });
  try {
    const wait = await waiters.listen(roomOf(tokenHash));
    try {
      let result = await ping(deps, app, token, ip);
      if (!stillPending(result)) return result;
      const until = Date.now() + waitSeconds * 1000;
      deps.logger.debug({ wait: waitSeconds }, "long poll held");
      let why: WakeReason = "event";
      while (stillPending(result)) {
        why = await wait.next(until - Date.now(), closed);
        // Nobody is listening any more: no read for nobody.
        if (why === "closed") break;
        result = await pingAgain(deps, app, tokenHash);
        if (why !== "event") break;
      }
      deps.logger.debug({ ended: why }, "long poll ended");
      return result;
    } finally {
      wait.close();
    }
  } finally {
    release();
  }
}

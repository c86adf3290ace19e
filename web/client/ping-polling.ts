/**
 * Asking L4, the fallback while the socket is not connected (blocked, refused, the node restarting): a long poll
 * (contract 2.11: the gateway holds the request until the outcome changes, up to `longPollSeconds`), asked again
 * as soon as it answers "pending" after being held; with backoff and jitter when answers come back at once (a
 * gateway without long polling, a full cap, errors), and never sooner than a 429's Retry-After.
 */
import { fail, succeed, switchTransport, outcomeOf, type ApprovalWait } from "./approval-wait.js";
import { isApproval, isErrorBody, isFinalError } from "./wire-answers.js";

/** What one L4 answer said, and how long it took. */
interface PingAnswer {
  ok: boolean;
  status: number;
  retryAfter: string | null;
  body: unknown;
  tookMs: number;
}

/** Poll after `ms`, unless the wait is over, the socket is connected, or a poll is already due or in flight. */
export function schedulePoll(w: ApprovalWait, ms: number): void {
  if (w.settled || w.connected || w.pollTimer !== undefined || w.pollAbort !== undefined) return;
  w.pollTimer = setTimeout(() => void pollOnce(w), ms);
}

/** Stop polling (the socket connected): a long poll in flight is dropped; a later fallback starts from the first interval. */
export function stopPolling(w: ApprovalWait): void {
  clearTimeout(w.pollTimer);
  w.pollTimer = undefined;
  w.pollAbort?.abort();
  w.pollAbort = undefined;
  w.pollDelayMs = w.firstPollMs;
}

/** Ask L4 once; its outcome settles the wait, else the next poll is scheduled. */
async function pollOnce(w: ApprovalWait): Promise<void> {
  w.pollTimer = undefined;
  if (w.settled || w.connected) return;
  switchTransport(w, "polling");
  const abort = new AbortController();
  w.pollAbort = abort;
  let nextMs = takePollDelay(w);
  try {
    const answer = await askPing(pingUrlOf(w), abort.signal);
    if (w.settled || abort.signal.aborted || settledByPing(w, answer)) return;
    nextMs = delayAfterPing(w, answer, nextMs);
  } catch {
    // Aborted (the socket connected, the wait ended), or a network error (the node is restarting, the page is
    // offline): keep trying unless aborted.
    if (abort.signal.aborted) return;
  } finally {
    if (w.pollAbort === abort) w.pollAbort = undefined;
  }
  // Jitter, so pages cut off together do not come back together.
  schedulePoll(w, nextMs * (0.8 + Math.random() * 0.4));
}

/** The interval before the next poll, the one after it growing by half up to the maximum. */
function takePollDelay(w: ApprovalWait): number {
  const ms = w.pollDelayMs;
  w.pollDelayMs = Math.min(w.pollDelayMs * 1.5, w.maxPollMs);
  return ms;
}

/** L4, the ping, for this wait's token (a long poll unless `longPollSeconds` is 0). */
function pingUrlOf(w: ApprovalWait): URL {
  const url = new URL("identity/v2/auth/login/2fa/push/ping", w.base);
  url.searchParams.set("apikey", w.options.apikey);
  url.searchParams.set("secondfactorauthenticationtoken", w.options.token);
  if (w.longPollSeconds > 0) url.searchParams.set("wait", String(w.longPollSeconds));
  return url;
}

/** One L4 request; a body that is not JSON reads as null. Rejects on a network error or when aborted. */
async function askPing(url: URL, signal: AbortSignal): Promise<PingAnswer> {
  const started = Date.now();
  const res = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store", signal });
  const body: unknown = await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, retryAfter: res.headers.get("retry-after"), body, tookMs: Date.now() - started };
}

/** Settle the wait on L4's approval or final error; true when it did. A 1295 (still pending) says the token is known. */
function settledByPing(w: ApprovalWait, a: PingAnswer): boolean {
  if (a.ok && isApproval(a.body)) {
    succeed(w, a.body);
    return true;
  }
  if (isErrorBody(a.body) && a.body.ErrorCode === 1295) w.known = true;
  if (isErrorBody(a.body) && isFinalError(a.body)) {
    fail(w, outcomeOf(w, a.body));
    return true;
  }
  return false;
}

/**
 * After an answer that did not settle: a 429 waits its Retry-After (or longer); a pending answer the gateway held
 * is asked again at once (the backoff starts over); anything that came back quickly waits what remains of the
 * planned interval since the request left, so a gateway that does not hold never sees a tight loop.
 */
function delayAfterPing(w: ApprovalWait, a: PingAnswer, plannedMs: number): number {
  if (a.status === 429) return Math.max(plannedMs, Number(a.retryAfter ?? 0) * 1000);
  const held = w.longPollSeconds > 0 && isErrorBody(a.body) && a.body.ErrorCode === 1295 && a.tookMs >= plannedMs;
  if (held) {
    w.pollDelayMs = w.firstPollMs;
    return 0;
  }
  return Math.max(0, plannedMs - a.tookMs);
}

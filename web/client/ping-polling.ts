/**
 * Polling L4, the fallback while the socket is not connected (blocked, refused, the node restarting): with
 * backoff, jitter, and never sooner than a 429's Retry-After.
 */
import { fail, succeed, switchTransport, outcomeOf, type ApprovalWait } from "./approval-wait.js";
import { isErrorBody, isFinalError, isLogin } from "./wire-answers.js";

/** What one L4 answer said. */
interface PingAnswer {
  ok: boolean;
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/** Poll after `ms`, unless the wait is over, the socket is connected, or a poll is already due. */
export function schedulePoll(w: ApprovalWait, ms: number): void {
  if (w.settled || w.connected || w.pollTimer !== undefined) return;
  w.pollTimer = setTimeout(() => void pollOnce(w), ms);
}

/** Stop polling (the socket connected); a later fallback starts again from the first interval. */
export function stopPolling(w: ApprovalWait): void {
  clearTimeout(w.pollTimer);
  w.pollTimer = undefined;
  w.pollDelayMs = w.firstPollMs;
}

/** Ask L4 once; its outcome settles the wait, else the next poll is scheduled. */
async function pollOnce(w: ApprovalWait): Promise<void> {
  w.pollTimer = undefined;
  if (w.settled || w.connected) return;
  switchTransport(w, "polling");
  let nextMs = takePollDelay(w);
  try {
    const answer = await askPing(pingUrlOf(w));
    if (w.settled || settledByPing(w, answer)) return;
    nextMs = delayAfterPing(answer, nextMs);
  } catch {
    // Network error (the node is restarting, the page is offline): keep trying.
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

/** L4, the ping, for this wait's token. */
function pingUrlOf(w: ApprovalWait): URL {
  const url = new URL("identity/v2/auth/login/2fa/push/ping", w.base);
  url.searchParams.set("apikey", w.options.apikey);
  url.searchParams.set("secondfactorauthenticationtoken", w.options.token);
  return url;
}

/** One L4 request; a body that is not JSON reads as null. Rejects on a network error. */
async function askPing(url: URL): Promise<PingAnswer> {
  const res = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
  const body: unknown = await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, retryAfter: res.headers.get("retry-after"), body };
}

/** Settle the wait on L4's login or final error; true when it did. A 1295 (still pending) says the token is known. */
function settledByPing(w: ApprovalWait, a: PingAnswer): boolean {
  if (a.ok && isLogin(a.body)) {
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

/** The planned interval, or a 429's Retry-After when that is longer. */
const delayAfterPing = (a: PingAnswer, plannedMs: number): number =>
  a.status === 429 ? Math.max(plannedMs, Number(a.retryAfter ?? 0) * 1000) : plannedMs;
